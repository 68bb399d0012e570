/* Writes a synthetic run log for the benchmarks: rows with all 82 keys of the reference's
 * runs.jsonl, keys sorted, compact, 1.5-2.5 KB each, with varied ids, timestamps, tools and
 * optional blocks. Usage: gen_runlog OUT BYTES  (stops after the first row that reaches BYTES). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned pick(unsigned n)
{
    return (unsigned)(next() % n);
}

typedef struct row {
    char buf[8192];
    size_t len;
} row;

static void raw(row *r, const char *s)
{
    size_t n = strlen(s);
    memcpy(r->buf + r->len, s, n);
    r->len += n;
}

static void key(row *r, const char *k)
{
    raw(r, r->len == 1 ? "\"" : ",\"");
    raw(r, k);
    raw(r, "\":");
}

static void kv_str(row *r, const char *k, const char *v)
{
    key(r, k);
    raw(r, "\"");
    raw(r, v);
    raw(r, "\"");
}

static void kv_int(row *r, const char *k, uint64_t v)
{
    char n[32];
    snprintf(n, sizeof n, "%" PRIu64, v);
    key(r, k);
    raw(r, n);
}

static void kv_lit(row *r, const char *k, const char *lit)
{
    key(r, k);
    raw(r, lit);
}

static void kv_null(row *r, const char *k)
{
    kv_lit(r, k, "null");
}

static void kv_bool(row *r, const char *k, int b)
{
    kv_lit(r, k, b ? "true" : "false");
}

static void hex64(char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 64; i += 16) {
        uint64_t v = next();
        for (int j = 0; j < 16; j++, v >>= 4)
            out[i + j] = digits[v & 15];
    }
    out[64] = '\0';
}

static const char *words[] = {
    "diff",    "--git", "a/src/main.rs", "b/src/main.rs", "index",  "fn", "main()",
    "cargo",   "test",  "warning:",      "unused",        "import", "On", "branch",
    "nothing", "to",    "commit",        "error[E0308]:"};

/* A prompt preview of up to 180 characters, JSON-escaped, with the odd newline. */
static void preview(char *out, size_t want)
{
    size_t n = 0;
    while (n < want) {
        const char *w = words[pick(sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        if (n + wl + 2 > want)
            break;
        if (n > 0) {
            if (pick(8) == 0) {
                memcpy(out + n, "\\n", 2);
                n += 2;
            } else {
                out[n++] = ' ';
            }
        }
        memcpy(out + n, w, wl);
        n += wl;
    }
    out[n] = '\0';
}

static const char *tools[] = {"cxo",          "cx",          "cxj",        "cxrs_next",
                              "cxrs_diffsum", "cxfix",       "cxtask_run", "cxrs_commitjson",
                              "cxcopy",       "cxrs_fix_run"};

static void make_row(row *r, time_t t, unsigned pid)
{
    char ts[32], compact[32], id[96], h1[65], h2[65], h3[65], h4[65], h5[65], prev[200];
    char cwd[128], task_id[32], worker[16];
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(compact, sizeof compact, "%Y%m%dT%H%M%SZ", &tm);
    const char *tool = tools[pick(sizeof tools / sizeof tools[0])];
    int schema = strncmp(tool, "cxrs_", 5) == 0;
    int ollama = pick(5) == 0;
    int http = !ollama && pick(6) == 0;
    int failed = pick(30) == 0;
    int task = pick(3) == 0;
    snprintf(id, sizeof id, "%s_%s_%u", compact, tool, pid);
    snprintf(cwd, sizeof cwd, pick(2) ? "/home/dev/proj%u" : "/srv/ci/builds/%u/workspace/cx",
             pick(500));
    snprintf(task_id, sizeof task_id, "task_%03u", pick(400));
    snprintf(worker, sizeof worker, "w%u", pick(16));
    hex64(h1);
    hex64(h2);
    hex64(h3);
    hex64(h4);
    hex64(h5);
    preview(prev, 10 + pick(110));
    uint64_t in = 200 + pick(30000), cached = pick((unsigned)in), out = 10 + pick(4000);
    uint64_t sys = 50 + pick(12000), lines = 1 + pick(300), plen = 40 + pick(12000);

    r->len = 0;
    raw(r, "{");
    kv_str(r, "adapter_type", ollama ? "ollama-cli" : http ? "http-curl" : "codex-cli");
    kv_str(r, "backend_selected", ollama ? "ollama" : "codex");
    kv_str(r, "backend_used", ollama ? "ollama" : "codex");
    kv_int(r, "budget_chars", 12000);
    kv_int(r, "budget_lines", 300);
    if (ollama)
        kv_null(r, "cached_input_tokens");
    else
        kv_int(r, "cached_input_tokens", cached);
    kv_str(r, "capture_provider", "native");
    kv_bool(r, "clip_footer", 1);
    kv_str(r, "clip_mode", pick(3) ? "head" : "tail");
    kv_bool(r, "clipped", sys > 12000);
    kv_str(r, "command", tool);
    if (failed)
        kv_str(r, "command_label", "codex exec --json -");
    else
        kv_null(r, "command_label");
    kv_null(r, "converge_mode");
    kv_null(r, "converge_votes");
    kv_null(r, "converge_winner");
    kv_str(r, "cwd", cwd);
    kv_int(r, "duration_ms", 80 + pick(90000));
    if (ollama)
        kv_null(r, "effective_input_tokens");
    else
        kv_int(r, "effective_input_tokens", in - cached);
    kv_str(r, "execution_id", id);
    kv_str(r, "execution_mode", pick(4) ? "lean" : "deterministic");
    kv_null(r, "halt_on_critical");
    if (http) {
        kv_str(r, "http_parser_mode", "envelope");
        kv_str(r, "http_provider_format", "text");
    } else {
        kv_null(r, "http_parser_mode");
        kv_null(r, "http_provider_format");
    }
    if (ollama)
        kv_null(r, "input_tokens");
    else
        kv_int(r, "input_tokens", in);
    kv_str(r, "llm_backend", ollama ? "ollama" : "codex");
    if (ollama)
        kv_str(r, "llm_model", "llama3.1:8b");
    else
        kv_null(r, "llm_model");
    if (ollama)
        kv_str(r, "model_selected", "llama3.1:8b");
    else
        kv_null(r, "model_selected");
    if (ollama)
        kv_null(r, "output_tokens");
    else
        kv_int(r, "output_tokens", out);
    kv_null(r, "policy_blocked");
    kv_null(r, "policy_reason");
    kv_bool(r, "prompt_filter_applied", pick(2));
    kv_int(r, "prompt_len_filtered", plen);
    kv_int(r, "prompt_len_raw", plen + pick(40));
    kv_str(r, "prompt_preview", prev);
    kv_str(r, "prompt_sha256", h1);
    kv_str(r, "prompt_sha256_filtered", h1);
    kv_str(r, "prompt_sha256_raw", h2);
    if (http)
        kv_str(r, "provider_status", "experimental");
    else
        kv_null(r, "provider_status");
    kv_str(r, "provider_transport", http ? "http" : "process");
    kv_null(r, "quarantine_id");
    if (task)
        kv_int(r, "queue_ms", pick(5000));
    else
        kv_null(r, "queue_ms");
    kv_null(r, "replica_count");
    kv_null(r, "replica_index");
    kv_str(r, "repo_root", cwd);
    if (task) {
        kv_int(r, "retry_attempt", 1 + pick(3));
        kv_int(r, "retry_backoff_ms", pick(4000));
        kv_int(r, "retry_max", 3);
        kv_str(r, "retry_reason", pick(2) ? "timeout" : "http_5xx");
    } else {
        kv_null(r, "retry_attempt");
        kv_null(r, "retry_backoff_ms");
        kv_null(r, "retry_max");
        kv_null(r, "retry_reason");
    }
    kv_str(r, "route_policy", "balanced");
    kv_str(r, "route_reason", ollama ? "ollama_selected" : "codex_selected");
    kv_bool(r, "rtk_used", 0);
    static const char *run_all[] = {"run_all_blocked",
                                    "run_all_complete",
                                    "run_all_critical_errors",
                                    "run_all_failed",
                                    "run_all_mode",
                                    "run_all_non_retryable_failures",
                                    "run_all_retryable_failures",
                                    "run_all_scheduled"};
    for (size_t i = 0; i < sizeof run_all / sizeof run_all[0]; i++)
        kv_null(r, run_all[i]);
    if (schema)
        kv_int(r, "schema_attempt", 1 + (pick(10) == 0));
    else
        kv_null(r, "schema_attempt");
    kv_bool(r, "schema_enforced", schema);
    if (schema)
        kv_str(r, "schema_name", "next.schema.json");
    else
        kv_null(r, "schema_name");
    kv_bool(r, "schema_ok", !failed);
    if (schema)
        kv_str(r, "schema_prompt_sha256", h3);
    else
        kv_null(r, "schema_prompt_sha256");
    if (failed)
        kv_str(r, "schema_reason", "codex exec --json - timed out after 120s");
    else
        kv_null(r, "schema_reason");
    if (schema)
        kv_str(r, "schema_sha256", h4);
    else
        kv_null(r, "schema_sha256");
    kv_bool(r, "schema_valid", !failed);
    kv_str(r, "scope", "repo");
    kv_int(r, "system_output_len_clipped", sys > 12000 ? 12000 : sys);
    kv_int(r, "system_output_len_processed", sys);
    kv_int(r, "system_output_len_raw", sys);
    kv_int(r, "system_output_lines_clipped", lines);
    kv_int(r, "system_output_lines_processed", lines);
    kv_int(r, "system_output_lines_raw", lines);
    if (task) {
        kv_str(r, "task_id", task_id);
        kv_str(r, "task_parent_id", h5 + 48);
    } else {
        kv_null(r, "task_id");
        kv_null(r, "task_parent_id");
    }
    if (failed) {
        kv_bool(r, "timed_out", 1);
        kv_int(r, "timeout_secs", 120);
    } else {
        kv_null(r, "timed_out");
        kv_null(r, "timeout_secs");
    }
    kv_str(r, "timestamp", ts);
    kv_str(r, "tool", tool);
    kv_str(r, "ts", ts);
    if (task)
        kv_str(r, "worker_id", worker);
    else
        kv_null(r, "worker_id");
    raw(r, "}\n");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_runlog OUT BYTES\n");
        return 2;
    }
    uint64_t want = strtoull(argv[2], NULL, 10);
    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    static char iobuf[1 << 20];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    time_t t = 1767225600; /* 2026-01-01T00:00:00Z */
    uint64_t written = 0, rows = 0, min = (uint64_t)-1, max = 0;
    row r;
    while (written < want) {
        t += 1 + pick(20);
        make_row(&r, t, 1000 + pick(60000));
        if (fwrite(r.buf, 1, r.len, f) != r.len) {
            perror(argv[1]);
            return 1;
        }
        written += r.len;
        rows++;
        min = r.len < min ? r.len : min;
        max = r.len > max ? r.len : max;
    }
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    fprintf(stderr,
            "gen_runlog: %" PRIu64 " rows, %" PRIu64 " bytes, row size %" PRIu64 "-%" PRIu64
            " bytes\n",
            rows, written, min, max);
    return 0;
}
