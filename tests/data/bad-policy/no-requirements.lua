-- A policy that declares nothing: a gate with nothing to check.
policy { name = "no-requirements", version = "1.0.0" }

local function helper() return 1 end
