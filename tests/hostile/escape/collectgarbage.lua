-- collectgarbage.
-- expect: policy error; mentions: collectgarbage
collectgarbage("stop") -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
