-- os.execute: run a shell command that creates a marker file.
-- expect: policy error; mentions: execute
policy { name = "escape-os-execute" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    os.execute("touch MARKER") -- @error
    return pass("escaped", {})
  end,
}
