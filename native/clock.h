/* Monotonic time for durations and deadlines (never the wall clock, which can jump). */
#ifndef CX_CLOCK_H
#define CX_CLOCK_H

#include <stdint.h>

/* Nanoseconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
int64_t cx_clock_now_ns(void);
/* Milliseconds, same clock. */
int64_t cx_clock_now_ms(void);
/* Milliseconds since the Unix epoch (CLOCK_REALTIME): for timestamps a person or another process
 * reads, never for durations. */
int64_t cx_clock_epoch_ms(void);

#endif
