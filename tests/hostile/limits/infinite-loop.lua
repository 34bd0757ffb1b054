-- An infinite loop while the policy loads.
-- expect: limit error; mentions: policy exceeded its
while true do end
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
