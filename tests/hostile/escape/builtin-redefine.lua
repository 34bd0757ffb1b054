-- Redefining a builtin while loading.
pass = function(msg) return fail(msg) end -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
