/* The native tail reader alone, as the benchmark's floor for `cx log-tail`: prints the last N
 * non-blank lines of FILE. Usage: tail_driver FILE N */
#include "runlog.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tail_driver FILE N\n");
        return 2;
    }
    char err[512];
    cx_runlog_tail_result t;
    if (cx_runlog_tail(argv[1], (size_t)strtoul(argv[2], NULL, 10), 0, &t, err, sizeof err) != 0) {
        fprintf(stderr, "tail_driver: %s\n", err);
        cx_runlog_tail_free(&t);
        return 1;
    }
    for (size_t i = 0; i < t.count; i++) {
        fwrite(t.lines[i].text, 1, t.lines[i].len, stdout);
        putchar('\n');
    }
    cx_runlog_tail_free(&t);
    return 0;
}
