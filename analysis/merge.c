/*
 * merge.c - `chainsim merge OUT.db IN.db...`: append the runs of several
 * results databases to one.
 *
 * Steps:
 *   1. Every input is checked first (exists, is an SQLite database with a
 *      runs table, is not OUT itself), so bad usage creates nothing.
 *   2. OUT, if it exists, must be a chainsim results database (or empty);
 *      it is then opened with record_open() and closed again, which applies
 *      analysis/schema.sql and analysis/views.sql exactly as a run does.
 *   3. Each input in turn is ATTACHed read-only (as a URI with mode=ro) and
 *      copied in one transaction (BEGIN IMMEDIATE ... COMMIT):
 *        - temp.merge_map gets old run_id -> new run_id, the new ids
 *          following the largest run_id of OUT in the order of the old ones;
 *        - every table of the input (sqlite_master type 'table', sqlite_*
 *          excluded) with a run_id column is copied with
 *            INSERT INTO main."t" ("run_id", "c2", ...)
 *            SELECT m.new_id, s."c2", ... FROM src."t" s
 *            JOIN temp.merge_map m ON m.old_id = s.run_id
 *          naming the input's columns, so a column OUT lacks is an error;
 *          runs comes first, the others in name order. A table that OUT does
 *          not have is an error; one without a run_id column is skipped with
 *          a note; rows whose run_id is not in runs are left out with a note.
 *      On any error the transaction is rolled back and the command exits
 *      with 1: OUT holds the inputs merged before and is valid.
 * Identifiers are always quoted ("...", inner quotes doubled); file names
 * are bound as parameters.
 */
#include "analysis/merge.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/cli.h"
#include "sim/record/record.h"

enum { MERGE_OK = 0, MERGE_RUNTIME = 1, MERGE_BADINPUT = 2 };

#define MERGE_BUSY_MS 10000

static const cli_command_t merge_cli = {
    .name = "merge",
    .usage = "OUT.db IN.db...",
    .about = "Appends every run of the results databases IN.db... to OUT.db (created\n"
             "with the schema and views of chainsim if needed). Each run gets a new\n"
             "run_id, the next free one in OUT.db, and brings along its rows of every\n"
             "table. Each input is copied in one transaction: if it fails, OUT.db keeps\n"
             "what was merged before it. The inputs are only read.\n",
    .operands = (const cli_operand_t[]){ { "OUT.db", "the output database", CLI_ONE },
                                         { "IN.db", "the input databases", CLI_MANY },
                                         { NULL, NULL, CLI_ONE } },
    .exits = "0 success, 1 SQLite or I/O error, 2 bad usage, no such input,\n"
             "or a file that is not a chainsim results database\n",
};

/* An SQLite URI for path ("file:...", with %, ? and # escaped), with the
 * query `query` (may be NULL). g_free the result. */
static char *file_uri(const char *path, const char *query)
{
    GString *u = g_string_new(path[0] == '/' ? "file://" : "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            g_string_append_printf(u, "%%%02X", (unsigned char)*p);
        else
            g_string_append_c(u, *p);
    }
    if (query)
        g_string_append_printf(u, "?%s", query);
    return g_string_free(u, FALSE);
}

/* Counts the tables of db named `name` (main or the schema given) and the
 * tables in all. Returns the SQLite result code. */
static int count_tables(sqlite3 *db, const char *schema, const char *name, int64_t *named, int64_t *all)
{
    char *sql = sqlite3_mprintf("SELECT count(*), coalesce(sum(name = ?1), 0) FROM \"%w\".sqlite_master"
                                " WHERE type = 'table'",
                                schema);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *all = sqlite3_column_int64(st, 0);
        *named = sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Checks that path is an existing chainsim results database (a runs table),
 * or, when may_be_new, does not exist yet or is empty. Returns MERGE_OK or
 * an exit status after printing why. */
static int check_db(const char *path, const char *role, bool may_be_new)
{
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        if (may_be_new)
            return MERGE_OK;
        fprintf(stderr, "chainsim merge: %s: no such file\n", path);
        return MERGE_BADINPUT;
    }
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "chainsim merge: %s: is a folder, not a results database\n", path);
        return MERGE_BADINPUT;
    }
    sqlite3 *db = NULL;
    int status = MERGE_OK;
    char *uri = file_uri(path, "mode=ro");
    int64_t runs = 0, all = 0;
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    g_free(uri);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, MERGE_BUSY_MS);
        rc = count_tables(db, "main", "runs", &runs, &all);
    }
    if (rc != SQLITE_OK) {
        int code = db ? sqlite3_errcode(db) & 0xff : SQLITE_NOMEM;
        if (code == SQLITE_NOTADB) {
            fprintf(stderr, "chainsim merge: %s (%s): not an SQLite database, so not a chainsim results database\n",
                    path, role);
            status = MERGE_BADINPUT;
        } else if (code == SQLITE_CORRUPT) {
            fprintf(stderr, "chainsim merge: %s (%s): the database file is damaged (%s)\n", path, role,
                    sqlite3_errmsg(db));
            status = MERGE_BADINPUT;
        } else {
            fprintf(stderr, "chainsim merge: %s (%s): cannot read it: %s\n", path, role,
                    db ? sqlite3_errmsg(db) : "out of memory");
            status = MERGE_RUNTIME;
        }
    } else if (runs == 0 && !(may_be_new && all == 0)) {
        fprintf(stderr, "chainsim merge: %s (%s): not a chainsim results database (it has no runs table)\n", path,
                role);
        status = MERGE_BADINPUT;
    }
    sqlite3_close(db);
    return status;
}

/* True if a and b name the same existing file. */
static bool same_file(const char *a, const char *b)
{
    GStatBuf sa, sb;
    return g_stat(a, &sa) == 0 && g_stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The state of one merge: the OUT connection and the input being copied. */
typedef struct merge_ctx {
    sqlite3 *db;
    const char *out;
    const char *in;
} merge_ctx_t;

/* Prints the last SQLite error while doing `what` (a format with one %s).
 * Returns MERGE_RUNTIME. */
static int sql_fail(const merge_ctx_t *m, const char *what, const char *arg)
{
    fprintf(stderr, "chainsim merge: %s: ", m->in);
    fprintf(stderr, what, arg);
    fprintf(stderr, ": %s\n", sqlite3_errmsg(m->db));
    return MERGE_RUNTIME;
}

static int exec(const merge_ctx_t *m, const char *sql, const char *what)
{
    return sqlite3_exec(m->db, sql, NULL, NULL, NULL) == SQLITE_OK ? MERGE_OK : sql_fail(m, what, "");
}

/* First column of the first row of sql (?1 bound to text arg when given) in
 * *v. Returns the SQLite result code. */
static int query_int(sqlite3 *db, const char *sql, const char *arg, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    sqlite3_finalize(st);
    return rc;
}

/* Fills names with the text of the first column of every row of sql (?1
 * bound to arg when given). Returns the SQLite result code. */
static int query_names(sqlite3 *db, const char *sql, const char *arg, GPtrArray *names)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_ptr_array_add(names, g_strdup((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Copies the rows of table `table` of src into main with the new run ids.
 * *copied counts the rows. Returns MERGE_OK or an exit status after
 * printing why. */
static int copy_table(const merge_ctx_t *m, const char *table, int64_t *copied)
{
    GPtrArray *cols = g_ptr_array_new_with_free_func(g_free);
    GString *sql = g_string_new(NULL);
    int status = MERGE_OK;
    *copied = 0;
    if (query_names(m->db, "SELECT name FROM pragma_table_info(?1, 'src') ORDER BY cid", table, cols) !=
        SQLITE_OK) {
        status = sql_fail(m, "cannot read the columns of table %s", table);
        goto done;
    }
    bool has_run_id = false;
    for (guint i = 0; i < cols->len; i++)
        has_run_id |= strcmp(g_ptr_array_index(cols, i), "run_id") == 0;
    if (!has_run_id) {
        fprintf(stderr, "chainsim merge: %s: note: table %s has no run_id column; not copied\n", m->in, table);
        goto done;
    }
    int64_t in_out = 0;
    if (query_int(m->db, "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = ?1", table,
                  &in_out) != SQLITE_OK) {
        status = sql_fail(m, "cannot read the tables of the output%s", "");
        goto done;
    }
    if (in_out == 0) {
        fprintf(stderr,
                "chainsim merge: %s: table %s is not in the output %s (the input was not written by this\n"
                "version of chainsim); this input was not merged\n",
                m->in, table, m->out);
        status = MERGE_RUNTIME;
        goto done;
    }

    char *q = sqlite3_mprintf("\"%w\"", table);
    g_string_append_printf(sql, "INSERT INTO main.%s (", q);
    for (guint i = 0; i < cols->len; i++) {
        char *c = sqlite3_mprintf("\"%w\"", (const char *)g_ptr_array_index(cols, i));
        g_string_append_printf(sql, "%s%s", i ? ", " : "", c);
        sqlite3_free(c);
    }
    g_string_append(sql, ") SELECT ");
    for (guint i = 0; i < cols->len; i++) {
        const char *name = g_ptr_array_index(cols, i);
        if (strcmp(name, "run_id") == 0) {
            g_string_append_printf(sql, "%sm.new_id", i ? ", " : "");
        } else {
            char *c = sqlite3_mprintf("\"%w\"", name);
            g_string_append_printf(sql, "%ss.%s", i ? ", " : "", c);
            sqlite3_free(c);
        }
    }
    g_string_append_printf(sql, " FROM src.%s AS s JOIN temp.merge_map AS m ON m.old_id = s.\"run_id\"", q);
    int64_t total = 0;
    char *count_sql = sqlite3_mprintf("SELECT count(*) FROM src.%s", q);
    sqlite3_free(q);
    int rc = query_int(m->db, count_sql, NULL, &total);
    sqlite3_free(count_sql);
    if (rc != SQLITE_OK) {
        status = sql_fail(m, "cannot read table %s", table);
        goto done;
    }
    if (sqlite3_exec(m->db, sql->str, NULL, NULL, NULL) != SQLITE_OK) {
        status = sql_fail(m, "cannot copy table %s", table);
        goto done;
    }
    *copied = sqlite3_changes64(m->db);
    if (*copied != total)
        fprintf(stderr,
                "chainsim merge: %s: note: %" G_GINT64_FORMAT " row%s of table %s belong to no run of its runs "
                "table; not copied\n",
                m->in, total - *copied, total - *copied == 1 ? "" : "s", table);
done:
    g_string_free(sql, TRUE);
    g_ptr_array_free(cols, TRUE);
    return status;
}

/* Prints old -> new run ids of the input. Returns MERGE_OK or an exit
 * status after printing why. */
static int print_map(const merge_ctx_t *m)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(m->db,
                           "SELECT mm.old_id, mm.new_id, r.status FROM temp.merge_map mm"
                           " JOIN main.runs r ON r.run_id = mm.new_id ORDER BY mm.old_id",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(m, "cannot read the copied runs%s", "");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(st, 2);
        printf("%s: run %lld -> %s run %lld%s\n", m->in, (long long)sqlite3_column_int64(st, 0), m->out,
               (long long)sqlite3_column_int64(st, 1),
               status && strcmp(status, "running") == 0 ? " (status running: in progress or killed)" : "");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? MERGE_OK : sql_fail(m, "cannot read the copied runs%s", "");
}

/* Copies every run of the attached input (schema src) in the open
 * transaction. *nruns counts the runs. Returns MERGE_OK or an exit status
 * after printing why. */
static int copy_input(const merge_ctx_t *m, int64_t *nruns)
{
    int64_t has_runs = 0, all = 0;
    if (count_tables(m->db, "src", "runs", &has_runs, &all) != SQLITE_OK)
        return sql_fail(m, "cannot read the tables%s", "");
    if (has_runs == 0) {
        fprintf(stderr, "chainsim merge: %s: not a chainsim results database (it has no runs table)\n", m->in);
        return MERGE_BADINPUT;
    }
    int status;
    if ((status = exec(m, "DELETE FROM temp.merge_map", "cannot prepare the run ids%s")) != MERGE_OK ||
        (status = exec(m,
                       "INSERT INTO temp.merge_map (old_id, new_id)"
                       " SELECT run_id, (SELECT coalesce(max(run_id), 0) FROM main.runs)"
                       "                + row_number() OVER (ORDER BY run_id)"
                       " FROM src.runs",
                       "cannot number the runs%s")) != MERGE_OK)
        return status;
    if (query_int(m->db, "SELECT count(*) FROM temp.merge_map", NULL, nruns) != SQLITE_OK)
        return sql_fail(m, "cannot count the runs%s", "");

    GPtrArray *tables = g_ptr_array_new_with_free_func(g_free);
    if (query_names(m->db,
                    "SELECT name FROM src.sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name <> 'runs', name",
                    NULL, tables) != SQLITE_OK)
        status = sql_fail(m, "cannot read the tables%s", "");
    for (guint i = 0; status == MERGE_OK && i < tables->len; i++) {
        int64_t copied = 0;
        status = copy_table(m, g_ptr_array_index(tables, i), &copied);
    }
    g_ptr_array_free(tables, TRUE);
    return status;
}

/* Merges input `in` into the open OUT connection in one transaction.
 * Returns MERGE_OK or an exit status after printing why (rolled back). */
static int merge_one(merge_ctx_t *m, const char *in, int64_t *nruns)
{
    m->in = in;
    *nruns = 0;
    char *uri = file_uri(in, "mode=ro");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(m->db, "ATTACH DATABASE ?1 AS src", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    int status = rc == SQLITE_OK ? MERGE_OK : sql_fail(m, "cannot open it%s", "");
    sqlite3_finalize(st);
    g_free(uri);
    if (status != MERGE_OK)
        return status;

    status = exec(m, "BEGIN IMMEDIATE", "cannot start a transaction on the output%s");
    if (status == MERGE_OK) {
        status = copy_input(m, nruns);
        if (status == MERGE_OK)
            status = exec(m, "COMMIT", "cannot commit%s");
        if (status == MERGE_OK) {
            print_map(m); /* committed: a failure here only loses the listing */
        } else {
            sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
            fprintf(stderr, "chainsim merge: %s: rolled back; %s holds only what was merged before\n", in, m->out);
        }
    }
    sqlite3_exec(m->db, "DETACH DATABASE src", NULL, NULL, NULL);
    return status;
}

int merge_main(int argc, char **argv)
{
    const cli_option_t opts[] = { { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL } };
    char **operands = NULL;
    int status = cli_parse(&merge_cli, opts, argc, argv, &operands);
    if (status != CLI_GO_ON)
        return status;
    GPtrArray *files = g_ptr_array_new();
    for (char **f = operands; *f; f++)
        g_ptr_array_add(files, *f);
    g_free(operands);

    const char *out = g_ptr_array_index(files, 0);
    merge_ctx_t m = { .out = out, .in = out };
    status = check_db(out, "the output", true);
    for (guint i = 1; status == MERGE_OK && i < files->len; i++) {
        const char *in = g_ptr_array_index(files, i);
        status = check_db(in, "an input", false);
        if (status == MERGE_OK && same_file(in, out)) {
            fprintf(stderr, "chainsim merge: %s: is the output file; a database cannot be merged into itself\n", in);
            status = MERGE_BADINPUT;
        }
    }
    if (status != MERGE_OK)
        goto done;

    char *err = NULL;
    record_t *r = record_open(out, &err);
    if (!r) {
        fprintf(stderr, "chainsim merge: %s\n", err ? err : "cannot create the output database");
        g_free(err);
        status = MERGE_RUNTIME;
        goto done;
    }
    record_close(r);

    char *uri = file_uri(out, NULL);
    int rc = sqlite3_open_v2(uri, &m.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);
    g_free(uri);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "chainsim merge: %s: cannot open: %s\n", out, m.db ? sqlite3_errmsg(m.db) : "out of memory");
        status = MERGE_RUNTIME;
        goto done;
    }
    sqlite3_busy_timeout(m.db, MERGE_BUSY_MS);
    if ((status = exec(&m, "CREATE TEMP TABLE merge_map (old_id INTEGER PRIMARY KEY, new_id INTEGER NOT NULL)",
                       "cannot prepare the merge%s")) != MERGE_OK)
        goto done;

    int64_t total = 0;
    guint merged = 0;
    for (guint i = 1; i < files->len; i++) {
        int64_t n = 0;
        if ((status = merge_one(&m, g_ptr_array_index(files, i), &n)) != MERGE_OK)
            break;
        total += n;
        merged++;
    }
    if (status == MERGE_OK) {
        printf("%" G_GINT64_FORMAT " run%s from %u file%s appended to %s\n", total, total == 1 ? "" : "s", merged,
               merged == 1 ? "" : "s", out);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "chainsim merge: cannot write to standard output\n");
            status = MERGE_RUNTIME;
        }
    } else if (merged > 0) {
        fprintf(stderr, "chainsim merge: the %u input%s before it stay merged in %s\n", merged,
                merged == 1 ? "" : "s", out);
    }
done:
    sqlite3_close(m.db);
    g_ptr_array_free(files, TRUE);
    return status;
}
