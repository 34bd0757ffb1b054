-- Tries to swallow an evidence path violation with pcall, then passes.
policy { name = "test-evidence-pcall" }

requirement "swallows" {
  title = "Swallows a path violation",
  check = function(ctx)
    local ok, err = pcall(evidence.read, "notes")
    local exists = pcall(evidence.exists, "notes")
    return pass("swallowed: " .. tostring(err), {})
  end,
}
