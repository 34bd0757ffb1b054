-- The same decoding bomb inside a check (inside pcall, which cannot swallow the limit).
-- expect: limit error; mentions: memory
local text = "[" .. ("0,"):rep(2 * 1024 * 1024) .. "0]"
requirement "decodes" {
  title = "Decodes",
  check = function(ctx)
    local ok, doc = pcall(json.decode, text) -- @error
    return pass(tostring(ok), {})
  end,
}
