#include "check.h"
#include "fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    test_paths();
    test_random();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", root);
    return CHECK_DONE();
}
