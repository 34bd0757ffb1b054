-- pcall must not swallow a limit: an infinite loop inside pcall inside a loop.
-- expect: limit error; mentions: limit of
-- (the time limit or the instruction limit: whichever a fast or a slow box reaches first)
policy { name = "pcall-loop" }

requirement "spins" {
  title = "Spins",
  check = function(ctx)
    while true do pcall(function() while true do end end) end
  end,
}
