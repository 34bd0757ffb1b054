-- Reads evidence "notes" and reports what it found (a missing file fails).
policy { name = "test-evidence" }

requirement "notes-readable" {
  title = "Evidence notes is readable",
  check = function(ctx)
    local text, why = evidence.read("notes")
    if not text then return fail(why, {}) end
    return pass(text:gsub("%s+$", ""), { bytes = #text })
  end,
}
