-- _G: the real global table.
-- expect: policy error; mentions: _G
local real = _G -- @error
real.io.open("MARKER", "w"):close()
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
