-- Appending to a frozen list with table.insert (a write through lua_seti).
-- expect: policy error; mentions: cannot modify module/global table
policy { name = "escape-table-insert" }
local seen = {}

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    table.insert(seen, ctx.release.name) -- @error
    return pass("escaped", {})
  end,
}
