-- Prints while loading and from a check: print() must go to stderr.
policy { name = "test-print" }

print("PRINTED-WHILE-LOADING")

requirement "prints" {
  title = "Prints",
  check = function(ctx)
    print("PRINTED-FROM-CHECK", 42)
    return pass("printed", {})
  end,
}
