#!/usr/bin/env lua5.4
-- The `cx` command installed by the rock: the same CLI as the native host, run by a stock Lua 5.4.
os.exit(require("cx.cli").main(arg), true)
