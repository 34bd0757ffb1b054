-- A policy __index function is called with the table it serves; were it called with the
-- hidden store behind a frozen table, a check could get that writable table and keep state
-- in it.  It gets the frozen table itself, so writing through it is refused.
-- expect: policy error; mentions: cannot modify module/global table | count
policy { name = "escape-index-store" }
local leak = setmetatable({}, { __index = function(t, k) return t end })

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    local store = leak.anything
    store.count = 1 -- @error
    return pass("escaped", {})
  end,
}
