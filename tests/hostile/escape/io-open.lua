-- io.open: write a marker file.
-- expect: policy error; mentions: io
policy { name = "escape-io-open" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    local f = io.open("MARKER", "w") -- @error
    f:write("escaped")
    f:close()
    return pass("escaped", {})
  end,
}
