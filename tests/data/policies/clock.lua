-- Reports the clock the policy sees, through every way of reading it.
policy { name = "test-clock" }

requirement "clock" {
  title = "Clock",
  check = function(ctx)
    return pass("clock", {
      os_time   = os.time(),
      time_now  = time.now(),
      ctx_now   = ctx.now,
      os_date   = os.date("%Y-%m-%dT%H:%M:%SZ"),
      os_date_u = os.date("!%Y-%m-%dT%H:%M:%SZ"),
      formatted = time.format(os.time()),
    })
  end,
}
