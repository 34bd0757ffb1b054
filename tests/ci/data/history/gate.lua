-- A small release gate for the history tests: one requirement per stage, decided by
-- the context's "checks" object, so a sequence of contexts plays a release history
-- (allowed, denied, warned, rolled back).
policy { name = "history-gate", version = "2.0.0" }

requirement "tests-green" {
  title  = "Tests are green",
  stages = { "pre-release" },
  check  = function(ctx)
    if ctx.checks and ctx.checks.tests == "green" then return pass("tests green") end
    return fail("tests are not green")
  end,
}

requirement "pipeline-ok" {
  title  = "Deployed by the pipeline",
  stages = { "deploy" },
  check  = function(ctx)
    if ctx.checks and ctx.checks.pipeline == "ok" then return pass("pipeline ok") end
    return fail("the pipeline did not deploy it")
  end,
}

requirement "healthy" {
  title  = "Healthy after the deployment",
  stages = { "post-deploy" },
  hint   = "Roll back and look at the dashboards.",
  check  = function(ctx)
    local health = ctx.checks and ctx.checks.health
    if health == "healthy" then return pass("healthy") end
    if health == "degraded" then return warn("degraded but serving") end
    return fail("unhealthy: " .. tostring(health))
  end,
}
