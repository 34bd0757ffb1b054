-- One mandatory requirement that always passes.
policy { name = "test-allow", version = "0.0.1", description = "always allows" }

requirement "always-passes" {
  title = "Always passes",
  level = "mandatory",
  check = function(ctx)
    return pass("nothing to check", { release = ctx.release.name })
  end,
}
