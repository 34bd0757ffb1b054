-- Valid UTF-8 that XML 1.0 cannot hold: the noncharacters U+FFFE and U+FFFF.
policy { name = "nonchar", version = "1.0.0" }

requirement "nonchar" {
  title  = "Nonchar \u{FFFF}",
  stages = { "post-deploy" },
  check  = function(ctx) return fail("noncharacters \u{FFFE} and \u{FFFF} here") end,
}
