-- One decision whose log line is larger than a memory page (the full-disk test needs a
-- write that cannot fit in what is left of the log's last page).
requirement "big" {
  title  = "A long message",
  stages = { "pre-release", "deploy", "post-deploy" },
  check  = function(ctx) return pass("long: " .. string.rep("0123456789", 1000)) end,
}
