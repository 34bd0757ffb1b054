-- Details that contain themselves.
requirement "cycle" {
  title = "Cycle",
  check = function(ctx)
    local t = { name = "loop" }
    t.again = t
    return pass("x", t)
  end,
}
