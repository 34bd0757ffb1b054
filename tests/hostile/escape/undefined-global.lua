-- Reading an undefined global is an error, not nil (a typo must not pass).
-- expect: policy error; mentions: undefined_name
policy { name = "undefined-global" }

requirement "typo" {
  title = "Typo",
  check = function(ctx)
    if ctx.release.name == undefined_name then return fail("never", {}) end -- @error
    return pass("escaped", {})
  end,
}
