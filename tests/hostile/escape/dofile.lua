-- dofile.
dofile("/etc/passwd") -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
