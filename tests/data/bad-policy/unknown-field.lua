-- A requirement with a field the engine does not know.
policy { name = "unknown-field" }

requirement "typo" { -- @error
  title  = "Typo",
  stage  = { "deploy" },
  check  = function(ctx) return pass("ok", {}) end,
}
