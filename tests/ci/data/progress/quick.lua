-- The same plugin check without the sleep: done well inside a second.
requirement "quick-check" {
  title = "A quick plugin check",
  check = "fixture.behave",
  with  = { mode = "ok" },
}
