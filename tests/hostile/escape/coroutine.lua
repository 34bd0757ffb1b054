-- coroutine: not in the sandbox.
-- expect: policy error; mentions: coroutine
local co = coroutine.create(function() end) -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
