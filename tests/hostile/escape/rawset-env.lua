-- rawset on _ENV: define a global behind the sandbox's back.
-- expect: policy error; mentions: rawset
policy { name = "escape-rawset" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    rawset(_ENV, "io", {}) -- @error
    return pass("escaped", {})
  end,
}
