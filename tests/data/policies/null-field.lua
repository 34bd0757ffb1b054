-- JSON null reads as nil; the context is read-only.
policy { name = "test-null" }

requirement "null-is-nil" {
  title = "JSON null reads as nil",
  check = function(ctx)
    if ctx.release.ticket ~= nil then return fail("release.ticket is " .. type(ctx.release.ticket), {}) end
    local ok = pcall(function() ctx.release.name = "changed" end)
    if ok then return fail("the context could be modified", {}) end
    return pass("release.ticket is nil and the context is read-only", {})
  end,
}
