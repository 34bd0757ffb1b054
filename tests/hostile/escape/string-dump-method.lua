-- string.dump reached as a string method: ("").dump.
-- expect: policy error
policy { name = "escape-string-dump-method" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    local code = ("").dump(function() return 1 end) -- @error
    return pass("dumped " .. #code .. " bytes of bytecode", {})
  end,
}
