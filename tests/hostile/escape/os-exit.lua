-- os.exit(0): end the process with "allow" before the gate decides.
-- expect: policy error; mentions: exit
policy { name = "escape-os-exit" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    os.exit(0) -- @error
  end,
}
