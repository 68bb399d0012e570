/* A small run-log contract for the native tests and the fuzz target: every type, format, enum and
 * rule kind of the checker, the reference's strict/legacy/modern structure in miniature. */
#ifndef CX_TEST_LOGCHECK_CONTRACT_H
#define CX_TEST_LOGCHECK_CONTRACT_H

#include "logcheck.h"

#include <stdio.h>

static const char *const scope_enum[] = {"repo", "global"};
static const char *const transport_map[] = {"mock", "mock", "codex-cli", "process"};

static const cx_logcheck_field fields[] = {
    {"execution_id", CX_LOGCHECK_T_STR, 0, 1, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"timestamp", CX_LOGCHECK_T_STR, 0, 1, CX_LOGCHECK_FMT_TIMESTAMP, NULL, 0},
    {"ts", CX_LOGCHECK_T_STR, 0, 0, CX_LOGCHECK_FMT_TIMESTAMP, NULL, 0},
    {"tool", CX_LOGCHECK_T_STR, 0, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"repo_root", CX_LOGCHECK_T_STR, 0, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"scope", CX_LOGCHECK_T_STR, 0, 0, CX_LOGCHECK_FMT_NONE, scope_enum, 2},
    {"queue_ms", CX_LOGCHECK_T_U64, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"retry_max", CX_LOGCHECK_T_U32, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"ok", CX_LOGCHECK_T_BOOL, 0, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"ok2", CX_LOGCHECK_T_BOOL, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"votes", CX_LOGCHECK_T_ANY, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"extra", CX_LOGCHECK_T_OBJECT, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"class", CX_LOGCHECK_T_STR, 1, 0, CX_LOGCHECK_FMT_IDENT, NULL, 0},
    {"start_ms", CX_LOGCHECK_T_U64, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"end_ms", CX_LOGCHECK_T_U64, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"adapter", CX_LOGCHECK_T_STR, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"transport", CX_LOGCHECK_T_STR, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
    {"a_b", CX_LOGCHECK_T_ANY, 1, 0, CX_LOGCHECK_FMT_NONE, NULL, 0},
};
static const char *const strict[] = {"execution_id", "timestamp", "queue_ms"};
static const char *const pairs[] = {"ts", "timestamp", "tool", "tool", "repo_root", "repo_root"};
static const cx_logcheck_rule rules[] = {
    {CX_LOGCHECK_RULE_EQUAL, "timestamp", "ts", NULL, 0},
    {CX_LOGCHECK_RULE_EQUAL, "ok", "ok2", NULL, 0},
    {CX_LOGCHECK_RULE_LE, "start_ms", "end_ms", NULL, 0},
    {CX_LOGCHECK_RULE_MAP, "adapter", "transport", transport_map, 2},
};

static cx_logcheck *logcheck_test_contract(void)
{
    cx_logcheck_spec s = {fields,
                          sizeof fields / sizeof fields[0],
                          strict,
                          3,
                          pairs,
                          3,
                          {"execution_id", "timestamp"},
                          "execution_id",
                          rules,
                          sizeof rules / sizeof rules[0]};
    char err[128];
    cx_logcheck *c = cx_logcheck_new(&s, err, sizeof err);
    if (!c)
        fprintf(stderr, "contract: %s\n", err);
    return c;
}

#endif
