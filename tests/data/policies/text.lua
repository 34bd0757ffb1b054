-- Messages and details with text JSON must escape, and non-ASCII UTF-8.
policy { name = "test-text" }

requirement "text" {
  title = "Text \"quoted\" and ünïcödé ✓",
  check = function(ctx)
    return pass("line one\nline \"two\"\ttab \\ backslash \1 control — ünïcödé ✓", {
      ["key with \"quotes\""] = "value\nwith newline",
      list = { 1, 2.5, true, "x" },
      empty_list = {},
      nested = { deeper = { deepest = "é" } },
    })
  end,
}
