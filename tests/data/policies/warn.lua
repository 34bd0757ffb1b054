-- An advisory requirement that fails (a warning) next to one that passes.
policy { name = "test-warn", version = "0.0.1" }

requirement "always-passes" {
  title = "Always passes",
  check = function(ctx) return pass("fine", {}) end,
}

requirement "advisory-fails" {
  title = "An advisory requirement that fails",
  hint  = "Nothing to do: this requirement exists to warn.",
  level = "advisory",
  check = function(ctx) return fail("advisory failure", { reason = "on purpose" }) end,
}
