-- Leaving state in a table a global holds (the global itself cannot be assigned).
-- expect: policy error; mentions: cannot modify module/global table | runs
policy { name = "escape-global-table" }
STATE = { runs = 0 }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    STATE.runs = STATE.runs + 1 -- @error
    return pass("escaped", {})
  end,
}
