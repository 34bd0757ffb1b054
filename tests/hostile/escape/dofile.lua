-- dofile.
-- expect: policy error; mentions: dofile
dofile("/etc/passwd") -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
