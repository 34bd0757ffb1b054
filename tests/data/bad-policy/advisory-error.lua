-- An advisory requirement whose check raises: still an error, never a warning.
policy { name = "advisory-error" }

requirement "fine" { title = "Fine", check = function(ctx) return pass("ok", {}) end }

requirement "advisory-breaks" {
  title = "Advisory, breaks",
  level = "advisory",
  check = function(ctx)
    error("advisory check broke") -- @error
  end,
}
