-- A named check no loaded plugin provides.
policy { name = "unknown-check" }

requirement "ci-passing" { -- @error
  title = "CI is passing",
  check = "no.such.check",
}
