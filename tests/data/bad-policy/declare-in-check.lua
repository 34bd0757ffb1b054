-- Declaring a requirement from inside a check, after the policy has loaded.
policy { name = "declare-in-check" }

requirement "declares" {
  title = "Declares",
  check = function(ctx)
    requirement "late" { title = "Late", check = function() return pass("ok", {}) end } -- @error
    return pass("ok", {})
  end,
}
