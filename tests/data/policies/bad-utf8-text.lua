-- A check whose message and details hold bytes that are not UTF-8.
policy { name = "test-bad-utf8" }

requirement "bad-utf8" {
  title = "Bad UTF-8",
  check = function(ctx)
    return pass("bad byte \255 here", { ["key\254"] = "value \192\175" })
  end,
}
