-- memo() made inside a check would be a new cache per call, or a way to keep one: refused.
-- expect: policy error; mentions: memo() can only be used while the policy loads
policy { name = "escape-memo-in-check" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    local f = memo(function() return 1 end) -- @error
    return pass("escaped", {})
  end,
}
