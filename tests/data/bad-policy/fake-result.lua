-- A check that forges a result table instead of calling pass().
policy { name = "fake-result" }

requirement "forges" { -- @error
  title = "Forges",
  check = function(ctx)
    return { status = "pass", message = "trust me" }
  end,
}
