-- A NaN in the details.
policy { name = "details-nan" }

requirement "nan-details" { -- @error
  title = "NaN details",
  check = function(ctx)
    return pass("ok", { ratio = 0/0 })
  end,
}
