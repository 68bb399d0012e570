/* Files written in full or not at all: replace, publish under a free name, abort. */
#include "atomicfile.h"
#include "check.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static char *slurp(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void write_one(const char *path, const char *text, int new_name, char **chosen)
{
    cx_atomicfile *f;
    char err[256];
    CHECK_INT(cx_atomicfile_open(path, &f, err, sizeof err), CX_ATOMICFILE_OK);
    CHECK_INT(cx_atomicfile_write(f, text, strlen(text), err, sizeof err), CX_ATOMICFILE_OK);
    if (new_name)
        CHECK_INT(cx_atomicfile_commit_new(f, chosen, err, sizeof err), CX_ATOMICFILE_OK);
    else
        CHECK_INT(cx_atomicfile_commit(f, err, sizeof err), CX_ATOMICFILE_OK);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/cx_atomicfile.XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    char path[128], other[128];
    snprintf(path, sizeof path, "%s/log", dir);
    char err[256];

    /* replace: the content appears whole; an existing file keeps its mode */
    write_one(path, "one\n", 0, NULL);
    CHECK_STR(slurp(path), "one\n");
    chmod(path, 0600);
    write_one(path, "two\n", 0, NULL);
    CHECK_STR(slurp(path), "two\n");
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK_INT(entries(), 1);

    /* abort: nothing published, nothing left */
    cx_atomicfile *f;
    CHECK_INT(cx_atomicfile_open(path, &f, err, sizeof err), CX_ATOMICFILE_OK);
    CHECK_INT(cx_atomicfile_write(f, "three\n", 6, err, sizeof err), CX_ATOMICFILE_OK);
    CHECK_INT(entries(), 2);
    cx_atomicfile_abort(f);
    cx_atomicfile_abort(NULL);
    CHECK_STR(slurp(path), "two\n");
    CHECK_INT(entries(), 1);

    /* publish under a free name: never over an existing file, nor through a symlink */
    snprintf(other, sizeof other, "%s/bak", dir);
    char *a = NULL, *b = NULL, *c = NULL;
    write_one(other, "A", 1, &a);
    write_one(other, "B", 1, &b);
    char link_name[160];
    snprintf(link_name, sizeof link_name, "%s.2", other);
    CHECK(symlink(path, link_name) == 0);
    write_one(other, "C", 1, &c);
    CHECK_STR(a, other);
    char want[160];
    snprintf(want, sizeof want, "%s.1", other);
    CHECK_STR(b, want);
    snprintf(want, sizeof want, "%s.3", other);
    CHECK_STR(c, want);
    CHECK_STR(slurp(a), "A");
    CHECK_STR(slurp(b), "B");
    CHECK_STR(slurp(c), "C");
    CHECK_STR(slurp(path), "two\n"); /* the symlink's target is untouched */
    free(a);
    free(b);
    free(c);

    /* replacing a symlink replaces the link, not its target */
    snprintf(other, sizeof other, "%s/via", dir);
    CHECK(symlink(path, other) == 0);
    write_one(other, "own\n", 0, NULL);
    CHECK(lstat(other, &sb) == 0 && S_ISREG(sb.st_mode));
    CHECK_STR(slurp(path), "two\n");

    /* a directory that does not exist */
    snprintf(other, sizeof other, "%s/none/x", dir);
    CHECK_INT(cx_atomicfile_open(other, &f, err, sizeof err), CX_ATOMICFILE_ENOENT);
    CHECK(strstr(err, "cannot create") != NULL && strstr(err, "/none/x.tmp.") != NULL);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
    return CHECK_DONE();
}
