/* A trivial fake `codex exec --json -` for bench/adapters.sh: reads its stdin to EOF, then prints
 * one agent_message line and one turn.completed line whose input_tokens is the number of bytes it
 * read (so the driver can check the whole prompt arrived). `--stdin-file F` makes it read F
 * instead: `xargs -P` gives its children /dev/null as stdin, and this keeps a shell out of the
 * comparison. Costs nothing else: no allocation, no parsing.
 *   usage: fake_codex exec [--json] [-m MODEL] - [--stdin-file F] */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--stdin-file") == 0) {
            int fd = open(argv[i + 1], O_RDONLY | O_CLOEXEC);
            if (fd < 0 || dup2(fd, 0) < 0) {
                perror("fake_codex: --stdin-file");
                return 2;
            }
        }
    }
    char buf[65536];
    long long total = 0;
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n > 0) {
            total += n;
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    printf("{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":\"agent_message\","
           "\"text\":\"fake codex reply\"}}\n"
           "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":%lld,"
           "\"cached_input_tokens\":0,\"output_tokens\":3}}\n",
           total);
    return fflush(stdout) == 0 ? 0 : 1;
}
