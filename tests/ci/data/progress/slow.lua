-- One plugin check that takes 1.5 s (the fixture plugin, mode "sleep"): long enough for
-- the progress line, which waits a second before it shows.
requirement "slow-check" {
  title = "A slow plugin check",
  check = "fixture.behave",
  with  = { mode = "sleep", seconds = 1.5 },
}
