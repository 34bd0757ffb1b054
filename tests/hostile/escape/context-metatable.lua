-- Unprotecting the read-only context with setmetatable.
policy { name = "escape-context-metatable" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    setmetatable(ctx, nil) -- @error
    return pass("escaped", {})
  end,
}
