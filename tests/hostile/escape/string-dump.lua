-- string.dump itself.
-- expect: policy error; mentions: dump
policy { name = "escape-string-dump" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    local code = string.dump(function() return 1 end) -- @error
    return pass("dumped " .. #code .. " bytes", {})
  end,
}
