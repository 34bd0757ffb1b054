return require "lib.b"
