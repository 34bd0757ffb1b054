-- A memory error caught by pcall must still stop the gate.
-- expect: limit error; mentions: memory
policy { name = "memory-bomb-pcall" }

requirement "hoards" {
  title = "Hoards",
  check = function(ctx)
    local t = {}
    local ok = pcall(function() while true do t[#t+1] = string.rep("x", 1e6) .. #t end end)
    t = nil
    return pass("survived the memory limit: " .. tostring(ok), {})
  end,
}
