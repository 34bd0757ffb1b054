-- A module that raises while it loads.
local M = {}
local config = nil
M.value = config.value -- @error
return M
