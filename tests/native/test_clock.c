#include "check.h"
#include "clock.h"

#include <time.h>

int main(void)
{
    int64_t a = cx_clock_now_ns();
    struct timespec nap = {0, 20 * 1000000L};
    nanosleep(&nap, NULL);
    int64_t b = cx_clock_now_ns();
    CHECK(b - a >= 20 * 1000000LL);
    CHECK(b - a < 5 * 1000000000LL);
    int64_t ms = cx_clock_now_ms();
    CHECK(ms >= b / 1000000LL);
    /* the wall clock in ms agrees with time(2) to the second */
    int64_t before = (int64_t)time(NULL);
    int64_t epoch = cx_clock_epoch_ms();
    int64_t after = (int64_t)time(NULL);
    CHECK(epoch / 1000 >= before && epoch / 1000 <= after);
    return CHECK_DONE();
}
