/* JSON text output in the reference's serialization style (serde_json): the primitives that every
 * encoder shares. Strings escape only '"', '\\' and control characters (\n \r \t \b \f, else \u00xx
 * lowercase); '/' and non-ASCII stay raw UTF-8; invalid UTF-8 becomes U+FFFD so the output is
 * always valid JSON. Numbers print the shortest text that reads back to the same double, integral
 * ones keep
 * ".0", and non-finite ones print null. */
#ifndef CX_JSON_WRITE_H
#define CX_JSON_WRITE_H

#include "buf.h"

#include <stddef.h>

int cx_json_write_string(cx_buf *out, const char *s, size_t len);
int cx_json_write_double(cx_buf *out, double v);
int cx_json_write_integer(cx_buf *out, long long v);
/* Newline plus 2 spaces per level, for pretty output. */
int cx_json_write_indent(cx_buf *out, int level);

#endif
