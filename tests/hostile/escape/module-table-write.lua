-- Leaving state in a module's table (the next check, or the next line of a batch, would see it).
-- expect: policy error; mentions: cannot modify module/global table | count
policy { name = "escape-module-table" }
local helper = require "lib.helper"

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    helper.count = (helper.count or 0) + 1 -- @error
    return pass("escaped", {})
  end,
}
