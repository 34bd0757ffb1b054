-- A memoized function reading evidence without ctx among its arguments would serve one
-- line's evidence to the next: refused.
-- expect: policy error; mentions: evidence | memoized function
policy { name = "escape-memo-evidence" }
local notes = memo(function(name) return evidence.read(name) end)

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    return pass(tostring(notes("notes")), {}) -- @error
  end,
}
