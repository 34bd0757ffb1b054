-- Details that contain themselves.
-- expect: policy error; mentions: cannot be written as JSON | cycle
requirement "cycle" {
  title = "Cycle",
  check = function(ctx)
    local t = { name = "loop" }
    t.again = t
    return pass("x", t)
  end,
}
