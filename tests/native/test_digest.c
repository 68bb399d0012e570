#include "check.h"
#include "digest.h"

int main(void)
{
    char hex[CX_SHA256_HEX_LEN + 1];
    CHECK_INT(cx_digest_sha256_hex("", 0, hex), 0);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_INT(cx_digest_sha256_hex("abc", 3, hex), 0);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* the example capture from the reference row (logs.md 2.5) */
    const char *p = "On branch main\nnothing to commit, working tree clean";
    CHECK_INT(cx_digest_sha256_hex(p, strlen(p), hex), 0);
    CHECK_STR(hex, "618c8fb62b7eab19b7d855c26a57ef52c7def8db4eb00ebddcfd9495729fb670");
    return CHECK_DONE();
}
