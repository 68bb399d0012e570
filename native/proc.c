/* Child processes: posix_spawn into a new process group, three pipes, group signals, reaping. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void cx_proc_close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

void cx_proc_close_fds(cx_proc *p)
{
    cx_proc_close_fd(&p->stdin_fd);
    cx_proc_close_fd(&p->stdout_fd);
    cx_proc_close_fd(&p->stderr_fd);
    cx_proc_close_fd(&p->pidfd);
}

static int name_matches(const char *entry, const char *name, size_t name_len)
{
    return strncmp(entry, name, name_len) == 0 && entry[name_len] == '=';
}

static int listed(const char *entry, const char *const *names, int with_value)
{
    for (size_t i = 0; names && names[i]; i++) {
        const char *eq = with_value ? strchr(names[i], '=') : NULL;
        size_t len = eq ? (size_t)(eq - names[i]) : strlen(names[i]);
        if (name_matches(entry, names[i], len))
            return 1;
    }
    return 0;
}

/* environ minus env_unset and the names env_set overrides, plus env_set. Entries are borrowed. */
static char **build_env(const cx_proc_spec *spec)
{
    size_t n = 0, k = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    for (size_t i = 0; spec->env_set && spec->env_set[i]; i++)
        n++;
    char **env = calloc(n + 1, sizeof *env);
    if (!env)
        return NULL;
    for (char **e = environ; e && *e; e++)
        if (!listed(*e, spec->env_unset, 0) && !listed(*e, spec->env_set, 1))
            env[k++] = *e;
    for (size_t i = 0; spec->env_set && spec->env_set[i]; i++)
        env[k++] = (char *)spec->env_set[i];
    env[k] = NULL;
    return env;
}

/* The PATH the child will see: an env_set override, else ours. */
static const char *child_path(const cx_proc_spec *spec)
{
    for (size_t i = 0; spec->env_set && spec->env_set[i]; i++)
        if (strncmp(spec->env_set[i], "PATH=", 5) == 0)
            return spec->env_set[i] + 5;
    for (size_t i = 0; spec->env_unset && spec->env_unset[i]; i++)
        if (strcmp(spec->env_unset[i], "PATH") == 0)
            return "/usr/bin:/bin";
    const char *path = getenv("PATH");
    return path ? path : "/usr/bin:/bin";
}

/* Resolves argv[0] to an executable path up front, so a missing or non-executable program is
 * reported with its errno by us, whatever the spawn primitive does (under valgrind posix_spawn
 * degrades to fork+exec and a failed exec would look like exit 127). Returns 0 or an errno. */
static int resolve_program(const cx_proc_spec *spec, char *out, size_t outlen)
{
    const char *name = spec->argv[0];
    if (strchr(name, '/')) {
        if (snprintf(out, outlen, "%s", name) >= (int)outlen)
            return ENAMETOOLONG;
        return access(out, X_OK) == 0 ? 0 : errno;
    }
    int best = ENOENT;
    for (const char *dir = child_path(spec); dir;) {
        const char *colon = strchr(dir, ':');
        size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
        int n = len ? snprintf(out, outlen, "%.*s/%s", (int)len, dir, name)
                    : snprintf(out, outlen, "./%s", name);
        struct stat st;
        if (n > 0 && (size_t)n < outlen && stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            best = EACCES;
        }
        dir = colon ? colon + 1 : NULL;
    }
    return best;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -1 : (int)fd; /* pidfds are always close-on-exec */
#else
    (void)pid;
    return -1;
#endif
}

static int spawn_error(char *err, size_t errlen, const char *what, const char *argv0, int code)
{
    snprintf(err, errlen, "%s: %s failed: %s (os error %d)", argv0, what, strerror(code), code);
    return code;
}

/* Runs posix_spawn with the child's ends of the pipes on 0/1/2; returns 0 or an errno. */
static int spawn_with(cx_proc *p, const cx_proc_spec *spec, const char *program, int child_fds[3],
                      char **env)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0)
        return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return rc;
    }
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = posix_spawn_file_actions_adddup2(&fa, child_fds[i], i);
    if (rc == 0 && spec->cwd)
        rc = posix_spawn_file_actions_addchdir_np(&fa, spec->cwd);
    /* Belt and braces: descriptors opened elsewhere without O_CLOEXEC must not leak either. */
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup(&attr, 0);
    /* We ignore SIGPIPE; the child gets default dispositions and an empty mask. */
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(&attr, &all);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(&attr, &none);
    if (rc == 0)
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                                 POSIX_SPAWN_SETSIGMASK);
    if (rc == 0)
        rc = posix_spawn(&p->pid, program, &fa, &attr, (char *const *)spec->argv, env);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

int cx_proc_spawn(cx_proc *p, const cx_proc_spec *spec, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->pid = -1;
    p->stdin_fd = p->stdout_fd = p->stderr_fd = p->pidfd = -1;
    if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
        return spawn_error(err, errlen, "spawn", "(empty argv)", EINVAL);
    const char *argv0 = spec->argv[0];
    struct stat st;
    if (spec->cwd) {
        int code = stat(spec->cwd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
        if (code != 0)
            return spawn_error(err, errlen, "chdir to the working directory", argv0, code);
    }
    char program[4096];
    int rc = resolve_program(spec, program, sizeof program);
    if (rc != 0)
        return spawn_error(err, errlen, "spawn", argv0, rc);
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(er, O_CLOEXEC) != 0)
        rc = errno;
    char **env = rc == 0 ? build_env(spec) : NULL;
    if (rc == 0 && !env)
        rc = ENOMEM;
    if (rc == 0) {
        int child_fds[3] = {in[0], out[1], er[1]};
        rc = spawn_with(p, spec, program, child_fds, env);
    }
    free(env);
    int ends[] = {in[0], out[1], er[1]};
    for (int i = 0; i < 3; i++)
        cx_proc_close_fd(&ends[i]);
    if (rc == 0 &&
        (set_nonblock(in[1]) != 0 || set_nonblock(out[0]) != 0 || set_nonblock(er[0]) != 0)) {
        rc = errno; /* cannot happen on a fresh pipe; still, never leave a child unattended */
        p->stdin_fd = in[1], p->stdout_fd = out[0], p->stderr_fd = er[0];
        cx_proc_terminate(p, 0);
        return spawn_error(err, errlen, "spawn", argv0, rc);
    }
    if (rc != 0) {
        int ours[] = {in[1], out[0], er[0]};
        for (int i = 0; i < 3; i++)
            cx_proc_close_fd(&ours[i]);
        p->pid = -1;
        return spawn_error(err, errlen, "spawn", argv0, rc);
    }
    p->stdin_fd = in[1];
    p->stdout_fd = out[0];
    p->stderr_fd = er[0];
    p->pidfd = open_pidfd(p->pid);
    return 0;
}

int cx_proc_signal_group(const cx_proc *p, int sig)
{
    if (p->pid <= 0)
        return -1;
    return kill(-p->pid, sig) == 0 ? 0 : -1;
}

int cx_proc_reap(cx_proc *p, int block)
{
    if (p->reaped)
        return 1;
    if (p->pid <= 0)
        return -1;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(p->pid, &status, block ? 0 : WNOHANG);
        if (r == p->pid) {
            p->reaped = 1;
            p->wait_status = status;
            cx_proc_close_fd(&p->pidfd);
            return 1;
        }
        if (r == 0)
            return 0;
        if (errno == ECHILD) {
            /* Someone else reaped it (SIGCHLD ignored by the host): gone, status unknown. */
            p->reaped = 1;
            p->status_lost = 1;
            cx_proc_close_fd(&p->pidfd);
            return 1;
        }
        if (errno != EINTR)
            return -1;
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Waits up to ms for the child to exit: on its pidfd when there is one, else by polling waitpid. */
static void wait_exit(cx_proc *p, int ms)
{
    if (p->pidfd >= 0) {
        struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
        while (poll(&pfd, 1, ms) < 0 && errno == EINTR) {
        }
        cx_proc_reap(p, 0);
        return;
    }
    for (int waited = 0; waited < ms && cx_proc_reap(p, 0) == 0; waited += 5)
        sleep_ms(5);
}

void cx_proc_terminate(cx_proc *p, int grace_ms)
{
    if (p->pid > 0 && !p->reaped) {
        cx_proc_signal_group(p, SIGTERM);
        if (grace_ms > 0)
            wait_exit(p, grace_ms);
    }
    if (p->pid > 0)
        cx_proc_signal_group(p, SIGKILL); /* also any grandchild left in the group */
    if (p->pid > 0 && !p->reaped)
        cx_proc_reap(p, 1);
    cx_proc_close_fds(p);
}

void cx_proc_status(const cx_proc *p, int *exit_code, int *signal)
{
    *exit_code = -1;
    *signal = 0;
    if (!p->reaped || p->status_lost)
        return;
    if (WIFEXITED(p->wait_status))
        *exit_code = WEXITSTATUS(p->wait_status);
    else if (WIFSIGNALED(p->wait_status))
        *signal = WTERMSIG(p->wait_status);
}
