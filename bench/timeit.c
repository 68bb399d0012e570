/* Runs a command RUNS times (after one warm-up run) with stdout to /dev/null and prints
 * "<median ms> <min ms> <max ms> <peak RSS KiB>" (RSS from wait4, the largest over the runs).
 * Usage: timeit RUNS cmd [args...] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
        fprintf(stderr, "usage: timeit RUNS cmd [args...]\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    if (runs < 1 || runs > 1000)
        runs = 5;
    double *ms = calloc((size_t)runs, sizeof *ms);
    long rss = 0;
    if (run_once(argv + 2, &rss) < 0) {
        fprintf(stderr, "timeit: %s failed\n", argv[2]);
        return 1;
    }
    rss = 0;
    for (int i = 0; i < runs; i++) {
        ms[i] = run_once(argv + 2, &rss);
        if (ms[i] < 0) {
            fprintf(stderr, "timeit: %s failed\n", argv[2]);
            return 1;
        }
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp);
    printf("%.3f %.3f %.3f %ld\n", ms[runs / 2], ms[0], ms[runs - 1], rss);
    free(ms);
    return 0;
}
