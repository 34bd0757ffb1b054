-- os.remove: delete a file.
-- expect: policy error; mentions: remove
policy { name = "escape-os-remove" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    os.remove("victim.txt") -- @error
    return pass("removed", {})
  end,
}
