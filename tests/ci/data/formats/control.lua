-- Terminal control sequences in a message: ESC (colours, clear screen), CR, BEL, DEL.
policy { name = "control", version = "1.0.0" }

requirement "control" {
  title  = "Control \27[5mblink\27[0m",
  stages = { "post-deploy" },
  hint   = "\27[2Jcleared",
  check  = function(ctx)
    return fail("red \27[31mRED\27[0m cr \r overwritten bel \7 del \127 end")
  end,
}

requirement "fine" {
  title  = "Fine",
  stages = { "post-deploy" },
  check  = function(ctx) return pass("ok") end,
}
