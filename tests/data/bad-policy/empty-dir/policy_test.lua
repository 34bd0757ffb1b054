-- Tests are not policy files, and are skipped when a directory is loaded.
requirement "t" { title = "T", check = function() return pass("t", {}) end }
