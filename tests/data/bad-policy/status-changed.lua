-- A check that tampers with its result's status.
policy { name = "status-changed" }

requirement "tampers" { -- @error
  title = "Tampers",
  check = function(ctx)
    local r = fail("failed")
    r.status = "allow"
    return r
  end,
}
