requirement "raises" {
  title  = "Raises",
  stages = { "pre-release", "deploy", "post-deploy" },
  check  = function(ctx) error("the check blew up") end,
}
