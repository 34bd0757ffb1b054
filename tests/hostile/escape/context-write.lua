-- Assigning into the read-only context.
-- expect: policy error; mentions: read-only
policy { name = "escape-context-write" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    ctx.release.version = "9.9.9" -- @error
    return pass("escaped", {})
  end,
}
