/* filelock: exclusive and shared flocks between open file descriptions and processes, release on
 * the holder's death, the holder's note, refusal of symlinks and non-regular files. */
#include "check.h"
#include "filelock.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[] = "/tmp/cx_test_filelock.XXXXXX";

static const char *at(const char *rel)
{
    static char buf[4][512];
    static int slot;
    slot = (slot + 1) % 4;
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", root, rel);
    return buf[slot];
}

static void test_exclusive_and_shared(void)
{
    char err[512];
    int a = -1, b = -1, c = -1;
    CHECK_INT(cx_filelock_acquire(at("x.lock"), 1, 0, &a, err, sizeof err), CX_FILELOCK_OK);
    CHECK(a >= 0);
    /* a second open file description conflicts, even in the same process */
    CHECK_INT(cx_filelock_acquire(at("x.lock"), 1, 0, &b, err, sizeof err), CX_FILELOCK_BUSY);
    CHECK_INT(b, -1);
    CHECK(strstr(err, "x.lock") != NULL);
    CHECK_STR(cx_filelock_status_class(CX_FILELOCK_BUSY), "busy");
    CHECK_INT(cx_filelock_acquire(at("x.lock"), 0, 0, &b, err, sizeof err), CX_FILELOCK_BUSY);
    cx_filelock_release(a);
    /* shared locks coexist; an exclusive one waits for them */
    CHECK_INT(cx_filelock_acquire(at("x.lock"), 0, 0, &b, err, sizeof err), CX_FILELOCK_OK);
    CHECK_INT(cx_filelock_acquire(at("x.lock"), 0, 0, &c, err, sizeof err), CX_FILELOCK_OK);
    CHECK_INT(cx_filelock_acquire(at("x.lock"), 1, 0, &a, err, sizeof err), CX_FILELOCK_BUSY);
    cx_filelock_release(b);
    cx_filelock_release(c);
    CHECK_INT(cx_filelock_acquire(at("x.lock"), 1, 1, &a, err, sizeof err), CX_FILELOCK_OK);
    cx_filelock_release(a);
    cx_filelock_release(-1); /* ignored */
}

static void test_note(void)
{
    char err[512], buf[CX_FILELOCK_NOTE_MAX + 1];
    size_t len = 99;
    int fd = -1;
    CHECK_INT(cx_filelock_acquire(at("n.lock"), 1, 1, &fd, err, sizeof err), CX_FILELOCK_OK);
    CHECK_INT(cx_filelock_write_note(fd, "first note, longer", 18, err, sizeof err),
              CX_FILELOCK_OK);
    CHECK_INT(cx_filelock_write_note(fd, "pid 12", 6, err, sizeof err), CX_FILELOCK_OK);
    /* read without the lock: the last note only */
    CHECK_INT(cx_filelock_read_note(at("n.lock"), buf, sizeof buf, &len, err, sizeof err),
              CX_FILELOCK_OK);
    CHECK_STR(buf, "pid 12");
    CHECK_INT(len, 6);
    cx_filelock_release(fd);
    CHECK_INT(cx_filelock_write_note(-1, "x", 1, err, sizeof err), CX_FILELOCK_INVALID);
    CHECK_INT(cx_filelock_read_note(at("none.lock"), buf, sizeof buf, &len, err, sizeof err),
              CX_FILELOCK_NOT_FOUND);
    CHECK(strstr(err, "none.lock") != NULL);
    CHECK_INT(cx_filelock_read_note(at("n.lock"), buf, 8, &len, err, sizeof err),
              CX_FILELOCK_INVALID);
    /* a long note is cut at the bound */
    FILE *f = fopen(at("big.lock"), "w");
    for (int i = 0; i < CX_FILELOCK_NOTE_MAX + 100; i++)
        fputc('a', f);
    fclose(f);
    CHECK_INT(cx_filelock_read_note(at("big.lock"), buf, sizeof buf, &len, err, sizeof err),
              CX_FILELOCK_OK);
    CHECK_INT(len, CX_FILELOCK_NOTE_MAX);
    CHECK_INT(strlen(buf), CX_FILELOCK_NOTE_MAX);
}

static void test_refusals(void)
{
    char err[512], buf[CX_FILELOCK_NOTE_MAX + 1];
    size_t len;
    int fd = -1;
    FILE *f = fopen(at("target"), "w");
    fclose(f);
    CHECK_INT(symlink(at("target"), at("link.lock")), 0);
    CHECK_INT(cx_filelock_acquire(at("link.lock"), 1, 0, &fd, err, sizeof err),
              CX_FILELOCK_INVALID);
    CHECK(strstr(err, "symbolic link") != NULL);
    CHECK_INT(cx_filelock_read_note(at("link.lock"), buf, sizeof buf, &len, err, sizeof err),
              CX_FILELOCK_INVALID);
    CHECK_INT(mkdir(at("dir.lock"), 0755), 0);
    CHECK_INT(cx_filelock_acquire(at("dir.lock"), 1, 0, &fd, err, sizeof err), CX_FILELOCK_INVALID);
    CHECK_INT(mkfifo(at("fifo.lock"), 0644), 0);
    CHECK_INT(cx_filelock_acquire(at("fifo.lock"), 1, 0, &fd, err, sizeof err),
              CX_FILELOCK_INVALID);
    CHECK(strstr(err, "not a regular file") != NULL);
    CHECK_INT(fd, -1);
    CHECK_INT(cx_filelock_acquire(at("no/such/dir.lock"), 1, 0, &fd, err, sizeof err),
              CX_FILELOCK_NOT_FOUND);
    CHECK_INT(cx_filelock_acquire("", 1, 0, &fd, err, sizeof err), CX_FILELOCK_INVALID);
}

/* A child takes the lock and is killed without releasing it: the lock dies with it. */
static void test_released_on_death(void)
{
    char err[512];
    int p[2];
    CHECK_INT(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = -1;
        close(p[0]);
        if (cx_filelock_acquire(at("d.lock"), 1, 1, &fd, err, sizeof err) != CX_FILELOCK_OK)
            _exit(3);
        if (write(p[1], "x", 1) != 1)
            _exit(4);
        for (;;)
            pause();
    }
    close(p[1]);
    char c;
    CHECK_INT(read(p[0], &c, 1), 1); /* the child holds the lock now */
    close(p[0]);
    int fd = -1;
    CHECK_INT(cx_filelock_acquire(at("d.lock"), 1, 0, &fd, err, sizeof err), CX_FILELOCK_BUSY);
    CHECK(cx_filelock_pid_alive((long)pid));
    kill(pid, SIGKILL);
    int status;
    CHECK_INT(waitpid(pid, &status, 0), pid);
    CHECK(!cx_filelock_pid_alive((long)pid));
    CHECK_INT(cx_filelock_acquire(at("d.lock"), 1, 0, &fd, err, sizeof err), CX_FILELOCK_OK);
    cx_filelock_release(fd);
}

static void test_pid_alive(void)
{
    CHECK(cx_filelock_pid_alive((long)getpid()));
    CHECK(cx_filelock_pid_alive(1)); /* exists; EPERM counts as alive */
    CHECK(!cx_filelock_pid_alive(0));
    CHECK(!cx_filelock_pid_alive(-5));
}

int main(void)
{
    if (!mkdtemp(root))
        return 1;
    test_exclusive_and_shared();
    test_note();
    test_refusals();
    test_released_on_death();
    test_pid_alive();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", root);
    return CHECK_DONE();
}
