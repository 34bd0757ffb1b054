-- memo() results are shared by every check and every line of a batch: they are read-only.
-- expect: policy error; mentions: cannot modify module/global table | runs
policy { name = "escape-memo-result" }
local summary = memo(function(name) return { name = name } end)

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    summary("x").runs = 1 -- @error
    return pass("escaped", {})
  end,
}
