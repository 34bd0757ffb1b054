-- A check that raises an error whose message is not UTF-8.
policy { name = "test-bad-utf8-error" }

requirement "bad-utf8-error" {
  title = "Bad UTF-8 in an error",
  check = function(ctx)
    error("bad byte \255 in an error")
  end,
}
