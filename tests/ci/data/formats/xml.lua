-- XML's special characters and control characters in messages, hints and titles.
-- Used by tests/ci/test_formats.py (--format junit).
policy { name = "xml <&>\"'", version = "1.0.0" }

requirement "specials" {
  title  = "Specials <&>\"' here",
  stages = { "post-deploy" },
  hint   = "escape <&>\"' and \1 please",
  check  = function(ctx)
    return fail("lt < amp & gt > quot \" apos ' soh \1 us \31 tab \t cr \r lf \n del \127 end")
  end,
}

requirement "broken" {
  title  = "Errored <check>",
  stages = { "post-deploy" },
  check  = "fixture.behave",
  with   = { mode = "exit" },
}

requirement "skipped" {
  title  = "Skipped & \"quoted\"",
  stages = { "post-deploy" },
  check  = function(ctx) return skip("skip <&>\"' \1") end,
}

requirement "advisory" {
  title  = "Advisory",
  level  = "advisory",
  stages = { "post-deploy" },
  check  = function(ctx) return fail("warned <&>\"' \2") end,
}

requirement "fine" {
  title  = "Fine",
  stages = { "post-deploy" },
  check  = function(ctx) return pass("ok") end,
}

requirement "waived-one" {
  title  = "Waived <by> someone",
  level  = "waivable",
  stages = { "post-deploy" },
  check  = function(ctx) return fail("failed but waived <&>") end,
}
