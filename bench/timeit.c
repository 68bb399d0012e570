/* Times several commands side by side: RUNS rounds (after one warm-up round), each round running
 * every command once in turn, so load on the machine falls on all of them alike. stdout of the
 * commands goes to /dev/null. Prints per command, in order:
 *   "<median ms> <min ms> <max ms> <peak RSS KiB>"   (RSS from wait4, the largest over the runs)
 * Usage: timeit RUNS cmd1 [args...] [-- cmd2 [args...]]... */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 16

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One run: wall milliseconds, or a negative value when the command failed. */
static double run_once(char **argv, long *rss)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    if (ru.ru_maxrss > *rss)
        *rss = ru.ru_maxrss;
    return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: timeit RUNS cmd [args...] [-- cmd [args...]]...\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    if (runs < 1 || runs > 1000)
        runs = 5;
    char **cmds[MAX_CMDS];
    int ncmd = 0;
    cmds[ncmd++] = argv + 2;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0 && ncmd < MAX_CMDS) {
            argv[i] = NULL;
            cmds[ncmd++] = argv + i + 1;
        }
    }
    double *ms = calloc((size_t)(runs * ncmd), sizeof *ms);
    long rss[MAX_CMDS] = {0};
    for (int round = -1; round < runs; round++) {
        for (int c = 0; c < ncmd; c++) {
            double t = run_once(cmds[c], &rss[c]);
            if (t < 0) {
                fprintf(stderr, "timeit: %s failed\n", cmds[c][0]);
                return 1;
            }
            if (round >= 0)
                ms[c * runs + round] = t;
        }
    }
    for (int c = 0; c < ncmd; c++) {
        double *m = ms + c * runs;
        qsort(m, (size_t)runs, sizeof *m, cmp);
        printf("%.3f %.3f %.3f %ld\n", m[runs / 2], m[0], m[runs - 1], rss[c]);
    }
    free(ms);
    return 0;
}
