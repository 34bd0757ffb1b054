-- Details that cannot be written as JSON.
policy { name = "details-function" }

requirement "bad-details" { -- @error
  title = "Bad details",
  check = function(ctx)
    return pass("ok", { callback = function() end })
  end,
}
