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
    return CHECK_DONE();
}
