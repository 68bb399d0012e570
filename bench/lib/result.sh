# The machine-readable result line every bench prints for the table of `make bench` (bench/run.sh
# collects them; docs/performance.md). Sourced by the bench scripts.
#
# bench_result FIGURE OURS_LABEL OURS_MS BASE_LABEL BASE_MS MAX_RATIO RSS_KIB MAX_RSS_KIB
#   prints: bench-result<TAB>figure<TAB>ours<TAB>ours ms<TAB>base<TAB>base ms<TAB>ratio<TAB>target
#           <TAB>peak RSS KiB<TAB>verdict
# "-" for a value that does not apply (no comparison, no RSS measured, no target). The verdict is
# "met" when every target given holds, "MISSED" otherwise, "-" without any target.
bench_result() {
    awk -v f="$1" -v ol="$2" -v om="$3" -v bl="$4" -v bm="$5" -v mr="$6" -v rss="$7" -v mrss="$8" 'BEGIN {
        r = (bm != "-" && bm + 0 > 0) ? sprintf("%.2f", om / bm) : "-"
        target = ""; verdict = "-"
        if (mr != "-") { target = "<= " mr "x"; verdict = (r != "-" && r + 0 <= mr + 0) ? "met" : "MISSED" }
        if (mrss != "-") {
            target = target (target == "" ? "" : ", ") "RSS < " int(mrss / 1024) " MiB"
            ok = (rss != "-" && rss + 0 < mrss + 0)
            verdict = (verdict == "MISSED" || !ok) ? "MISSED" : "met"
        }
        if (target == "") target = "-"
        printf "bench-result\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f, ol, om, bl, bm, r, target, rss, verdict
    }'
}

# peak_rss_kib CMD... -> the peak RSS (KiB) of one run of CMD (stdout discarded), from /usr/bin/time.
peak_rss_kib() {
    _rss=$(mktemp)
    /usr/bin/time -f %M -o "$_rss" "$@" >/dev/null || { rm -f "$_rss"; return 1; }
    tail -n 1 "$_rss"
    rm -f "$_rss"
}
