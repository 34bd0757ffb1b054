-- Hostile text from everywhere a rendering quotes: the context (release.name, the
-- waiver's fields, evidence names), messages, hints, titles and details.  Every output
-- channel must show it as text: no CI command, no live markdown, valid XML, no control
-- bytes.  Used by tests/ci/test_formats.py ("untrusted text" cases).
policy { name = "hostile", version = "1.0.0" }

-- The same string the test puts in the context (tests/ci/test_formats.py: HOSTILE).
local H = "x\n::error::forged\r::add-mask::s3cr3t\r\n  ::stop-commands::tok\n##[error]legacy ##vso[task.setvariable variable=a]b "
  .. "\27[31m\u{9B}2J\u{202E} <img src=x onerror=alert(1)> [l](https://evil.example) ![i](x.png) @octo-org/sec "
  .. ":x: **b** _i_ `c` | ]]> \1 #\u{200B}#[warning]zw"

local function evidence_names(ctx)
  local names = {}
  for name in pairs(ctx.evidence or {}) do names[#names + 1] = name end
  table.sort(names)
  return table.concat(names, ",")
end

requirement ("hostile-" .. "id") {
  title  = "Title " .. H,
  stages = { "post-deploy" },
  hint   = "Hint " .. H,
  check  = function(ctx)
    return fail("::error::from a check " .. H .. " release " .. ctx.release.name,
      { quoted = H, evidence = evidence_names(ctx), [H] = "a key" })
  end,
}

requirement "waivable" {
  title  = "Waivable",
  level  = "waivable",
  stages = { "post-deploy" },
  check  = function(ctx) return fail("waivable fails " .. H) end,
}

requirement "advisory" {
  title  = "Advisory",
  level  = "advisory",
  stages = { "post-deploy" },
  check  = function(ctx) return fail("advisory " .. H) end,
}
