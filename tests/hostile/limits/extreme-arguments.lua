-- Every builtin the sandbox publishes, called with extreme arguments under pcall: each may
-- fail with an error, none may misbehave (the UBSan build aborts on undefined behaviour).
-- It ends with an error of its own, so that the gate stops (exit 2) as every hostile
-- policy must, saying how many probes ran.
-- (string.rep("", 2^63-1) and table.move over 2^63 items are loops inside one C call:
-- the watchdog stops them, see pattern-runaway.lua.)
-- expect: policy error; mentions: probed 1792
local extremes = { 0, -1, 1, 2147483648, -2147483648, 2147483647, 4294967296, -2147485548, 2147485547, 1e18, 0.5, math.maxinteger, math.mininteger, 2^63, -2^63, 1e308, -1e308, 0/0, 1/0, -1/0,
  "", "9223372036854775808", "-9223372036854775809", "1e308", "nan", ("9"):rep(400), {}, true }
-- One probe per builtin (or way of calling it), taking one extreme value.
local probes = {
  os_time = function(v) return os.time { year = v, month = v, day = v, hour = v, min = v, sec = v } end,
  os_time_y = function(v) return os.time { year = v, month = 1, day = 1 } end,
  os_time_m = function(v) return os.time { year = 2024, month = v, day = 1 } end,
  os_time_s = function(v) return os.time { year = 2024, month = 1, day = 1, sec = v } end,
  os_date = function(v) return os.date("%Y-%m-%d", v) end,
  os_date_t = function(v) return os.date("*t", v) end,
  time_format = function(v) return time.format(v) end,
  time_parse = function(v) return time.parse(v) end,
  time_parse2 = function(v) return time.parse("9999-12-31T23:59:59" .. tostring(v)) end,
  time_parse3 = function(v) return time.parse("2024-01-01T00:00:00." .. ("9"):rep(1000) .. "Z") end,
  time_parse4 = function(v) return time.parse("0000-01-01T00:00:00+23:59") end,
  semver_parse = function(v) return semver.parse(tostring(v) .. ".0.0") end,
  semver_parse2 = function(v) return semver.parse("1.2.3-" .. tostring(v)) end,
  semver_cmp = function(v) return semver.compare("9223372036854775807.0.0", tostring(v) .. ".0.0") end,
  semver_cmp2 = function(v) return semver.compare("1.0.0-" .. ("9"):rep(300), "1.0.0-" .. ("9"):rep(301)) end,
  semver_bump = function(v) return semver.bump("0.0.0", tostring(v) .. ".9223372036854775807.0") end,
  rep = function(v) return string.rep("x", v, "y") end,
  sub = function(v) return string.sub("hello", v, v) end,
  byte = function(v) return string.byte("hello", v, v) end,
  char = function(v) return string.char(v) end,
  format_d = function(v) return string.format("%d", v) end,
  format_w = function(v) return string.format("%99.99f", v) end,
  format_x = function(v) return string.format("%x", v) end,
  format_q = function(v) return string.format("%q", v) end,
  format_c = function(v) return string.format("%c", v) end,
  format_s = function(v) return string.format("%5.3s", v) end,
  find = function(v) return string.find("hello", "l", v) end,
  gmatch = function(v) return string.gmatch("hello", ".", v)() end,
  pack = function(v) return string.pack("i16", v) end,
  pack2 = function(v) return string.pack("i" .. tostring(v), 1) end,
  unpack = function(v) return string.unpack("i8", "12345678", v) end,
  packsize = function(v) return string.packsize("c" .. tostring(v)) end,
  tbl_concat = function(v) return table.concat({ "a" }, ",", v, v) end,
  tbl_insert = function(v) local t = {} table.insert(t, v, 1) return t end,
  tbl_move = function(v) return table.move({ 1, 2 }, 1, 2, v, {}) end,
  tbl_unpack = function(v) return table.unpack({}, v, v) end,
  tbl_unpack2 = function(v) return table.unpack({}, 1, v) end,
  tbl_remove = function(v) return table.remove({ 1 }, v) end,
  math_floor = function(v) return math.floor(v) end,
  math_fmod = function(v) return math.fmod(v, v) end,
  math_fmod0 = function(v) return math.fmod(v, 0) end,
  math_tointeger = function(v) return math.tointeger(v) end,
  math_random = function(v) return math.random(v) end,
  math_random2 = function(v) return math.random(math.mininteger, v) end,
  math_abs = function(v) return math.abs(v) end,
  idiv = function(v) return v // 0, v % 0, math.mininteger // -1, math.mininteger % -1 end,
  utf8_char = function(v) return utf8.char(v) end,
  utf8_codepoint = function(v) return utf8.codepoint("héllo", v, v) end,
  utf8_offset = function(v) return utf8.offset("héllo", v, v) end,
  utf8_len = function(v) return utf8.len("héllo", v, v) end,
  tostring = function(v) return tostring(v) end,
  tonumber = function(v) return tonumber(v, v) end,
  tonumber2 = function(v) return tonumber(tostring(v)) end,
  select = function(v) return select(v, 1, 2) end,
  json_decode = function(v) return json.decode(tostring(v)) end,
  json_decode2 = function(v) return json.decode("[" .. tostring(v) .. "]") end,
  json_decode3 = function(v) return json.decode('{"a":1e999999,"b":-1e999999,"c":' .. ("9"):rep(400) .. '}') end,
  md_sections = function(v) return markdown.sections(tostring(v)) end,
  md_section = function(v) return markdown.section("# a\n" .. tostring(v), tostring(v)) end,
  md_blank = function(v) return markdown.is_blank(v) end,
  by_type = function(v) return by_type { patch = v } end,
  find_ = function(v) return find({ v }, function(x) return x == v end) end,
  approvals = function(v) return approvals.list { release = { author = v }, approvals = { { user = v, state = "approved" } } } end,
  pass_ = function(v) return pass(tostring(v), { v = v }) end,
}
requirement "probe" {
  title = "Probe",
  check = function(ctx)
    local n = 0
    for name, f in pairs(probes) do
      for _, v in ipairs(extremes) do
        pcall(f, v)
        n = n + 1
      end
    end
    error("probed " .. n) -- @error: survived every probe; the error stops the gate
  end,
}
