-- An infinite loop while the policy loads.
while true do end
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
