-- string.dump itself.
policy { name = "escape-string-dump" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    local code = string.dump(function() return 1 end) -- @error
    return pass("dumped " .. #code .. " bytes", {})
  end,
}
