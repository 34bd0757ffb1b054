-- print() without end: at most 64 KiB reaches stderr per evaluation, as neutralised lines.
requirement "floods" {
  title = "Floods",
  check = function(ctx)
    for i = 1, 200000 do print(("x"):rep(60), "\n::error::injected") end
    return pass("flooded", {})
  end,
}
