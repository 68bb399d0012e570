#include "check.h"
#include "git_head.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHA_A "0123456789abcdef0123456789abcdef01234567"
#define SHA_B "89abcdef0123456789abcdef0123456789abcdef"
#define SHA_256 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static char base[256];

static const char *at(const char *rel)
{
    static char buf[8][512];
    static int slot;
    slot = (slot + 1) % 8;
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", base, rel);
    return buf[slot];
}

static void mkdirs(const char *rel)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", at(rel));
    CHECK_INT(system(cmd), 0);
}

static void put(const char *rel, const char *text)
{
    FILE *f = fopen(at(rel), "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

/* A fresh repository directory rel with .git/{HEAD,refs/heads}. */
static void repo(const char *rel, const char *head)
{
    char path[300];
    snprintf(path, sizeof path, "%s/.git/refs/heads", rel);
    mkdirs(path);
    snprintf(path, sizeof path, "%s/.git/HEAD", rel);
    put(path, head);
}

static int head_of(const char *rel, cx_git_head *h, char *err, size_t errlen)
{
    return cx_git_head_read(at(rel), h, err, errlen);
}

static void test_loose_and_packed(void)
{
    cx_git_head h;
    char err[512];
    repo("loose", "ref: refs/heads/main\n");
    put("loose/.git/refs/heads/main", SHA_A "\n");
    CHECK_INT(head_of("loose", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_A);
    CHECK_STR(h.ref, "refs/heads/main");
    CHECK_INT(h.detached, 0);

    /* packed-refs only: the header, other refs and peeled lines are skipped */
    repo("packed", "ref: refs/heads/main\n");
    put("packed/.git/packed-refs",
        "# pack-refs with: peeled fully-peeled sorted \n" SHA_B " refs/heads/feature\n" SHA_A
        " refs/heads/main\n" SHA_B " refs/tags/v1\n^" SHA_A "\n");
    CHECK_INT(head_of("packed", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_A);

    /* a loose ref wins over its packed copy (git writes the new value loose) */
    put("packed/.git/refs/heads/main", SHA_B "\n");
    CHECK_INT(head_of("packed", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_B);

    /* a prefix of the name is not the name */
    repo("prefix", "ref: refs/heads/ma\n");
    put("prefix/.git/packed-refs", SHA_A " refs/heads/main\n");
    CHECK_INT(head_of("prefix", &h, err, sizeof err), CX_GIT_UNBORN);

    /* a malformed packed line for our ref is reported, not skipped */
    repo("badpack", "ref: refs/heads/main\n");
    put("badpack/.git/packed-refs", "xyz refs/heads/main\n");
    CHECK_INT(head_of("badpack", &h, err, sizeof err), CX_GIT_INVALID);
    CHECK(strstr(err, "packed-refs") != NULL);
}

static void test_detached_and_formats(void)
{
    cx_git_head h;
    char err[512];
    repo("detached", SHA_A "\n");
    CHECK_INT(head_of("detached", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_A);
    CHECK_STR(h.ref, "");
    CHECK_INT(h.detached, 1);

    repo("sha256", "ref: refs/heads/main\n");
    put("sha256/.git/refs/heads/main", SHA_256 "\n");
    CHECK_INT(head_of("sha256", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_256);

    repo("upper", "0123456789ABCDEF0123456789ABCDEF01234567\n");
    CHECK_INT(head_of("upper", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_A);

    /* no newline, spaces after "ref:" */
    repo("spaced", "ref:   refs/heads/main");
    put("spaced/.git/refs/heads/main", SHA_A);
    CHECK_INT(head_of("spaced", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_A);
}

static void test_unborn_and_missing(void)
{
    cx_git_head h;
    char err[512];
    repo("unborn", "ref: refs/heads/main\n");
    CHECK_INT(head_of("unborn", &h, err, sizeof err), CX_GIT_UNBORN);
    CHECK_STR(h.ref, "refs/heads/main");
    CHECK_STR(h.sha, "");

    mkdirs("plain");
    CHECK_INT(head_of("plain", &h, err, sizeof err), CX_GIT_NOT_REPO);
    CHECK(strstr(err, "no .git") != NULL);
    CHECK_STR(cx_git_status_class(CX_GIT_NOT_REPO), "not_repo");

    mkdirs("nohead/.git");
    CHECK_INT(head_of("nohead", &h, err, sizeof err), CX_GIT_INVALID);
    CHECK(strstr(err, "HEAD is missing") != NULL);
}

static void test_corrupt(void)
{
    cx_git_head h;
    char err[512];
    const char *bad[] = {"garbage\n",
                         "0123\n",
                         SHA_A "0\n",
                         "ref: refs/heads/../../../etc/passwd\n",
                         "ref: /etc/passwd\n",
                         "ref: refs/heads/a b\n",
                         "ref: refs/heads/x.lock\n",
                         "ref: refs/heads/.hidden\n",
                         "ref: HEAD\n",
                         "ref: \n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        repo("corrupt", bad[i]);
        CHECK_INT(head_of("corrupt", &h, err, sizeof err), CX_GIT_INVALID);
        CHECK_STR(h.sha, "");
        CHECK_STR(cx_git_status_class(CX_GIT_INVALID), "invalid");
    }
    /* a ref file that holds no object name */
    repo("badref", "ref: refs/heads/main\n");
    put("badref/.git/refs/heads/main", "not a sha\n");
    CHECK_INT(head_of("badref", &h, err, sizeof err), CX_GIT_INVALID);
    /* a NUL byte */
    repo("nul", "");
    FILE *f = fopen(at("nul/.git/HEAD"), "wb");
    if (f) {
        fwrite(SHA_A "\0x", 1, 42, f);
        fclose(f);
    }
    CHECK_INT(head_of("nul", &h, err, sizeof err), CX_GIT_INVALID);
    /* the reftable placeholder */
    repo("reftable", "ref: refs/heads/.invalid\n");
    mkdirs("reftable/.git/reftable");
    CHECK_INT(head_of("reftable", &h, err, sizeof err), CX_GIT_UNSUPPORTED);
    CHECK_STR(cx_git_status_class(CX_GIT_UNSUPPORTED), "unsupported");
}

static void test_symrefs(void)
{
    cx_git_head h;
    char err[512];
    repo("symref", "ref: refs/heads/alias\n");
    put("symref/.git/refs/heads/alias", "ref: refs/heads/main\n");
    put("symref/.git/refs/heads/main", SHA_B "\n");
    CHECK_INT(head_of("symref", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_B);
    CHECK_STR(h.ref, "refs/heads/alias");

    repo("cycle", "ref: refs/heads/a\n");
    put("cycle/.git/refs/heads/a", "ref: refs/heads/b\n");
    put("cycle/.git/refs/heads/b", "ref: refs/heads/a\n");
    CHECK_INT(head_of("cycle", &h, err, sizeof err), CX_GIT_INVALID);
    CHECK(strstr(err, "too deep") != NULL);
}

static void test_refused_files(void)
{
    cx_git_head h;
    char err[512];
    /* HEAD as a symlink (even to a valid file) */
    repo("linkhead", "ref: refs/heads/main\n");
    put("linkhead/.git/real-head", SHA_A "\n");
    unlink(at("linkhead/.git/HEAD"));
    CHECK_INT(symlink("real-head", at("linkhead/.git/HEAD")), 0);
    CHECK_INT(head_of("linkhead", &h, err, sizeof err), CX_GIT_INVALID);
    CHECK(strstr(err, "symbolic link") != NULL);

    /* a ref as a symlink */
    repo("linkref", "ref: refs/heads/main\n");
    put("linkref/target", SHA_A "\n");
    CHECK_INT(symlink(at("linkref/target"), at("linkref/.git/refs/heads/main")), 0);
    CHECK_INT(head_of("linkref", &h, err, sizeof err), CX_GIT_INVALID);

    /* packed-refs as a symlink */
    repo("linkpack", "ref: refs/heads/main\n");
    put("linkpack/pr", SHA_A " refs/heads/main\n");
    CHECK_INT(symlink(at("linkpack/pr"), at("linkpack/.git/packed-refs")), 0);
    CHECK_INT(head_of("linkpack", &h, err, sizeof err), CX_GIT_INVALID);

    /* a huge HEAD */
    repo("huge", "");
    FILE *f = fopen(at("huge/.git/HEAD"), "wb");
    if (f) {
        for (int i = 0; i < 200; i++)
            fputs(SHA_A "\n", f);
        fclose(f);
    }
    CHECK_INT(head_of("huge", &h, err, sizeof err), CX_GIT_INVALID);
    CHECK(strstr(err, "larger than") != NULL);

    /* a FIFO is refused without blocking on open */
    repo("fifo", "");
    unlink(at("fifo/.git/HEAD"));
    CHECK_INT(mkfifo(at("fifo/.git/HEAD"), 0600), 0);
    CHECK_INT(head_of("fifo", &h, err, sizeof err), CX_GIT_INVALID);
    CHECK(strstr(err, "not a regular file") != NULL);

    /* a directory where a ref should be */
    repo("dirref", "ref: refs/heads/main\n");
    mkdirs("dirref/.git/refs/heads/main");
    CHECK_INT(head_of("dirref", &h, err, sizeof err), CX_GIT_INVALID);
}

static void test_worktrees(void)
{
    cx_git_head h;
    char err[512];
    /* the main repository holds the shared refs; the worktree's gitdir has its own HEAD */
    repo("main", "ref: refs/heads/main\n");
    put("main/.git/packed-refs", SHA_A " refs/heads/main\n" SHA_B " refs/heads/topic\n");
    mkdirs("main/.git/worktrees/wt");
    put("main/.git/worktrees/wt/HEAD", "ref: refs/heads/topic\n");
    put("main/.git/worktrees/wt/commondir", "../..\n");
    mkdirs("wt");
    put("wt/.git", "gitdir: ../main/.git/worktrees/wt\n"); /* relative, as git may write it */
    CHECK_INT(head_of("wt", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_B);
    CHECK_STR(h.ref, "refs/heads/topic");

    /* an absolute gitdir, a detached worktree */
    char line[600];
    snprintf(line, sizeof line, "gitdir: %s\n", at("main/.git/worktrees/wt"));
    put("wt/.git", line);
    put("main/.git/worktrees/wt/HEAD", SHA_A "\n");
    CHECK_INT(head_of("wt", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_A);
    CHECK_INT(h.detached, 1);

    /* per-worktree refs are read from the worktree's own gitdir */
    put("main/.git/worktrees/wt/HEAD", "ref: refs/bisect/bad\n");
    mkdirs("main/.git/worktrees/wt/refs/bisect");
    put("main/.git/worktrees/wt/refs/bisect/bad", SHA_B "\n");
    CHECK_INT(head_of("wt", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_B);

    /* a submodule-style gitdir file without commondir */
    repo("modules/sub", "ref: refs/heads/main\n");
    put("modules/sub/.git/refs/heads/main", SHA_A "\n");
    mkdirs("sub");
    snprintf(line, sizeof line, "gitdir: %s\n", at("modules/sub/.git"));
    put("sub/.git", line);
    CHECK_INT(head_of("sub", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_A);

    /* malformed .git files */
    put("wt/.git", "nonsense\n");
    CHECK_INT(head_of("wt", &h, err, sizeof err), CX_GIT_INVALID);
    CHECK(strstr(err, "gitdir:") != NULL);
    put("wt/.git", "gitdir:\n");
    CHECK_INT(head_of("wt", &h, err, sizeof err), CX_GIT_INVALID);
    put("wt/.git", "gitdir: ../nowhere\n");
    CHECK_INT(head_of("wt", &h, err, sizeof err), CX_GIT_INVALID);

    /* .git as a symlink to a repository directory is followed (some tools make it so) ... */
    mkdirs("linked");
    CHECK_INT(symlink(at("loose/.git"), at("linked/.git")), 0);
    CHECK_INT(head_of("linked", &h, err, sizeof err), CX_GIT_OK);
    CHECK_STR(h.sha, SHA_A);
    /* ... but a .git file is never read through a symlink */
    mkdirs("linkedfile");
    put("gitfile", line);
    CHECK_INT(symlink(at("gitfile"), at("linkedfile/.git")), 0);
    CHECK_INT(head_of("linkedfile", &h, err, sizeof err), CX_GIT_INVALID);
}

int main(void)
{
    snprintf(base, sizeof base, "/tmp/cx_test_git_head.XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    test_loose_and_packed();
    test_detached_and_formats();
    test_unborn_and_missing();
    test_corrupt();
    test_symrefs();
    test_refused_files();
    test_worktrees();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    CHECK_INT(system(cmd), 0);
    return CHECK_DONE();
}
