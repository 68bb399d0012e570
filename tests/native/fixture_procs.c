#include "fixture_procs.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

static int is_zombie(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return close_paren && (close_paren[2] == 'Z' || close_paren[2] == 'X');
}

int wait_process_gone(pid_t pid, int ms)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        if ((kill(pid, 0) != 0 && errno == ESRCH) || is_zombie(pid))
            return 1;
        nap_ms(10);
    }
    return 0;
}

int no_zombie_children(void)
{
    int status;
    pid_t r = waitpid(-1, &status, WNOHANG);
    return r <= 0;
}

long read_number_file(const char *path, int ms)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        FILE *f = fopen(path, "r");
        long v = 0;
        if (f) {
            int ok = fscanf(f, "%ld", &v) == 1;
            fclose(f);
            if (ok && v > 0)
                return v;
        }
        nap_ms(10);
    }
    return -1;
}
