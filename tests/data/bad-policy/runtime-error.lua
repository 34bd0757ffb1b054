-- A check that raises a runtime error on the marked line.
policy { name = "runtime-error" }

requirement "fine" {
  title = "Fine",
  check = function(ctx) return pass("ok", {}) end,
}

requirement "breaks" {
  title = "Breaks",
  check = function(ctx)
    local deployment = ctx.deployment
    return pass(deployment.pipeline, {}) -- @error
  end,
}
