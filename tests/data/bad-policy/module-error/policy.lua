-- Requires a module that fails while it loads.
policy { name = "module-error" }

local broken = require "lib.broken"

requirement "fine" { title = "Fine", check = function(ctx) return pass("ok", {}) end }
