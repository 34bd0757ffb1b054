-- A mandatory requirement that fails, at every stage.
policy { name = "test-deny", version = "0.0.1" }

requirement "always-passes" {
  title  = "Always passes",
  stages = { "pre-release", "deploy", "post-deploy" },
  check  = function(ctx) return pass("fine", {}) end,
}

requirement "mandatory-fails" {
  title  = "A mandatory requirement that fails",
  hint   = "Make it pass.",
  stages = { "pre-release", "deploy", "post-deploy" },
  check  = function(ctx) return fail("mandatory failure", { stage = ctx.stage }) end,
}

requirement "advisory-warns" {
  title  = "An advisory requirement that fails",
  level  = "advisory",
  stages = { "post-deploy" },
  check  = function(ctx) return fail("advisory failure", {}) end,
}
