-- json.decode of a document whose decoded tree is forty times its text (4 MB of "0,"
-- would be 160 MB of C heap): counted against --max-memory, so it stops the gate.
-- expect: limit error; mentions: memory
local text = "[" .. ("0,"):rep(2 * 1024 * 1024) .. "0]"
local doc = json.decode(text) -- @error
requirement "never" { title = "Never", check = function(ctx) return pass(tostring(#doc), {}) end }
