-- A policy for the waiver tests: one requirement of each level, a waivable one that
-- needs a waiver from an engineering director, one that applies only at deploy, and
-- one that skips.
-- Which of them fail is up to the context: release.failing lists their ids.

policy { name = "waivers", version = "1.0.0", description = "waiver tests" }

local function failing(ctx, id)
  return find(ctx.release.failing, function(x) return x == id end) ~= nil
end

local function check_for(id)
  return function(ctx)
    if failing(ctx, id) then return fail(id .. " failed", { id = id }) end
    return pass(id .. " passed")
  end
end

requirement "docs-updated" {
  title = "User docs updated",
  hint  = "Update the user docs, or get a waiver.",
  level = "waivable",
  check = check_for("docs-updated"),
}

requirement "perf-budget" {
  title       = "Performance budget met",
  hint        = "Get p95 under budget, or a waiver from an engineering director.",
  level       = "waivable",
  waiver_role = "engineering-director",
  check       = check_for("perf-budget"),
}

requirement "tests-pass" {
  title = "Tests pass",
  hint  = "Fix the tests: this one cannot be waived.",
  level = "mandatory",
  check = check_for("tests-pass"),
}

requirement "style" {
  title = "Style guide followed",
  hint  = "Run the formatter.",
  level = "advisory",
  check = check_for("style"),
}

requirement "canary" {
  title  = "Canary healthy",
  hint   = "Wait for the canary.",
  level  = "waivable",
  stages = { "deploy" },
  check  = check_for("canary"),
}

requirement "probe" {
  title = "Synthetic probe green",
  hint  = "Configure the probe.",
  level = "waivable",
  check = function(ctx)
    if failing(ctx, "probe") then return skip("probe not configured for this service") end
    return pass("probe ok")
  end,
}
