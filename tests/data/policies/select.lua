-- One requirement per stage and per type; each reports the stage and type it saw.
policy { name = "test-select" }

local function report(ctx)
  return pass(ctx.stage .. " " .. ctx.release.type, { stage = ctx.stage, type = ctx.release.type })
end

requirement "at-pre-release" { title = "Pre-release", stages = { "pre-release" }, check = report }
requirement "at-deploy"      { title = "Deploy",      stages = { "deploy" },      check = report }
requirement "at-post-deploy" { title = "Post-deploy", stages = { "post-deploy" }, check = report }

requirement "for-patch" { title = "Patch only", types = { "patch" }, stages = { "pre-release", "deploy", "post-deploy" }, check = report }
requirement "for-minor" { title = "Minor only", types = { "minor" }, stages = { "pre-release", "deploy", "post-deploy" }, check = report }
requirement "for-major" { title = "Major only", types = { "major" }, stages = { "pre-release", "deploy", "post-deploy" }, check = report }
