/* Test helpers about processes and descriptors: leak and zombie checks shared by the C tests. */
#ifndef CX_FIXTURE_PROCS_H
#define CX_FIXTURE_PROCS_H

#include <sys/types.h>

/* Open descriptors of this process (not counting the one used to list them). */
int count_open_fds(void);
/* 1 once pid no longer exists or is a zombie (an orphan's reaper may be slow), polling up to ms. */
int wait_process_gone(pid_t pid, int ms);
/* 1 when none of our children is an unreaped zombie. */
int no_zombie_children(void);
/* Reads the first integer from a file (a pid a test child wrote), waiting up to ms for it. */
long read_number_file(const char *path, int ms);

#endif
