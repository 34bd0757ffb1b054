-- os.exit(0): end the process with "allow" before the gate decides.
policy { name = "escape-os-exit" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    os.exit(0) -- @error
  end,
}
