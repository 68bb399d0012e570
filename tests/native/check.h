/* Minimal assertion helpers for the plain C unit tests: each test binary returns non-zero on
 * failure. */
#ifndef CX_TEST_CHECK_H
#define CX_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *check_g_ = (got), *check_w_ = (want);                                          \
        check_count++;                                                                             \
        if (!check_g_ || strcmp(check_g_, check_w_) != 0) {                                        \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,                \
                    check_g_ ? check_g_ : "(null)", check_w_);                                     \
        }                                                                                          \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long check_g_ = (long long)(got), check_w_ = (long long)(want);                       \
        check_count++;                                                                             \
        if (check_g_ != check_w_) {                                                                \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, check_g_,   \
                    check_w_);                                                                     \
        }                                                                                          \
    } while (0)

#define CHECK_DONE()                                                                               \
    (fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, check_count, check_failures),         \
     check_failures ? 1 : 0)

#endif
