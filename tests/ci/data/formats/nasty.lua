-- Messages, hints and titles with everything a rendering has to escape: table pipes,
-- HTML, line breaks (LF, CR), backticks, and the characters GitHub workflow commands
-- escape (%, and : and , in properties).  Used by tests/ci/test_formats.py.
policy { name = "nasty", version = "1.0.0" }

requirement "pipes" {
  title  = "Pipes | and <b>bold</b> `code`",
  stages = { "post-deploy" },
  hint   = "fix | it\nthen `make check` 100% green, a:b, c",
  check  = function(ctx)
    return fail("a | b <script>alert(1)</script>\nsecond `line` & \"q\" 'a' | end, 50% done: ok\r\nthird")
  end,
}

requirement "clean" {
  title  = "Reads the notes",
  stages = { "post-deploy" },
  check  = function(ctx)
    local text = evidence.read("notes")
    return pass("notes have " .. #text .. " bytes")
  end,
}

requirement "advisory-pipe" {
  title  = "Advisory | warning",
  level  = "advisory",
  stages = { "post-deploy" },
  hint   = "50% of 100%,\r\nlater",
  check  = function(ctx) return fail("<i>advisory</i> | %0A literal, not a newline") end,
}

requirement "skipped" {
  title  = "Skipped",
  stages = { "post-deploy" },
  check  = function(ctx) return skip("not <needed> | here") end,
}

requirement "warned" {
  title  = "Warned",
  level  = "waivable",
  stages = { "post-deploy" },
  check  = function(ctx) return warn("heads-up: 100%% sure, `maybe`") end,
}
