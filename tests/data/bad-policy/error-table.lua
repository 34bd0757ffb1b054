-- A check that raises an error object (a table), not a string.
policy { name = "error-table" }

requirement "raises-table" {
  title = "Raises a table",
  check = function(ctx)
    error({ code = 42 }) -- @error
  end,
}
