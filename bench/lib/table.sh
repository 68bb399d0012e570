#!/bin/sh
# Prints the `bench-result` lines of a file (bench/lib/result.sh) as one Markdown table.
awk -F'\t' '
    function ms(v) { return v == "-" ? "-" : sprintf("%.1f", v) }
    function rss(v) { return v == "-" ? "-" : sprintf("%.1f MiB", v / 1024) }
    BEGIN {
        print "| figure | cx | ms | comparison | ms | ratio | target | peak RSS (cx) | verdict |"
        print "|---|---|---:|---|---:|---:|---|---:|---|"
    }
    $1 == "bench-result" {
        printf "| %s | `%s` | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, ms($4), $5, ms($6), $7, $8, rss($9), $10
    }' "$1"
