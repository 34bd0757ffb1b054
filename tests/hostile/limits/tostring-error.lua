-- An error object whose __tostring itself raises.
-- expect: policy error
policy { name = "tostring-error" }

requirement "hostile" {
  title = "Hostile error object",
  check = function(ctx)
    error(setmetatable({}, { __tostring = function() error("tostring exploded") end })) -- @error
  end,
}
