#!/bin/sh
# Runs each C unit test binary; prints one summary line the CI reads ("N passed, N failed").
set -u
vg=""
if [ "${1:-}" = "--valgrind" ]; then
    vg="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --trace-children=no"
    shift
fi
pass=0; fail=0
for t in "$@"; do
    if $vg "$t"; then pass=$((pass + 1)); else echo "FAILED: $t" >&2; fail=$((fail + 1)); fi
done
echo "native: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
