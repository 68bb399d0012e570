/* libFuzzer target for native/logcheck.c: never crashes, and accepts exactly the documents jansson
 * accepts (differential), apart from integers too big for jansson, which the reference's parser
 * reads as floats, and NUL bytes, where jansson stops reading. Build and run:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Inative $(pkg-config --cflags jansson) \
 *       -o build/fuzz_logcheck native/fuzz_logcheck.c native/logcheck.c $(pkg-config --libs
 * jansson) -lm build/fuzz_logcheck -max_total_time=60 */
#include "logcheck.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static cx_logcheck *c;
    static const char *const keys[] = {"execution_id", "timestamp", "ts", "tool", "repo_root"};
    if (!c)
        c = cx_logcheck_new(keys, 5);
    cx_logcheck_result r;
    cx_logcheck_line(c, (const char *)data, size, &r);
    if (r.kind == CX_LOGCHECK_BLANK || r.kind == CX_LOGCHECK_BAD_UTF8 || memchr(data, 0, size))
        return 0;
    json_error_t err;
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    int ours = r.kind == CX_LOGCHECK_OBJECT || r.kind == CX_LOGCHECK_NOT_OBJECT;
    int theirs = v != NULL;
    if (v && ours && (r.kind == CX_LOGCHECK_OBJECT) != json_is_object(v))
        abort();
    json_decref(v);
    if (ours != theirs && !(ours && strstr(err.text, "too big")) &&
        !(ours && strstr(err.text, "maximum parsing depth")))
        abort();
    return 0;
}
