-- Unprotecting the read-only context with setmetatable.
-- expect: policy error; mentions: metatable
policy { name = "escape-context-metatable" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    setmetatable(ctx, nil) -- @error
    return pass("escaped", {})
  end,
}
