-- Redefining a builtin while loading.
-- expect: policy error; mentions: pass
pass = function(msg) return fail(msg) end -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
