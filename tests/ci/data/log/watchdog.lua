-- A check that spends its time inside one C library call (a backtracking string
-- pattern): the instruction hook never fires, so only the watchdog stops it.
requirement "slow-pattern" {
  title  = "A pathological pattern",
  stages = { "pre-release", "deploy", "post-deploy" },
  check  = function(ctx)
    local s = string.rep("a", 40000)
    return pass(tostring(s:find(string.rep("a-", 8) .. "b")))
  end,
}
