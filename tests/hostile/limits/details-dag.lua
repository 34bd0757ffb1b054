-- Details built as a DAG shared at every level: 4^25 nodes once written as JSON
-- (within the details' depth limit, so only a bound on their size stops it).
-- expect: policy error; mentions: cannot be written as JSON | --max-memory
requirement "dag" {
  title = "Shared DAG",
  check = function(ctx)
    local t = {}
    for i = 1, 25 do t = { a = t, b = t, c = t, d = t } end
    return pass("x", { tree = t })
  end,
}
