-- require "io".
-- expect: policy error; mentions: io
local io_lib = require "io" -- @error
io_lib.open("MARKER", "w"):close()
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
