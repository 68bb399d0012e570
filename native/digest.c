#include "digest.h"

#include <sha2.h>

int cx_digest_sha256_hex(const void *data, size_t len, char out[CX_SHA256_HEX_LEN + 1])
{
    _Static_assert(SHA256_DIGEST_STRING_LENGTH == CX_SHA256_HEX_LEN + 1, "hex digest size");
    return SHA256Data(data, len, out) == out ? 0 : -1;
}
