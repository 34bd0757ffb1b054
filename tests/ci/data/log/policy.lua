-- A small gate for the decision-log tests: two requirements read evidence files (so the
-- decision lists their digests), one advisory.  notes.md saying "ready" passes; a
-- "warn" line in it makes the advisory requirement warn.
policy { name = "log-gate", version = "1.0.0" }

local all = { "pre-release", "deploy", "post-deploy" }

requirement "notes-ready" {
  title  = "Release notes say ready",
  stages = all,
  hint   = "Write 'ready' into the release notes.",
  check  = function(ctx)
    local text, why = evidence.read("notes")
    if not text then return fail("cannot read the notes: " .. why) end
    if text:find("ready", 1, true) then return pass("the notes say ready") end
    return fail("the notes do not say ready")
  end,
}

requirement "report-present" {
  title  = "The test report is there",
  stages = all,
  check  = function(ctx)
    local text, why = evidence.read("report")
    if not text then return fail("no report: " .. why) end
    return pass("report of " .. #text .. " bytes", { bytes = #text })
  end,
}

requirement "no-warnings" {
  title  = "No warnings in the notes",
  level  = "advisory",
  stages = all,
  check  = function(ctx)
    local text = evidence.read("notes") or ""
    if text:find("warn", 1, true) then return fail("the notes carry a warning") end
    return pass("no warnings")
  end,
}
