return require "lib.a"
