-- A check that turns its failure into a pass by hand: a status changed to another valid
-- one was taken as that status (round 24).
policy { name = "status-changed-to-pass" }

requirement "flips" { -- @error
  title = "Flips",
  check = function(ctx)
    local r = fail("failed")
    r.status = "pass"
    return r
  end,
}
