/* SHA-256 digests, as lowercase hex, through libmd (a small library: loading libcrypto cost every
 * start of cx about 2.7 ms; docs/performance.md). */
#ifndef CX_DIGEST_H
#define CX_DIGEST_H

#include <stddef.h>

#define CX_SHA256_HEX_LEN 64

/* Writes 64 hex characters and a NUL into out (65 bytes). Returns 0 (-1 if the library failed). */
int cx_digest_sha256_hex(const void *data, size_t len, char out[CX_SHA256_HEX_LEN + 1]);

#endif
