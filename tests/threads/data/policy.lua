-- For the ThreadSanitizer run of the threads test: Lua checks only (no plugin check
-- children, which sanitizer allocators cannot fork safely from a threaded process),
-- reading evidence through the engine (evidence.read: the resolve-beneath path).
policy { name = "threads-lua", version = "1.0.0" }

requirement "notes-ready" {
  title  = "Release notes say ready",
  stages = { "pre-release" },
  check  = function(ctx)
    local text = evidence.read("notes")
    if text:find("Status: ready", 1, true) then
      return pass("ready")
    end
    return fail("not ready")
  end,
}
