-- coroutine: not in the sandbox.
local co = coroutine.create(function() end) -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
