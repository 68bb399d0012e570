#include "check.h"
#include "fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char root[256];

static const char *at(const char *rel)
{
    static char buf[4][512];
    static int slot;
    slot = (slot + 1) % 4;
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", root, rel);
    return buf[slot];
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char data[4096];
    size_t n = fread(data, 1, sizeof data - 1, f);
    data[n] = '\0';
    fclose(f);
    return data;
}

static void test_mkdir_p(void)
{
    char err[512];
    CHECK_INT(cx_fs_mkdir_p(at("a/b/c"), err, sizeof err), CX_FS_OK);
    CHECK(cx_fs_is_dir(at("a/b/c")));
    /* existing directory: fine */
    CHECK_INT(cx_fs_mkdir_p(at("a/b"), err, sizeof err), CX_FS_OK);
    CHECK_INT(cx_fs_mkdir_p(at("a/b/c/"), err, sizeof err), CX_FS_OK);
    /* a file in the way */
    FILE *f = fopen(at("plain"), "w");
    fclose(f);
    CHECK_INT(cx_fs_mkdir_p(at("plain/x"), err, sizeof err), CX_FS_NOT_FOUND);
    CHECK(strstr(err, "plain") != NULL);
    CHECK_INT(cx_fs_mkdir_p(at("plain"), err, sizeof err), CX_FS_NOT_FOUND);
    CHECK_INT(cx_fs_mkdir_p("", err, sizeof err), CX_FS_INVALID);
}

static void test_write_atomic(void)
{
    char err[512];
    CHECK_INT(cx_fs_write_atomic(at("w.json"), "{\"a\":1}\n", 8, err, sizeof err), CX_FS_OK);
    CHECK_STR(slurp(at("w.json")), "{\"a\":1}\n");
    CHECK_INT(cx_fs_write_atomic(at("w.json"), "x", 1, err, sizeof err), CX_FS_OK);
    CHECK_STR(slurp(at("w.json")), "x");
    /* empty content is a valid file */
    CHECK_INT(cx_fs_write_atomic(at("empty"), "", 0, err, sizeof err), CX_FS_OK);
    CHECK_STR(slurp(at("empty")), "");
    /* an existing file keeps its mode */
    chmod(at("w.json"), 0600);
    CHECK_INT(cx_fs_write_atomic(at("w.json"), "y", 1, err, sizeof err), CX_FS_OK);
    struct stat sb;
    stat(at("w.json"), &sb);
    CHECK_INT(sb.st_mode & 0777, 0600);
    /* the directory does not exist */
    CHECK_INT(cx_fs_write_atomic(at("nodir/f"), "x", 1, err, sizeof err), CX_FS_NOT_FOUND);
    CHECK(strstr(err, "nodir/f") != NULL);
    /* rename onto a directory fails and leaves no temporary behind */
    CHECK_INT(cx_fs_mkdir_p(at("t/target"), err, sizeof err), CX_FS_OK);
    CHECK(cx_fs_write_atomic(at("t/target"), "x", 1, err, sizeof err) < 0);
    CHECK(strstr(err, "t/target") != NULL);
    char **names;
    size_t n;
    CHECK_INT(cx_fs_list_dir(at("t"), &names, &n, err, sizeof err), CX_FS_OK);
    CHECK_INT(n, 1);
    cx_fs_names_free(names, n);
    /* an unwritable directory (skipped as root, who may write anywhere) */
    if (geteuid() != 0) {
        CHECK_INT(cx_fs_mkdir_p(at("ro"), err, sizeof err), CX_FS_OK);
        chmod(at("ro"), 0500);
        CHECK_INT(cx_fs_write_atomic(at("ro/f"), "x", 1, err, sizeof err), CX_FS_PERMISSION);
        chmod(at("ro"), 0700);
    }
}

static void test_list_dir(void)
{
    char err[512];
    CHECK_INT(cx_fs_mkdir_p(at("l"), err, sizeof err), CX_FS_OK);
    const char *files[] = {"l/b", "l/a", "l/C", "l/.hidden"};
    for (int i = 0; i < 4; i++)
        CHECK_INT(cx_fs_write_atomic(at(files[i]), "", 0, err, sizeof err), CX_FS_OK);
    char **names;
    size_t n;
    CHECK_INT(cx_fs_list_dir(at("l"), &names, &n, err, sizeof err), CX_FS_OK);
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK_STR(names[0], ".hidden");
        CHECK_STR(names[1], "C");
        CHECK_STR(names[2], "a");
        CHECK_STR(names[3], "b");
    }
    cx_fs_names_free(names, n);
    CHECK_INT(cx_fs_list_dir(at("missing"), &names, &n, err, sizeof err), CX_FS_NOT_FOUND);
    CHECK(strstr(err, "missing") != NULL);
    CHECK(names == NULL && n == 0);
}

static void put(const char *rel, const char *text)
{
    FILE *f = fopen(at(rel), "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Regular files open; FIFOs, directories, devices and sockets are refused at once, never waited
 * on, and the message names the path and what it is. */
static void test_open_types(void)
{
    char err[512];
    int fd;
    put("reg", "abc");
    CHECK_INT(cx_fs_open(at("reg"), O_RDONLY, 0, &fd, err, sizeof err), CX_FS_OK);
    CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
    close(fd);
    CHECK_INT(mkfifo(at("fifo"), 0600), 0);
    /* without a writer a blocking open for reading would hang; for writing it would fail ENXIO */
    CHECK_INT(cx_fs_open(at("fifo"), O_RDONLY, 0, &fd, err, sizeof err), CX_FS_NOT_REGULAR);
    CHECK(strstr(err, "fifo: it is a FIFO, not a regular file") != NULL);
    CHECK_INT(fd, -1);
    CHECK_INT(cx_fs_open(at("fifo"), O_WRONLY | O_APPEND, 0, &fd, err, sizeof err),
              CX_FS_NOT_REGULAR);
    CHECK(strstr(err, "FIFO") != NULL);
    CHECK_INT(cx_fs_open(at("fifo"), O_RDWR | O_APPEND | O_CREAT, 0, &fd, err, sizeof err),
              CX_FS_NOT_REGULAR);
    CHECK_INT(cx_fs_open(at("a"), O_RDONLY, 0, &fd, err, sizeof err), CX_FS_NOT_REGULAR);
    CHECK(strstr(err, "a directory") != NULL);
    CHECK_INT(cx_fs_open(at("a"), O_WRONLY, 0, &fd, err, sizeof err), CX_FS_NOT_REGULAR);
    CHECK_INT(cx_fs_open("/dev/null", O_RDONLY, CX_FS_FOLLOW, &fd, err, sizeof err),
              CX_FS_NOT_REGULAR);
    CHECK(strstr(err, "/dev/null: it is a character device") != NULL);
    /* user-named input may be a device or a FIFO, never a directory */
    CHECK_INT(
        cx_fs_open("/dev/null", O_RDONLY, CX_FS_FOLLOW | CX_FS_ANY_TYPE, &fd, err, sizeof err),
        CX_FS_OK);
    close(fd);
    CHECK_INT(cx_fs_open(at("fifo"), O_RDONLY, CX_FS_ANY_TYPE, &fd, err, sizeof err), CX_FS_OK);
    close(fd);
    CHECK_INT(cx_fs_open(at("a"), O_RDONLY, CX_FS_ANY_TYPE, &fd, err, sizeof err),
              CX_FS_NOT_REGULAR);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("sock"));
    if (s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
        CHECK_INT(cx_fs_open(at("sock"), O_RDONLY, 0, &fd, err, sizeof err), CX_FS_NOT_REGULAR);
        CHECK(strstr(err, "a socket") != NULL);
    }
    if (s >= 0)
        close(s);
    CHECK_INT(cx_fs_open(at("nothing"), O_RDONLY, 0, &fd, err, sizeof err), CX_FS_NOT_FOUND);
    CHECK_INT(
        cx_fs_open(at("new/deep/file"), O_WRONLY | O_CREAT, CX_FS_MKDIRS, &fd, err, sizeof err),
        CX_FS_OK);
    close(fd);
    CHECK(cx_fs_exists(at("new/deep/file")));
    CHECK_INT(cx_fs_open("", O_RDONLY, 0, &fd, err, sizeof err), CX_FS_INVALID);
    CHECK_STR(cx_fs_status_class(CX_FS_NOT_REGULAR), "not_regular");
    CHECK_STR(cx_fs_status_class(CX_FS_SYMLINK), "symlink");
    CHECK_STR(cx_fs_status_class(CX_FS_TOO_LARGE), "too_large");
    CHECK_STR(cx_fs_status_class(CX_FS_EXISTS), "exists");
}

/* The data-directory rule: nothing from .codex down is followed through a symlink; above it and
 * (with CX_FS_FOLLOW) for user-named files outside it, symlinks resolve as usual. */
static void test_symlink_rule(void)
{
    char err[512];
    int fd;
    char *data;
    size_t len;
    CHECK_INT(cx_fs_mkdir_p(at("outside"), err, sizeof err), CX_FS_OK);
    put("outside/runs.jsonl", "x\n");
    put("outside/target", "t");
    /* the last component */
    CHECK_INT(symlink(at("outside/target"), at("link")), 0);
    CHECK_INT(cx_fs_open(at("link"), O_RDONLY, 0, &fd, err, sizeof err), CX_FS_SYMLINK);
    CHECK(strstr(err, "link: it is a symbolic link") != NULL);
    CHECK_INT(cx_fs_open(at("link"), O_RDONLY, CX_FS_FOLLOW, &fd, err, sizeof err), CX_FS_OK);
    close(fd);
    /* a symlinked .codex, .codex/cxlogs, .codex/quarantine, or file under .codex */
    CHECK_INT(cx_fs_mkdir_p(at("r1"), err, sizeof err), CX_FS_OK);
    CHECK_INT(symlink(at("outside"), at("r1/.codex")), 0);
    CHECK_INT(cx_fs_open(at("r1/.codex/runs.jsonl"), O_RDONLY, CX_FS_FOLLOW, &fd, err, sizeof err),
              CX_FS_SYMLINK);
    CHECK(strstr(err, "r1/.codex is a symbolic link") != NULL);
    CHECK_INT(cx_fs_mkdir_p(at("r1/.codex/cxlogs"), err, sizeof err), CX_FS_SYMLINK);
    CHECK_INT(cx_fs_mkdir_p(at("r1/.codex"), err, sizeof err), CX_FS_SYMLINK);
    CHECK_INT(cx_fs_write_atomic(at("r1/.codex/state.json"), "{}", 2, err, sizeof err),
              CX_FS_SYMLINK);
    CHECK(!cx_fs_exists(at("outside/state.json")));
    char **names;
    size_t n;
    CHECK_INT(cx_fs_list_dir(at("r1/.codex"), &names, &n, err, sizeof err), CX_FS_SYMLINK);
    CHECK_INT(cx_fs_mkdir_p(at("r2/.codex"), err, sizeof err), CX_FS_OK);
    CHECK_INT(symlink(at("outside"), at("r2/.codex/cxlogs")), 0);
    CHECK_INT(cx_fs_open(at("r2/.codex/cxlogs/runs.jsonl"), O_RDWR | O_APPEND | O_CREAT,
                         CX_FS_FOLLOW | CX_FS_MKDIRS, &fd, err, sizeof err),
              CX_FS_SYMLINK);
    CHECK(strstr(err, "r2/.codex/cxlogs is a symbolic link") != NULL);
    CHECK_INT(symlink(at("outside"), at("r2/.codex/quarantine")), 0);
    CHECK_INT(cx_fs_list_dir(at("r2/.codex/quarantine"), &names, &n, err, sizeof err),
              CX_FS_SYMLINK);
    CHECK_INT(cx_fs_write_atomic(at("r2/.codex/quarantine/q.json"), "{}", 2, err, sizeof err),
              CX_FS_SYMLINK);
    CHECK_INT(symlink(at("outside/target"), at("r2/.codex/state.json")), 0);
    CHECK_INT(cx_fs_read_file(at("r2/.codex/state.json"), CX_FS_FOLLOW, 100, &data, &len, err,
                              sizeof err),
              CX_FS_SYMLINK);
    CHECK_INT(cx_fs_write_atomic(at("r2/.codex/state.json"), "{}", 2, err, sizeof err),
              CX_FS_SYMLINK);
    CHECK_STR(slurp(at("outside/target")), "t");
    /* '..' cannot climb out of .codex */
    CHECK_INT(cx_fs_open(at("r2/.codex/../../outside/target"), O_RDONLY, 0, &fd, err, sizeof err),
              CX_FS_INVALID);
    /* a symlink above .codex is not cx's business: a repository reached through a symlink works */
    CHECK_INT(cx_fs_mkdir_p(at("real/.codex/cxlogs"), err, sizeof err), CX_FS_OK);
    CHECK_INT(symlink(at("real"), at("alias")), 0);
    CHECK_INT(cx_fs_write_atomic(at("alias/.codex/cxlogs/x"), "ok", 2, err, sizeof err), CX_FS_OK);
    CHECK_STR(slurp(at("real/.codex/cxlogs/x")), "ok");
    CHECK_INT(cx_fs_list_dir(at("alias/.codex/cxlogs"), &names, &n, err, sizeof err), CX_FS_OK);
    CHECK_INT(n, 1);
    cx_fs_names_free(names, n);
    /* relative paths starting at .codex, and the innermost .codex decides */
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK_INT(chdir(at("r2")), 0);
    CHECK_INT(cx_fs_open(".codex/cxlogs/runs.jsonl", O_RDONLY, CX_FS_FOLLOW, &fd, err, sizeof err),
              CX_FS_SYMLINK);
    CHECK_INT(cx_fs_mkdir_p(".codex/in/.codex/deep", err, sizeof err), CX_FS_OK);
    CHECK_INT(chdir(cwd), 0);
    /* creating directories under .codex never goes through a symlink either */
    CHECK_INT(cx_fs_mkdir_p(at("r3/.codex/a/b"), err, sizeof err), CX_FS_OK);
    CHECK(cx_fs_is_dir(at("r3/.codex/a/b")));
}

static void test_read_file(void)
{
    char err[512];
    char *data;
    size_t len;
    put("rf", "0123456789");
    CHECK_INT(cx_fs_read_file(at("rf"), 0, 10, &data, &len, err, sizeof err), CX_FS_OK);
    CHECK_INT(len, 10);
    CHECK_STR(data, "0123456789");
    free(data);
    CHECK_INT(cx_fs_read_file(at("rf"), 0, 9, &data, &len, err, sizeof err), CX_FS_TOO_LARGE);
    CHECK(data == NULL && strstr(err, "rf: it is larger than the 9-byte limit") != NULL);
    CHECK_INT(cx_fs_read_file(at("rf"), CX_FS_TAIL, 4, &data, &len, err, sizeof err), CX_FS_OK);
    CHECK_STR(data, "6789");
    free(data);
    put("empty", "");
    CHECK_INT(cx_fs_read_file(at("empty"), 0, 1, &data, &len, err, sizeof err), CX_FS_OK);
    CHECK_INT(len, 0);
    CHECK_STR(data, "");
    free(data);
    /* an endless device ends at the bound with a message, not when memory runs out */
    CHECK_INT(cx_fs_read_file("/dev/zero", CX_FS_FOLLOW | CX_FS_ANY_TYPE, 100000, &data, &len, err,
                              sizeof err),
              CX_FS_TOO_LARGE);
    CHECK(strstr(err, "/dev/zero") != NULL);
    CHECK_INT(cx_fs_read_file("/dev/zero", CX_FS_FOLLOW, 100, &data, &len, err, sizeof err),
              CX_FS_NOT_REGULAR);
    CHECK_INT(cx_fs_read_file(at("fifo"), 0, 100, &data, &len, err, sizeof err), CX_FS_NOT_REGULAR);
    /* a FIFO without a writer reads as empty when any type is allowed: no hang */
    CHECK_INT(cx_fs_read_file(at("fifo"), CX_FS_ANY_TYPE, 100, &data, &len, err, sizeof err),
              CX_FS_OK);
    CHECK_INT(len, 0);
    free(data);
    CHECK_INT(cx_fs_read_file(at("rf"), 0, 0, &data, &len, err, sizeof err), CX_FS_INVALID);
}

static void test_write_modes(void)
{
    char err[512];
    CHECK_INT(
        cx_fs_write_file(at("nr/one"), "1", 1, CX_FS_NO_REPLACE | CX_FS_MKDIRS, err, sizeof err),
        CX_FS_OK);
    CHECK_INT(cx_fs_write_file(at("nr/one"), "2", 1, CX_FS_NO_REPLACE, err, sizeof err),
              CX_FS_EXISTS);
    CHECK(strstr(err, "nr/one: it already exists") != NULL);
    CHECK_STR(slurp(at("nr/one")), "1");
    char **names;
    size_t n;
    CHECK_INT(cx_fs_list_dir(at("nr"), &names, &n, err, sizeof err), CX_FS_OK);
    CHECK_INT(n, 1); /* no temporary left behind */
    cx_fs_names_free(names, n);
    /* replacing refuses what is not a regular file */
    CHECK_INT(cx_fs_write_atomic(at("fifo"), "x", 1, err, sizeof err), CX_FS_NOT_REGULAR);
    CHECK_INT(cx_fs_write_atomic(at("link"), "x", 1, err, sizeof err), CX_FS_SYMLINK);
    /* copy: streamed, and a backup never replaces another */
    char big[200000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    CHECK_INT(cx_fs_write_atomic(at("big"), big, sizeof big, err, sizeof err), CX_FS_OK);
    CHECK_INT(cx_fs_copy_file(at("big"), at("nr/big.bak"), CX_FS_NO_REPLACE, err, sizeof err),
              CX_FS_OK);
    char *data;
    size_t len;
    CHECK_INT(cx_fs_read_file(at("nr/big.bak"), 0, sizeof big, &data, &len, err, sizeof err),
              CX_FS_OK);
    CHECK(len == sizeof big && memcmp(data, big, len) == 0);
    free(data);
    CHECK_INT(cx_fs_copy_file(at("rf"), at("nr/big.bak"), CX_FS_NO_REPLACE, err, sizeof err),
              CX_FS_EXISTS);
    CHECK_INT(cx_fs_copy_file(at("fifo"), at("nr/f.bak"), 0, err, sizeof err), CX_FS_NOT_REGULAR);
    CHECK_INT(cx_fs_copy_file(at("missing"), at("nr/m.bak"), 0, err, sizeof err), CX_FS_NOT_FOUND);
    CHECK(!cx_fs_exists(at("nr/m.bak")));
}

static void test_stat(void)
{
    char err[512];
    cx_fs_info info;
    CHECK_INT(cx_fs_write_atomic(at("s"), "12345", 5, err, sizeof err), CX_FS_OK);
    CHECK_INT(cx_fs_stat(at("s"), &info, err, sizeof err), CX_FS_OK);
    CHECK_INT(info.type, CX_FS_FILE);
    CHECK_INT(info.size, 5);
    CHECK(info.mtime > 1600000000);
    CHECK_INT(cx_fs_stat(root, &info, err, sizeof err), CX_FS_OK);
    CHECK_INT(info.type, CX_FS_DIR);
    CHECK_INT(cx_fs_stat("/dev/null", &info, err, sizeof err), CX_FS_OK);
    CHECK_INT(info.type, CX_FS_OTHER);
    CHECK_INT(cx_fs_stat(at("nope"), &info, err, sizeof err), CX_FS_NOT_FOUND);
    CHECK(cx_fs_exists(at("s")));
    CHECK(!cx_fs_exists(at("nope")));
    CHECK(!cx_fs_is_dir(at("s")));
    CHECK(cx_fs_is_dir(root));
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    CHECK(!cx_fs_isatty(pfd[0]));
    CHECK(!cx_fs_isatty(-1));
    close(pfd[0]);
    close(pfd[1]);
}

static void test_paths(void)
{
    char err[512];
    char *cwd, *real;
    CHECK_INT(cx_fs_getcwd(&cwd, err, sizeof err), CX_FS_OK);
    CHECK(cwd[0] == '/');
    free(cwd);
    CHECK_INT(cx_fs_realpath(at("a/b/../b/c"), &real, err, sizeof err), CX_FS_OK);
    CHECK(strstr(real, "/a/b/c") != NULL && strstr(real, "..") == NULL);
    free(real);
    CHECK_INT(cx_fs_realpath(at("nope/x"), &real, err, sizeof err), CX_FS_NOT_FOUND);
    CHECK(strstr(err, "nope/x") != NULL);
}

static void test_random(void)
{
    char err[512], a[33], b[33];
    CHECK_INT(cx_fs_random_hex(16, a, err, sizeof err), CX_FS_OK);
    CHECK_INT(cx_fs_random_hex(16, b, err, sizeof err), CX_FS_OK);
    CHECK_INT(strlen(a), 32);
    CHECK(strspn(a, "0123456789abcdef") == 32);
    CHECK(strcmp(a, b) != 0);
    CHECK_INT(cx_fs_random_hex(0, a, err, sizeof err), CX_FS_INVALID);
    CHECK_INT(cx_fs_random_hex(CX_FS_RANDOM_MAX + 1, a, err, sizeof err), CX_FS_INVALID);
    CHECK_STR(cx_fs_status_class(CX_FS_NOT_FOUND), "not_found");
    CHECK_STR(cx_fs_status_class(CX_FS_PERMISSION), "permission");
    CHECK_STR(cx_fs_status_class(CX_FS_IO), "io");
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/cx_test_fs.XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_mkdir_p();
    test_write_atomic();
    test_list_dir();
    test_stat();
    test_open_types();
    test_symlink_rule();
    test_read_file();
    test_write_modes();
    test_paths();
    test_random();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", root);
    return CHECK_DONE();
}
