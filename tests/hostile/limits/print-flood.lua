-- print() 2.5 MB: at most 64 KiB reaches stderr per evaluation, as neutralised lines;
-- then the check fails, so that the gate stops (exit 2) as every hostile policy must.
-- expect: policy error; mentions: flooded
requirement "floods" {
  title = "Floods",
  check = function(ctx)
    for i = 1, 20000 do print(("x"):rep(60), "\n::error::injected") end
    error("flooded") -- @error
  end,
}
