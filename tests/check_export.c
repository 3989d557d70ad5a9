/*
 * check_export.c - `chainsim export` (CSV and JSON) and `chainsim merge`.
 *
 * Three small real runs of scenarios/quickstart.ini (40 nodes, 60 s) are
 * made once with the binary: a.db holds one run (seed 1), b.db two (seeds 2
 * and 3). Every command test runs the real binary through tu_chainsim().
 *
 * Export: the output is parsed back here (a small RFC 4180 parser and a small
 * JSON parser) and every value is compared with a direct SELECT of the same
 * table or view: NULL with an unquoted empty field / null, integers with
 * their decimal text, reals by value (strtod), text byte for byte.
 *
 * Merge: row counts of every table add up, run ids are new and distinct, and
 * each copied run has, table by table, the same rows as the original
 * (compared without run_id, ordered by primary key); the views work on the
 * merged file (`chainsim report OUT --json`).
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tests/testutil.h"

static char *dir;  /* fixture folder */
static char *db_a; /* one run, seed 1 */
static char *db_b; /* two runs, seeds 2 and 3 */

static void make_run(const char *db, const char *seed)
{
    char *scenario = tu_source("scenarios/quickstart.ini");
    char *err = NULL;
    int rc = tu_chainsim(NULL, &err, "run", scenario, "--out", db, "--set", "network.nodes=40", "--set",
                         "scenario.duration=60s", "--seed", seed, "--quiet", NULL);
    ck_assert_msg(rc == 0, "chainsim run failed (%d): %s", rc, err ? err : "");
    g_free(err);
    g_free(scenario);
}

/* Runs in the parent process (unchecked fixture), so the folder is made and
 * removed here: tu_tmpdir() removes its folders at exit, which every forked
 * test process would do. */
static void setup_runs(void)
{
    dir = g_dir_make_tmp("chainsim-export-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    db_a = g_build_filename(dir, "a.db", NULL);
    db_b = g_build_filename(dir, "b.db", NULL);
    make_run(db_a, "1");
    make_run(db_b, "2");
    make_run(db_b, "3");
}

static void teardown_runs(void)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *name; d && (name = g_dir_read_name(d));) {
        char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
    g_free(db_a);
    g_free(db_b);
    g_free(dir);
}

/* ------------------------------------------------------------------------ */
/* RFC 4180 parser: rows of fields; an unquoted empty field is NULL. */

static void free_row(gpointer p)
{
    g_ptr_array_free(p, TRUE);
}

/* Parses text into a new array of rows (each a GPtrArray of char *, NULL for
 * an unquoted empty field). Fails the test on malformed input. */
static GPtrArray *csv_parse(const char *text)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func(free_row);
    const char *p = text;
    while (*p) {
        GPtrArray *row = g_ptr_array_new_with_free_func(g_free);
        for (;;) {
            GString *f = g_string_new(NULL);
            bool quoted = false;
            if (*p == '"') {
                quoted = true;
                p++;
                for (;;) {
                    ck_assert_msg(*p != '\0', "CSV: unterminated quoted field");
                    if (*p == '"' && p[1] == '"') {
                        g_string_append_c(f, '"');
                        p += 2;
                    } else if (*p == '"') {
                        p++;
                        break;
                    } else {
                        g_string_append_c(f, *p++);
                    }
                }
            } else {
                while (*p && *p != ',' && *p != '\r' && *p != '\n') {
                    ck_assert_msg(*p != '"', "CSV: quote inside an unquoted field");
                    g_string_append_c(f, *p++);
                }
            }
            if (!quoted && f->len == 0) {
                g_string_free(f, TRUE);
                g_ptr_array_add(row, NULL);
            } else {
                g_ptr_array_add(row, g_string_free(f, FALSE));
            }
            if (*p == ',') {
                p++;
                continue;
            }
            ck_assert_msg(*p == '\r' && p[1] == '\n', "CSV: a record must end with CRLF");
            p += 2;
            break;
        }
        g_ptr_array_add(rows, row);
    }
    return rows;
}

/* ------------------------------------------------------------------------ */
/* JSON parser, enough for an array of flat objects. */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype_t;

typedef struct jval {
    jtype_t type;
    char *text;      /* J_NUM: the literal; J_STR: the decoded string */
    GPtrArray *keys; /* J_OBJ: char * */
    GPtrArray *vals; /* J_ARR, J_OBJ: jval * */
} jval_t;

static void jfree(gpointer p)
{
    jval_t *v = p;
    if (!v)
        return;
    g_free(v->text);
    if (v->keys)
        g_ptr_array_free(v->keys, TRUE);
    if (v->vals)
        g_ptr_array_free(v->vals, TRUE);
    g_free(v);
}

static void jws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t')
        (*p)++;
}

static unsigned jhex4(const char *p)
{
    char buf[5] = { 0 };
    memcpy(buf, p, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(g_ascii_isxdigit(buf[i]), "JSON: bad \\u escape");
    return (unsigned)strtoul(buf, NULL, 16);
}

static char *jstring(const char **p)
{
    ck_assert_msg(**p == '"', "JSON: expected a string");
    (*p)++;
    GString *s = g_string_new(NULL);
    while (**p != '"') {
        unsigned char c = (unsigned char)**p;
        ck_assert_msg(c >= 0x20, "JSON: raw control character in a string");
        if (c != '\\') {
            g_string_append_c(s, (char)c);
            (*p)++;
            continue;
        }
        char e = (*p)[1];
        *p += 2;
        switch (e) {
        case '"': g_string_append_c(s, '"'); break;
        case '\\': g_string_append_c(s, '\\'); break;
        case '/': g_string_append_c(s, '/'); break;
        case 'b': g_string_append_c(s, '\b'); break;
        case 'f': g_string_append_c(s, '\f'); break;
        case 'n': g_string_append_c(s, '\n'); break;
        case 'r': g_string_append_c(s, '\r'); break;
        case 't': g_string_append_c(s, '\t'); break;
        case 'u': {
            gunichar u = jhex4(*p);
            *p += 4;
            if (u >= 0xd800 && u < 0xdc00 && (*p)[0] == '\\' && (*p)[1] == 'u') {
                gunichar lo = jhex4(*p + 2);
                *p += 6;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            g_string_append_unichar(s, u);
            break;
        }
        default:
            ck_abort_msg("JSON: bad escape \\%c", e);
        }
    }
    (*p)++;
    return g_string_free(s, FALSE);
}

static jval_t *jparse_value(const char **p)
{
    jws(p);
    jval_t *v = g_new0(jval_t, 1);
    if (**p == '[' || **p == '{') {
        bool obj = **p == '{';
        char close = obj ? '}' : ']';
        v->type = obj ? J_OBJ : J_ARR;
        v->vals = g_ptr_array_new_with_free_func(jfree);
        if (obj)
            v->keys = g_ptr_array_new_with_free_func(g_free);
        (*p)++;
        jws(p);
        if (**p == close) {
            (*p)++;
            return v;
        }
        for (;;) {
            if (obj) {
                jws(p);
                g_ptr_array_add(v->keys, jstring(p));
                jws(p);
                ck_assert_msg(**p == ':', "JSON: expected ':'");
                (*p)++;
            }
            g_ptr_array_add(v->vals, jparse_value(p));
            jws(p);
            if (**p == ',') {
                (*p)++;
                continue;
            }
            ck_assert_msg(**p == close, "JSON: expected ',' or '%c' at: %.20s", close, *p);
            (*p)++;
            return v;
        }
    }
    if (**p == '"') {
        v->type = J_STR;
        v->text = jstring(p);
    } else if (strncmp(*p, "null", 4) == 0) {
        v->type = J_NULL;
        *p += 4;
    } else if (strncmp(*p, "true", 4) == 0 || strncmp(*p, "false", 5) == 0) {
        v->type = J_BOOL;
        *p += **p == 't' ? 4 : 5;
    } else {
        const char *start = *p;
        if (**p == '-')
            (*p)++;
        ck_assert_msg(g_ascii_isdigit(**p), "JSON: unexpected character at: %.20s", start);
        while (g_ascii_isdigit(**p) || **p == '.' || **p == 'e' || **p == 'E' || **p == '+' || **p == '-')
            (*p)++;
        v->type = J_NUM;
        v->text = g_strndup(start, (gsize)(*p - start));
    }
    return v;
}

static jval_t *json_parse(const char *text)
{
    const char *p = text;
    jval_t *v = jparse_value(&p);
    jws(&p);
    ck_assert_msg(*p == '\0', "JSON: trailing text: %.20s", p);
    return v;
}

/* ------------------------------------------------------------------------ */
/* Comparing exported values with the database. */

/* Checks one exported CSV field against column i of the current row. */
static void check_csv_value(sqlite3_stmt *st, int i, const char *field, const char *where)
{
    const char *col = sqlite3_column_name(st, i);
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        ck_assert_msg(field == NULL, "%s %s: expected NULL, got '%s'", where, col, field);
        break;
    case SQLITE_INTEGER: {
        char *want = g_strdup_printf("%lld", (long long)sqlite3_column_int64(st, i));
        ck_assert_msg(field && strcmp(field, want) == 0, "%s %s: expected %s, got '%s'", where, col, want,
                      field ? field : "(null)");
        g_free(want);
        break;
    }
    case SQLITE_FLOAT: {
        ck_assert_msg(field != NULL, "%s %s: expected a real, got NULL", where, col);
        char *end = NULL;
        double d = g_ascii_strtod(field, &end);
        ck_assert_msg(*end == '\0' && d == sqlite3_column_double(st, i), "%s %s: expected %.17g, got '%s'", where,
                      col, sqlite3_column_double(st, i), field);
        ck_assert_msg(strpbrk(field, ".eE") != NULL, "%s %s: real %s looks like an integer", where, col, field);
        break;
    }
    default: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        ck_assert_msg(field && strcmp(field, t) == 0, "%s %s: expected '%s', got '%s'", where, col, t,
                      field ? field : "(null)");
    }
    }
}

/* Checks one exported JSON value against column i of the current row. */
static void check_json_value(sqlite3_stmt *st, int i, const jval_t *v, const char *where)
{
    const char *col = sqlite3_column_name(st, i);
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        ck_assert_msg(v->type == J_NULL, "%s %s: expected null", where, col);
        break;
    case SQLITE_INTEGER:
        ck_assert_msg(v->type == J_NUM && !strpbrk(v->text, ".eE") &&
                          g_ascii_strtoll(v->text, NULL, 10) == sqlite3_column_int64(st, i),
                      "%s %s: expected %lld, got %s", where, col, (long long)sqlite3_column_int64(st, i),
                      v->text ? v->text : "(not a number)");
        break;
    case SQLITE_FLOAT:
        ck_assert_msg(v->type == J_NUM && g_ascii_strtod(v->text, NULL) == sqlite3_column_double(st, i),
                      "%s %s: expected %.17g, got %s", where, col, sqlite3_column_double(st, i),
                      v->text ? v->text : "(not a number)");
        break;
    default:
        ck_assert_msg(v->type == J_STR && strcmp(v->text, (const char *)sqlite3_column_text(st, i)) == 0,
                      "%s %s: expected the string '%s'", where, col, (const char *)sqlite3_column_text(st, i));
    }
}

static sqlite3_stmt *select_rows(const char *db, const char *sql, sqlite3 **h)
{
    ck_assert_int_eq(sqlite3_open_v2(db, h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(*h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(*h));
    return st;
}

/* Exports with args (NULL-terminated after the database) and returns the
 * output, failing unless the exit status is 0. */
static char *export_ok(const char *db, const char *a1, const char *a2, const char *a3, const char *a4,
                       const char *a5, const char *a6)
{
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "export", db, a1, a2, a3, a4, a5, a6, NULL);
    ck_assert_msg(rc == 0, "export %s %s failed (%d): %s", a1, a2, rc, err);
    g_free(err);
    return out;
}

/* Compares CSV text with every row of sql on db; returns the number of data
 * rows. */
static int compare_csv(const char *csv, const char *db, const char *sql)
{
    GPtrArray *rows = csv_parse(csv);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = select_rows(db, sql, &h);
    int ncol = sqlite3_column_count(st);
    ck_assert_uint_ge(rows->len, 1);
    GPtrArray *header = g_ptr_array_index(rows, 0);
    ck_assert_int_eq((int)header->len, ncol);
    for (int i = 0; i < ncol; i++)
        ck_assert_str_eq(g_ptr_array_index(header, i), sqlite3_column_name(st, i));
    guint r = 1;
    for (; sqlite3_step(st) == SQLITE_ROW; r++) {
        ck_assert_msg(r < rows->len, "CSV has fewer rows than the table (%u)", rows->len - 1);
        GPtrArray *row = g_ptr_array_index(rows, r);
        ck_assert_int_eq((int)row->len, ncol);
        char *where = g_strdup_printf("CSV row %u", r);
        for (int i = 0; i < ncol; i++)
            check_csv_value(st, i, g_ptr_array_index(row, i), where);
        g_free(where);
    }
    ck_assert_msg(r == rows->len, "CSV has %u rows, the SELECT %u", rows->len - 1, r - 1);
    sqlite3_finalize(st);
    sqlite3_close(h);
    g_ptr_array_free(rows, TRUE);
    return (int)r - 1;
}

/* Compares JSON text with every row of sql on db; returns the number of
 * objects. */
static int compare_json(const char *json, const char *db, const char *sql)
{
    jval_t *arr = json_parse(json);
    ck_assert_int_eq(arr->type, J_ARR);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = select_rows(db, sql, &h);
    int ncol = sqlite3_column_count(st);
    guint r = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; r++) {
        ck_assert_msg(r < arr->vals->len, "JSON has fewer objects than rows (%u)", arr->vals->len);
        jval_t *obj = g_ptr_array_index(arr->vals, r);
        ck_assert_int_eq(obj->type, J_OBJ);
        ck_assert_int_eq((int)obj->keys->len, ncol);
        char *where = g_strdup_printf("JSON object %u", r);
        for (int i = 0; i < ncol; i++) {
            ck_assert_str_eq(g_ptr_array_index(obj->keys, i), sqlite3_column_name(st, i));
            check_json_value(st, i, g_ptr_array_index(obj->vals, i), where);
        }
        g_free(where);
    }
    ck_assert_msg(r == arr->vals->len, "JSON has %u objects, the SELECT %u rows", arr->vals->len, r);
    sqlite3_finalize(st);
    sqlite3_close(h);
    jfree(arr);
    return (int)r;
}

/* The value of key in a JSON object (NULL if absent). */
static const jval_t *jget(const jval_t *obj, const char *key)
{
    for (guint i = 0; i < obj->keys->len; i++)
        if (strcmp(g_ptr_array_index(obj->keys, i), key) == 0)
            return g_ptr_array_index(obj->vals, i);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* export */

START_TEST(test_export_csv_blocks)
{
    char *csv = export_ok(db_a, "--table", "blocks", "--format", "csv", NULL, NULL);
    int n = compare_csv(csv, db_a, "SELECT * FROM blocks ORDER BY run_id, block_index");
    ck_assert_int_gt(n, 5);
    ck_assert_int_eq(n, (int)tu_db_int(db_a, "SELECT count(*) FROM blocks"));
    g_free(csv);

    /* The default format is CSV; genesis has NULL parent and producer. */
    char *def = export_ok(db_a, "--table", "blocks", NULL, NULL, NULL, NULL);
    csv = export_ok(db_a, "--table", "blocks", "--format", "csv", NULL, NULL);
    ck_assert_str_eq(def, csv);
    ck_assert_ptr_nonnull(strstr(def, "\r\n1,0,"));
    g_free(def);
    g_free(csv);
}
END_TEST

/* runs holds the scenario text (commas, newlines), a REAL and NULLs. */
START_TEST(test_export_csv_quoting)
{
    char *csv = export_ok(db_b, "--table", "runs", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(compare_csv(csv, db_b, "SELECT * FROM runs ORDER BY run_id"), 2);
    ck_assert_ptr_nonnull(strstr(csv, ",\"# Quick start"));
    g_free(csv);

    csv = export_ok(db_b, "--table", "samples", NULL, NULL, NULL, NULL);
    compare_csv(csv, db_b, "SELECT * FROM samples ORDER BY run_id, t_ns");
    g_free(csv);
}
END_TEST

START_TEST(test_export_run_filter)
{
    char *csv = export_ok(db_b, "--table", "txs", "--run", "2", NULL, NULL);
    int n = compare_csv(csv, db_b, "SELECT * FROM txs WHERE run_id = 2 ORDER BY tx_index");
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, (int)tu_db_int(db_b, "SELECT count(*) FROM txs"));
    GPtrArray *rows = csv_parse(csv);
    for (guint r = 1; r < rows->len; r++)
        ck_assert_str_eq(g_ptr_array_index((GPtrArray *)g_ptr_array_index(rows, r), 0), "2");
    g_ptr_array_free(rows, TRUE);
    g_free(csv);

    /* A view with run_id filters too. */
    char *json = export_ok(db_b, "--view", "v_tx_latency", "--run", "1", "--format", "json");
    compare_json(json, db_b, "SELECT * FROM v_tx_latency WHERE run_id = 1");
    g_free(json);
}
END_TEST

START_TEST(test_export_json_summary)
{
    char *json = export_ok(db_b, "--view", "v_run_summary", "--format", "json", NULL, NULL);
    ck_assert_int_eq(compare_json(json, db_b, "SELECT * FROM v_run_summary"), 2);
    g_free(json);

    json = export_ok(db_b, "--view", "v_run_summary", "--format", "json", "--run", "2");
    ck_assert_int_eq(compare_json(json, db_b, "SELECT * FROM v_run_summary WHERE run_id = 2"), 1);
    jval_t *arr = json_parse(json);
    ck_assert_uint_eq(arr->vals->len, 1);
    const jval_t *obj = g_ptr_array_index(arr->vals, 0);
    ck_assert_str_eq(jget(obj, "run_id")->text, "2");
    ck_assert_str_eq(jget(obj, "seed")->text, "3");
    ck_assert_str_eq(jget(obj, "scenario_name")->text, "quickstart");
    ck_assert_int_eq(jget(obj, "broadcast_p50_s")->type, J_NULL);
    char *blocks = tu_db_text(db_b, "SELECT blocks_total FROM v_run_summary WHERE run_id = 2");
    ck_assert_str_eq(jget(obj, "blocks_total")->text, blocks);
    g_free(blocks);
    jfree(arr);

    /* --out writes the same bytes as standard output. */
    char *path = g_build_filename(dir, "summary.json", NULL);
    char *out = export_ok(db_b, "--view", "v_run_summary", "--format", "json", "--run", "2");
    char *none = NULL;
    ck_assert_int_eq(tu_chainsim(&none, NULL, "export", db_b, "--view", "v_run_summary", "--format", "json", "--run",
                                 "2", "--out", path, NULL),
                     0);
    ck_assert_str_eq(none, "");
    char *file = NULL;
    ck_assert(g_file_get_contents(path, &file, NULL, NULL));
    ck_assert_str_eq(file, out);
    g_free(file);
    g_free(none);
    g_free(out);
    g_free(path);
    g_free(json);

    /* Tables in JSON: reals and NULLs. */
    json = export_ok(db_a, "--table", "blocks", "--format", "json", NULL, NULL);
    compare_json(json, db_a, "SELECT * FROM blocks ORDER BY run_id, block_index");
    g_free(json);
    json = export_ok(db_a, "--table", "runs", "--format", "json", NULL, NULL);
    compare_json(json, db_a, "SELECT * FROM runs");
    g_free(json);
}
END_TEST

static void expect_export_status(int want, const char *why, const char *a0, const char *a1, const char *a2,
                                 const char *a3, const char *a4)
{
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "export", a0, a1, a2, a3, a4, NULL);
    ck_assert_msg(rc == want, "%s: exit %d, expected %d (stderr: %s)", why, rc, want, err);
    ck_assert_msg(want == 0 || strlen(err) > 0, "%s: no message", why);
    g_free(out);
    g_free(err);
}

START_TEST(test_export_errors)
{
    char *text = tu_write(dir, "text.txt", "not a database\n");
    char *missing = g_build_filename(dir, "missing.db", NULL);
    char *bad_out = g_build_filename(dir, "no-such-folder", "x.csv", NULL);

    expect_export_status(2, "no table", db_a, NULL, NULL, NULL, NULL);
    expect_export_status(2, "no database", "--table", "blocks", NULL, NULL, NULL);
    expect_export_status(2, "missing file", missing, "--table", "blocks", NULL, NULL);
    expect_export_status(2, "not SQLite", text, "--table", "blocks", NULL, NULL);
    expect_export_status(2, "folder", dir, "--table", "blocks", NULL, NULL);
    expect_export_status(2, "a view as --table", db_a, "--table", "v_run_summary", NULL, NULL);
    expect_export_status(2, "a table as --view", db_a, "--view", "blocks", NULL, NULL);
    expect_export_status(2, "both", db_a, "--table", "blocks", "--view", "v_reorgs");
    expect_export_status(2, "format", db_a, "--table", "blocks", "--format", "xml");
    expect_export_status(2, "bad run", db_a, "--table", "blocks", "--run", "x");
    expect_export_status(2, "no such run", db_a, "--table", "blocks", "--run", "7");
    expect_export_status(2, "unknown option", db_a, "--table", "blocks", "--bogus", NULL);
    expect_export_status(2, "needs a value", db_a, "--table", NULL, NULL, NULL);
    expect_export_status(1, "cannot write", db_a, "--table", "blocks", "--out", bad_out);
    expect_export_status(0, "help", "--help", NULL, NULL, NULL, NULL);

    /* An unknown name lists what there is; no SQL gets through the name. */
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "export", db_a, "--table", "blocks; DROP TABLE runs", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "blocks; DROP TABLE runs"));
    ck_assert_ptr_nonnull(strstr(err, "arrivals, block_arrivals, block_marks, block_txs, blocks,"));
    ck_assert_ptr_nonnull(strstr(err, "v_run_summary"));
    g_free(err);
    ck_assert_int_eq(tu_db_int(db_a, "SELECT count(*) FROM runs"), 1);

    g_free(text);
    g_free(missing);
    g_free(bad_out);
}
END_TEST

static char *altered_copy(const char *src, const char *name, const char *sql);

/* A copy of src at dir/name (g_free). */
static char *copy_file(const char *src, const char *name)
{
    char *data = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(src, &data, &len, NULL));
    char *path = g_build_filename(dir, name, NULL);
    ck_assert(g_file_set_contents(path, data, (gssize)len, NULL));
    g_free(data);
    return path;
}

/* The names in dir that start with prefix ("" for all), sorted, one a line (g_free). */
static char *names_in(const char *folder, const char *prefix)
{
    GPtrArray *v = g_ptr_array_new();
    GDir *d = g_dir_open(folder, 0, NULL);
    ck_assert_ptr_nonnull(d);
    for (const char *n; (n = g_dir_read_name(d));)
        if (g_str_has_prefix(n, prefix))
            g_ptr_array_add(v, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(v, (GCompareFunc)(void *)g_strcmp0);
    g_ptr_array_add(v, NULL);
    char *all = g_strjoinv("\n", (char **)v->pdata);
    g_strfreev((char **)g_ptr_array_free(v, FALSE));
    return all;
}

/* `export X.db --table runs --out X.db` used to truncate X.db and then,
 * failing, delete it. The output may not be the input by any name. */
START_TEST(test_export_out_is_input)
{
    char *self = copy_file(db_a, "self.db");
    char *soft = g_build_filename(dir, "self-link.db", NULL);
    char *hard = g_build_filename(dir, "self-hard.db", NULL);
    ck_assert_int_eq(symlink(self, soft), 0);
    ck_assert_int_eq(link(self, hard), 0);
    const char *outs[][2] = { { self, self }, { self, soft }, { self, hard }, { soft, self } };
    for (size_t i = 0; i < G_N_ELEMENTS(outs); i++) {
        char *out = NULL, *err = NULL;
        int rc = tu_chainsim(&out, &err, "export", outs[i][0], "--table", "runs", "--out", outs[i][1], NULL);
        ck_assert_msg(rc == 2, "export %s --out %s: exit %d (%s)", outs[i][0], outs[i][1], rc, err);
        ck_assert_msg(strstr(err, "chainsim export: --out ") && strstr(err, outs[i][1]) &&
                          strstr(err, "cannot be"), "stderr: %s", err);
        g_free(out);
        g_free(err);
        /* The database is whole. */
        ck_assert_int_eq(tu_db_int(self, "SELECT count(*) FROM runs"), 1);
        char *ok = tu_db_text(self, "PRAGMA integrity_check");
        ck_assert_str_eq(ok, "ok");
        g_free(ok);
    }
    char *left = names_in(dir, ".self");
    ck_assert_str_eq(left, "");
    g_free(left);
    g_unlink(soft);
    g_unlink(hard);
    g_unlink(self);
    g_free(soft);
    g_free(hard);
    g_free(self);
}
END_TEST

/* An export that fails half-way used to leave no file at all where an
 * older one was: the older file stays as it was, and no temporary file is
 * left behind. */
START_TEST(test_export_failure_keeps_older_file)
{
    /* A view whose second row fails while it is read (integer overflow). */
    char *bad = altered_copy(db_a, "overflow.db",
                             "CREATE TABLE nums (x INTEGER); INSERT INTO nums VALUES (0), (1);"
                             "CREATE VIEW v_overflow AS SELECT x, abs(-9223372036854775807 - x) AS y FROM nums");
    char *folder = g_build_filename(dir, "older", NULL);
    ck_assert_int_eq(g_mkdir_with_parents(folder, 0777), 0);
    char *older = tu_write(folder, "out.csv", "the older file\n");
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "export", bad, "--view", "v_overflow", "--out", older, NULL), 1);
    ck_assert_msg(strstr(err, "integer overflow"), "stderr: %s", err);
    g_free(err);
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(older, &text, NULL, NULL), "the older file is gone");
    ck_assert_str_eq(text, "the older file\n");
    g_free(text);
    char *left = names_in(folder, "");
    ck_assert_str_eq(left, "out.csv");
    g_free(left);

    /* A successful export replaces it. */
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "export", bad, "--table", "nums", "--out", older, NULL), 0);
    ck_assert(g_file_get_contents(older, &text, NULL, NULL));
    ck_assert_str_eq(text, "x\r\n0\r\n1\r\n");
    g_free(text);
    left = names_in(folder, "");
    ck_assert_str_eq(left, "out.csv");
    g_free(left);

    /* An output that cannot be written: the system's reason. */
    char *under_file = g_build_filename(older, "x.csv", NULL);
    ck_assert_int_eq(tu_chainsim(NULL, &err, "export", bad, "--table", "nums", "--out", under_file, NULL), 1);
    char *want = g_strdup_printf("cannot write %s: %s", under_file, g_strerror(ENOTDIR));
    ck_assert_msg(strstr(err, want), "stderr: %s", err);
    g_free(want);
    g_free(err);
    char *folder_out = g_build_filename(dir, "older", NULL);
    ck_assert_int_eq(tu_chainsim(NULL, &err, "export", bad, "--table", "nums", "--out", folder_out, NULL), 1);
    want = g_strdup_printf("cannot write %s: %s", folder_out, g_strerror(EISDIR));
    ck_assert_msg(strstr(err, want), "stderr: %s", err);
    g_free(want);
    g_free(err);
    g_unlink(older);
    g_rmdir(folder);
    g_unlink(bad);
    g_free(folder_out);
    g_free(under_file);
    g_free(older);
    g_free(folder);
    g_free(bad);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* merge */

/* Splits tu_db_dump output into lines (g_strfreev). */
static char **db_lines(const char *db, const char *sql)
{
    char *all = tu_db_dump(db, sql);
    g_strchomp(all);
    char **lines = *all ? g_strsplit(all, "\n", -1) : g_new0(char *, 1);
    g_free(all);
    return lines;
}

static char **user_tables(const char *db)
{
    return db_lines(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
                        "ORDER BY name");
}

/* The rows of run_id in table, without run_id, in primary-key order (g_free). */
static char *dump_run(const char *db, const char *table, int64_t run_id)
{
    char *q = g_strdup_printf("SELECT name FROM pragma_table_info('%s') WHERE name <> 'run_id' ORDER BY cid", table);
    char **cols = db_lines(db, q);
    g_free(q);
    q = g_strdup_printf("SELECT name FROM pragma_table_info('%s') WHERE pk > 0 ORDER BY pk", table);
    char **pk = db_lines(db, q);
    g_free(q);
    char *c = g_strjoinv(", ", cols), *o = g_strjoinv(", ", pk);
    char *sql = g_strdup_printf("SELECT %s FROM %s WHERE run_id = %" G_GINT64_FORMAT " ORDER BY %s", c, table,
                                run_id, o);
    char *dump = tu_db_dump(db, sql);
    g_free(sql);
    g_free(c);
    g_free(o);
    g_strfreev(cols);
    g_strfreev(pk);
    return dump;
}

static int64_t count_rows(const char *db, const char *table)
{
    char *sql = g_strdup_printf("SELECT count(*) FROM %s", table);
    int64_t n = tu_db_int(db, sql);
    g_free(sql);
    return n;
}

/* Asserts that run new_id of out equals run old_id of in, table by table. */
static void assert_same_run(const char *out, int64_t new_id, const char *in, int64_t old_id)
{
    char **tables = user_tables(in);
    for (char **t = tables; *t; t++) {
        char *a = dump_run(in, *t, old_id), *b = dump_run(out, *t, new_id);
        ck_assert_msg(strcmp(a, b) == 0, "table %s: run %" G_GINT64_FORMAT " of the output differs from run %"
                      G_GINT64_FORMAT " of %s", *t, new_id, old_id, in);
        g_free(a);
        g_free(b);
    }
    g_strfreev(tables);
}

/* Asserts that every table of out has sum(factor[i] * rows in ins[i]). */
static void assert_counts(const char *out, const char *const *ins, const int *factor, int n)
{
    char **tables = user_tables(out);
    int ntables = 0;
    for (char **t = tables; *t; t++, ntables++) {
        int64_t want = 0;
        for (int i = 0; i < n; i++)
            want += factor[i] * count_rows(ins[i], *t);
        ck_assert_msg(count_rows(out, *t) == want, "table %s: %" G_GINT64_FORMAT " rows, expected %" G_GINT64_FORMAT,
                      *t, count_rows(out, *t), want);
    }
    ck_assert_int_ge(ntables, 10);
    g_strfreev(tables);
}

static void assert_views_work(const char *out, int64_t runs)
{
    char *json = NULL, *err = NULL;
    ck_assert_msg(tu_chainsim(&json, &err, "report", out, "--json", NULL) == 0, "report: %s", err);
    ck_assert_ptr_nonnull(strstr(json, "\"blocks_total\": "));
    g_free(json);
    g_free(err);
    ck_assert_int_eq(tu_db_int(out, "SELECT count(*) FROM v_run_summary"), runs);
    char *check = tu_db_text(out, "PRAGMA integrity_check");
    ck_assert_str_eq(check, "ok");
    g_free(check);
}

START_TEST(test_merge_two)
{
    char *out_db = g_build_filename(dir, "merged.db", NULL);
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, "merge", out_db, db_a, db_b, NULL);
    ck_assert_msg(rc == 0, "merge: %d %s", rc, err);
    ck_assert_ptr_nonnull(strstr(out, "run 2 -> "));
    g_free(out);
    g_free(err);

    const char *ins[] = { db_a, db_b };
    const int once[] = { 1, 1 };
    assert_counts(out_db, ins, once, 2);
    char *ids = tu_db_dump(out_db, "SELECT run_id, seed FROM runs ORDER BY run_id");
    ck_assert_str_eq(ids, "1|1\n2|2\n3|3\n");
    g_free(ids);
    ck_assert_int_eq(tu_db_int(out_db, "SELECT count(DISTINCT run_id) FROM runs"), 3);
    assert_same_run(out_db, 1, db_a, 1);
    assert_same_run(out_db, 2, db_b, 1);
    assert_same_run(out_db, 3, db_b, 2);
    assert_views_work(out_db, 3);

    /* The summaries are those of the originals. */
    char *merged = tu_db_dump(out_db, "SELECT * FROM v_run_summary WHERE run_id = 3");
    char *orig = tu_db_dump(db_b, "SELECT * FROM v_run_summary WHERE run_id = 2");
    ck_assert_str_eq(merged + 1, orig + 1); /* past the run id, one digit */
    g_free(merged);
    g_free(orig);
    g_free(out_db);
}
END_TEST

START_TEST(test_merge_twice_and_append)
{
    char *out_db = g_build_filename(dir, "twice.db", NULL);
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "merge", out_db, db_a, db_a, NULL), 0);
    const char *ins[] = { db_a, db_b };
    const int twice[] = { 2, 0 };
    assert_counts(out_db, ins, twice, 2);
    assert_same_run(out_db, 1, db_a, 1);
    assert_same_run(out_db, 2, db_a, 1);

    /* Merging into a file that has runs appends. */
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "merge", out_db, db_b, NULL), 0);
    const int more[] = { 2, 1 };
    assert_counts(out_db, ins, more, 2);
    ck_assert_int_eq(tu_db_int(out_db, "SELECT count(DISTINCT run_id) FROM runs"), 4);
    ck_assert_int_eq(tu_db_int(out_db, "SELECT max(run_id) FROM runs"), 4);
    assert_same_run(out_db, 3, db_b, 1);
    assert_same_run(out_db, 4, db_b, 2);
    assert_views_work(out_db, 4);
    g_free(out_db);
}
END_TEST

static void expect_merge_status(int want, const char *why, const char *a0, const char *a1, const char *a2)
{
    char *err = NULL;
    int rc = tu_chainsim(NULL, &err, "merge", a0, a1, a2, NULL);
    ck_assert_msg(rc == want, "%s: exit %d, expected %d (stderr: %s)", why, rc, want, err);
    ck_assert_msg(want == 0 || strlen(err) > 0, "%s: no message", why);
    g_free(err);
}

/* Copies src to dir/name and runs sql on the copy; returns its path. */
static char *altered_copy(const char *src, const char *name, const char *sql)
{
    char *data = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(src, &data, &len, NULL));
    char *path = g_build_filename(dir, name, NULL);
    ck_assert(g_file_set_contents(path, data, (gssize)len, NULL));
    g_free(data);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    return path;
}

START_TEST(test_merge_errors)
{
    char *out_db = g_build_filename(dir, "err.db", NULL);
    char *text = tu_write(dir, "merge.txt", "not a database\n");
    char *missing = g_build_filename(dir, "missing.db", NULL);
    char *plain = altered_copy(db_a, "plain.db", "DROP VIEW v_run_summary; DROP TABLE runs");

    expect_merge_status(2, "nothing", NULL, NULL, NULL);
    expect_merge_status(2, "no input", out_db, NULL, NULL);
    expect_merge_status(2, "unknown option", "--bogus", out_db, db_a);
    expect_merge_status(2, "missing input", out_db, missing, NULL);
    expect_merge_status(2, "text input", out_db, text, NULL);
    expect_merge_status(2, "no runs table", out_db, db_a, plain);
    ck_assert_msg(!g_file_test(out_db, G_FILE_TEST_EXISTS), "a refused merge created the output");
    expect_merge_status(2, "output not a database", text, db_a, NULL);
    expect_merge_status(0, "help", "--help", NULL, NULL);

    /* Into itself. */
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "merge", out_db, db_a, NULL), 0);
    expect_merge_status(2, "itself", out_db, out_db, NULL);

    /* A table the output lacks: that input is rolled back, the one before stays. */
    char *extra = altered_copy(db_b, "extra.db", "CREATE TABLE extra (run_id INTEGER, x INTEGER);"
                                                 "INSERT INTO extra VALUES (1, 5)");
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "merge", out_db, db_b, extra, NULL), 1);
    ck_assert_ptr_nonnull(strstr(err, "extra"));
    g_free(err);
    const char *ins[] = { db_a, db_b };
    const int counts[] = { 1, 1 };
    assert_counts(out_db, ins, counts, 2);
    assert_views_work(out_db, 3);

    /* A column the output lacks. */
    char *column = altered_copy(db_a, "column.db", "ALTER TABLE blocks ADD COLUMN extra_col INTEGER");
    ck_assert_int_eq(tu_chainsim(NULL, &err, "merge", out_db, column, NULL), 1);
    ck_assert_ptr_nonnull(strstr(err, "extra_col"));
    g_free(err);
    assert_counts(out_db, ins, counts, 2);

    g_free(column);
    g_free(extra);
    g_free(plain);
    g_free(missing);
    g_free(text);
    g_free(out_db);
}
END_TEST

static Suite *export_suite(void)
{
    Suite *s = suite_create("export");
    TCase *ex = tcase_create("export");
    tcase_add_unchecked_fixture(ex, setup_runs, teardown_runs);
    tcase_set_timeout(ex, 300);
    tcase_add_test(ex, test_export_csv_blocks);
    tcase_add_test(ex, test_export_csv_quoting);
    tcase_add_test(ex, test_export_run_filter);
    tcase_add_test(ex, test_export_json_summary);
    tcase_add_test(ex, test_export_errors);
    tcase_add_test(ex, test_export_out_is_input);
    tcase_add_test(ex, test_export_failure_keeps_older_file);
    tcase_add_test(ex, test_merge_two);
    tcase_add_test(ex, test_merge_twice_and_append);
    tcase_add_test(ex, test_merge_errors);
    suite_add_tcase(s, ex);
    return s;
}

int main(void)
{
    return tu_run_suite(export_suite());
}
