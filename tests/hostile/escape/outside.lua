-- The module outside the policy directory (the tests place it there).
print("OUTSIDE-MODULE-LOADED")
return { value = "outside" }
