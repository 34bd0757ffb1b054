-- More requirements than a policy may declare (1000).
policy { name = "too-many-requirements" }

for i = 1, 1001 do
  requirement("req-" .. i) { -- @error
    title = "Requirement " .. i,
    check = function(ctx) return pass("ok", {}) end,
  }
end
