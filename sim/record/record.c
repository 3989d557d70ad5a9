/*
 * record.c - writing results to SQLite.
 *
 * The schema text is compiled in from analysis/schema.sql (see
 * analysis/embed.cmake) and applied with CREATE ... IF NOT EXISTS, so one file
 * can collect many runs. Each row kind has one prepared statement, prepared
 * on first use and kept for the life of the recorder. Rows go into an open
 * transaction that is committed every RECORD_BATCH_ROWS rows; the last batch
 * is committed together with the final run row by record_finish().
 *
 * Errors. Every SQLite call on the write path goes through CALL() and
 * check(), which compares its result with the one expected (SQLITE_OK,
 * SQLITE_DONE) and keeps the first failure in r->error. Once r->error is
 * set the recorder is failed: every write function returns false at once,
 * and record_finish() rolls back and only tries to mark the run 'failed'. Nothing is ever
 * committed after a failure, so a database never holds a run whose rows
 * are missing without saying so.
 *
 * Fault injection. CALL() counts the write-path calls; with
 * CHAINSIM_TEST_FAIL_WRITE=N the N-th is not made and fails as an I/O error
 * would (with N+, every call from the N-th on, as on a dead disk). Counting
 * our own calls, rather than failing SQLite's file writes through a VFS,
 * reaches every check in this file (binds and prepares never touch the
 * disk) and numbers the failure points the same way on every run; a real
 * full disk is tested with RLIMIT_FSIZE and max_page_count.
 *
 * Schema versions (PRAGMA user_version), upgraded by record_open() in one
 * transaction:
 *   1  the first schema: status is running, complete or interrupted;
 *   2  status may also be 'failed'. SQLite cannot change a CHECK constraint
 *      in place, so the upgrade renames runs away, creates it from
 *      schema.sql (with the columns of version 3), copies the rows and drops
 *      the old table;
 *   3  runs.pid and runs.host, added with ALTER TABLE when missing (they
 *      come last in runs, as ALTER TABLE puts them);
 *   4  the fork log tables (forks, fork_branches, fork_blocks, fork_txs,
 *      node_tips, block_marks): new tables only, created by schema.sql;
 *   5  adversaries and double_spends: new tables only.
 *   6  supply (coins at genesis, minted, at the end of the main chain): a
 *      new table only, created by schema.sql;
 *   7  block_txs (each block's transactions in order): a new table only.
 * The other tables are created when missing by schema.sql itself, which
 * also sets user_version and application_id.
 *
 * What may be opened. Before anything is written, record_open() reads the
 * file's first 16 bytes (SQLite's magic) and then, inside BEGIN IMMEDIATE,
 * its application_id, user_version and runs columns (accept()). A file that
 * is not missing, empty, a chainsim results database (application_id
 * RECORD_APPLICATION_ID) or a chainsim database from before application_id
 * (0, schema version 1 to 3, runs with exactly chainsim's columns) is
 * refused: the transaction is rolled back unwritten and the file is left as
 * it was. An SQLite database with no schema at all and application_id and
 * user_version 0 counts as empty.
 */
#include "sim/record/record.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const char record_schema_sql[];
extern const char record_views_sql[];

enum stmt_id {
    ST_NODE, ST_LINK, ST_FAULT, ST_MSG, ST_BCAST, ST_ARRIVAL, ST_PARAM,
    ST_BLOCK, ST_BLOCK_ARRIVAL, ST_TX, ST_REORG, ST_REJECT, ST_SAMPLE, ST_CHAIN,
    ST_FORK, ST_FORK_BRANCH, ST_FORK_BLOCK, ST_FORK_TX, ST_NODE_TIP, ST_BLOCK_MARK, ST_ADVERSARY, ST_DOUBLE_SPEND, ST_SUPPLY, ST_BLOCK_TX, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_NODE] = "INSERT INTO nodes VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_LINK] = "INSERT INTO links VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_FAULT] = "INSERT INTO faults VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_MSG] = "INSERT INTO msg_stats VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_BCAST] = "INSERT INTO broadcasts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_ARRIVAL] = "INSERT INTO arrivals VALUES (?1, ?2, ?3, ?4)",
    [ST_PARAM] = "INSERT INTO run_params VALUES (?1, ?2, ?3)",
    [ST_BLOCK] = "INSERT INTO blocks VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [ST_BLOCK_ARRIVAL] = "INSERT INTO block_arrivals VALUES (?1, ?2, ?3, ?4)",
    [ST_TX] = "INSERT INTO txs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [ST_REORG] = "INSERT INTO reorgs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_REJECT] = "INSERT INTO rejections VALUES (?1, ?2, ?3, ?4)",
    [ST_SAMPLE] = "INSERT INTO samples VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_CHAIN] = "INSERT INTO chain_summary VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_FORK] = "INSERT INTO forks VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [ST_FORK_BRANCH] = "INSERT INTO fork_branches VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [ST_FORK_BLOCK] = "INSERT INTO fork_blocks VALUES (?1, ?2, ?3, ?4)",
    [ST_FORK_TX] = "INSERT INTO fork_txs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_NODE_TIP] = "INSERT INTO node_tips VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_BLOCK_MARK] = "INSERT INTO block_marks VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_ADVERSARY] = "INSERT INTO adversaries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                     "?16, ?17)",
    [ST_DOUBLE_SPEND] = "INSERT INTO double_spends VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_SUPPLY] = "INSERT INTO supply VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_BLOCK_TX] = "INSERT INTO block_txs VALUES (?1, ?2, ?3, ?4, ?5)",
};

/* The table of each statement, for messages. */
static const char *const stmt_table[ST_COUNT] = {
    [ST_NODE] = "nodes", [ST_LINK] = "links", [ST_FAULT] = "faults", [ST_MSG] = "msg_stats",
    [ST_BCAST] = "broadcasts", [ST_ARRIVAL] = "arrivals", [ST_PARAM] = "run_params", [ST_BLOCK] = "blocks",
    [ST_BLOCK_ARRIVAL] = "block_arrivals", [ST_TX] = "txs", [ST_REORG] = "reorgs", [ST_REJECT] = "rejections",
    [ST_SAMPLE] = "samples", [ST_CHAIN] = "chain_summary", [ST_FORK] = "forks", [ST_FORK_BRANCH] = "fork_branches",
    [ST_FORK_BLOCK] = "fork_blocks", [ST_FORK_TX] = "fork_txs", [ST_NODE_TIP] = "node_tips",
    [ST_BLOCK_MARK] = "block_marks", [ST_ADVERSARY] = "adversaries", [ST_DOUBLE_SPEND] = "double_spends", [ST_SUPPLY] = "supply",
    [ST_BLOCK_TX] = "block_txs",
};

/* The columns of runs in schema version 1, all kept by the upgrade. */
#define RUNS_V1_COLUMNS                                                                                      \
    "run_id, scenario_name, scenario_path, scenario_text, params, overrides, seed, version, command, "    \
    "started_at, ended_at, wall_seconds, status, error, sim_end_ns, events, digest"

struct record {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    int64_t run_id;
    uint32_t pending_rows;
    char *error;            /* the first failure; set = failed */
    const char *final_status;
    gint64 started_us;
    uint64_t ops;           /* write-path calls so far */
    uint64_t fail_at;       /* CHAINSIM_TEST_FAIL_WRITE: the call to fail; 0 = none */
    bool fail_after;        /* ... and every later one ("N+") */
    bool print_ops;         /* CHAINSIM_TEST_FAIL_WRITE=0: print ops at close */
    const char *table;      /* of the row being bound, for messages */
    bool refused;           /* record_open: not a chainsim results database */
};

/* ---------- checked calls ---------- */

/* The result given to check() for a call failed by the test hook. */
#define RC_INJECTED (-1)

/* Counts one write-path call; true when the test hook wants it to fail. */
static bool inject(record_t *r)
{
    r->ops++;
    return r->fail_at != 0 && (r->ops == r->fail_at || (r->fail_after && r->ops > r->fail_at));
}

/* Makes one write-path SQLite call, or fails it without making it when the
 * test hook says so (CHAINSIM_TEST_FAIL_WRITE, see record.h). */
#define CALL(r, call) (inject(r) ? RC_INJECTED : (call))

/* Checks rc, the result of a write-path call doing `what`, against want.
 * On a mismatch keeps the first failure in r->error and returns false. */
static bool check(record_t *r, int rc, int want, const char *what)
{
    if (rc == want)
        return true;
    if (r->error)
        return false;
    if (rc == RC_INJECTED)
        r->error = g_strdup_printf("results database: %s: injected failure of write operation %" G_GUINT64_FORMAT
                                   " (CHAINSIM_TEST_FAIL_WRITE)", what, r->ops);
    else
        r->error = g_strdup_printf("results database: %s: %s", what, sqlite3_errmsg(r->db));
    return false;
}

/* Runs sql (one or more statements, rows ignored). False on failure. */
static bool exec(record_t *r, const char *sql, const char *what)
{
    if (r->error)
        return false;
    return check(r, CALL(r, sqlite3_exec(r->db, sql, NULL, NULL, NULL)), SQLITE_OK, what);
}

/* True when a transaction is open on the connection (whatever we think:
 * SQLite rolls back by itself after some errors, such as a full disk). */
static bool in_transaction(const record_t *r)
{
    return sqlite3_get_autocommit(r->db) == 0;
}

/* Rolls back the open transaction, if any. Best effort: a failure here
 * changes nothing the caller can act on, so it is not reported. */
static void rollback(record_t *r)
{
    if (in_transaction(r))
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

/* check() for a bind into a row of r->table. */
static bool check_bind(record_t *r, int rc)
{
    if (rc == SQLITE_OK)
        return true;
    char what[64];
    snprintf(what, sizeof what, "bind a value for %s", r->table);
    return check(r, rc, SQLITE_OK, what);
}

/* Binds: after a failure they do nothing (the row will not be written). */
static void bind_int(record_t *r, sqlite3_stmt *st, int i, int64_t v)
{
    if (!r->error)
        check_bind(r, CALL(r, sqlite3_bind_int64(st, i, v)));
}

static void bind_double(record_t *r, sqlite3_stmt *st, int i, double v)
{
    if (!r->error)
        check_bind(r, CALL(r, sqlite3_bind_double(st, i, v)));
}

/* text NULL binds NULL. SQLite copies the text (it may be freed after). */
static void bind_text(record_t *r, sqlite3_stmt *st, int i, const char *text)
{
    if (!r->error)
        check_bind(r, CALL(r, text ? sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT)
                                   : sqlite3_bind_null(st, i)));
}

/* UINT64_MAX binds NULL. */
static void bind_u64(record_t *r, sqlite3_stmt *st, int i, uint64_t v)
{
    if (r->error)
        return;
    if (v == UINT64_MAX)
        check_bind(r, CALL(r, sqlite3_bind_null(st, i)));
    else
        bind_int(r, st, i, (int64_t)v);
}

/* Negative binds NULL. */
static void bind_i64(record_t *r, sqlite3_stmt *st, int i, int64_t v)
{
    if (r->error)
        return;
    if (v < 0)
        check_bind(r, CALL(r, sqlite3_bind_null(st, i)));
    else
        bind_int(r, st, i, v);
}

/* Prepares sql into *st. False on failure (*st is then NULL). */
static bool prepare(record_t *r, const char *sql, sqlite3_stmt **st)
{
    *st = NULL;
    if (r->error)
        return false;
    return check(r, CALL(r, sqlite3_prepare_v2(r->db, sql, -1, st, NULL)), SQLITE_OK, "prepare");
}

/* Steps st (which must not return rows), then resets it. */
static bool step(record_t *r, sqlite3_stmt *st, const char *what)
{
    if (r->error)
        return false;
    if (!check(r, CALL(r, sqlite3_step(st)), SQLITE_DONE, what))
        return false;
    return check(r, CALL(r, sqlite3_reset(st)), SQLITE_OK, what);
}

/* ---------- opening and the schema ---------- */

/* First column of the first row of sql as an integer, into *v. */
static bool query_int(record_t *r, const char *sql, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *v = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return check(r, rc, SQLITE_OK, "read the schema");
}

/* Version 1 to 2: runs gets 'failed' among its statuses. The old table is
 * renamed with legacy_alter_table on, so that the foreign keys of the other
 * tables and the views keep naming "runs" (the new table); foreign keys are
 * off during record_open. */
static bool upgrade_1_to_2(record_t *r)
{
    return exec(r, "PRAGMA legacy_alter_table = ON", "upgrade from schema 1") &&
           exec(r, "ALTER TABLE runs RENAME TO runs_v1", "upgrade from schema 1") &&
           exec(r, "PRAGMA legacy_alter_table = OFF", "upgrade from schema 1") &&
           exec(r, record_schema_sql, "upgrade from schema 1") &&
           exec(r, "INSERT INTO runs (" RUNS_V1_COLUMNS ") SELECT " RUNS_V1_COLUMNS " FROM runs_v1",
                "upgrade from schema 1") &&
           exec(r, "DROP TABLE runs_v1", "upgrade from schema 1");
}

/* Version 2 to 3: runs.pid and runs.host, when missing. */
static bool upgrade_2_to_3(record_t *r)
{
    static const char *const columns[][2] = { { "pid", "ALTER TABLE runs ADD COLUMN pid INTEGER" },
                                              { "host", "ALTER TABLE runs ADD COLUMN host TEXT" } };
    for (size_t i = 0; i < G_N_ELEMENTS(columns); i++) {
        char *sql = g_strdup_printf("SELECT count(*) FROM pragma_table_info('runs') WHERE name = '%s'",
                                    columns[i][0]);
        int64_t n = 0;
        bool ok = query_int(r, sql, &n);
        g_free(sql);
        if (!ok || (n == 0 && !exec(r, columns[i][1], "upgrade from schema 2")))
            return false;
    }
    return true;
}

/* First column of the first row of sql as text (g_free; "" for NULL). */
static char *query_text(record_t *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *text = NULL;
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            text = g_strdup(t ? (const char *)t : "");
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    check(r, rc, SQLITE_OK, "read the schema");
    return text;
}

/* Refuses the file at path: "PATH is not a chainsim results database
 * (WHY)" in r->error, or with newer, "PATH was written by a newer chainsim
 * (WHY)". Returns false. */
static bool refuse(record_t *r, const char *path, const char *why, bool newer)
{
    g_free(r->error);
    r->error = g_strdup_printf("%s %s (%s); it was left untouched", path,
                               newer ? "was written by a newer chainsim" : "is not a chainsim results database", why);
    r->refused = true;
    return false;
}

/* Decides, inside the open transaction and before writing anything, whether
 * the database is one chainsim may write to: a new or empty one, one with
 * application_id RECORD_APPLICATION_ID and a schema version it knows, or a
 * chainsim database from before application_id (0) recognised by its runs
 * table. Sets *version to its schema version (0 for a new one). False, with
 * r->refused set, for any other. */
static bool accept(record_t *r, const char *path, int64_t *version)
{
    int64_t app_id = 0, objects = 0;
    if (!query_int(r, "PRAGMA application_id", &app_id) || !query_int(r, "PRAGMA user_version", version) ||
        !query_int(r, "SELECT count(*) FROM sqlite_schema", &objects))
        return false;
    if (app_id == RECORD_APPLICATION_ID) {
        if (*version > RECORD_SCHEMA_VERSION) {
            char *why = g_strdup_printf("schema version %" G_GINT64_FORMAT "; this one knows up to %d", *version,
                                        RECORD_SCHEMA_VERSION);
            refuse(r, path, why, true);
            g_free(why);
            return false;
        }
        return true;
    }
    if (app_id != 0) {
        char *why = g_strdup_printf("an SQLite database of another program, application_id %" G_GINT64_FORMAT
                                    " (0x%08" G_GINT64_MODIFIER "x)", app_id, (gint64)(guint32)app_id);
        refuse(r, path, why, false);
        g_free(why);
        return false;
    }
    if (objects == 0 && *version == 0)
        return true; /* an empty database, as `sqlite3 FILE VACUUM` leaves */
    /* Before application_id: schema versions 1 to 3, runs with exactly the
     * columns chainsim gave it. */
    char *cols = query_text(r, "SELECT group_concat(name, ', ') FROM "
                               "(SELECT name FROM pragma_table_info('runs') ORDER BY cid)");
    if (!cols)
        return false;
    bool ours = *version >= 1 && *version <= RECORD_SCHEMA_VERSION &&
                (strcmp(cols, RUNS_V1_COLUMNS) == 0 || strcmp(cols, RUNS_V1_COLUMNS ", pid, host") == 0);
    g_free(cols);
    if (ours)
        return true;
    char *tables = query_text(r, "SELECT group_concat(name, ', ') FROM (SELECT name FROM sqlite_schema "
                                 "WHERE type = 'table' ORDER BY name LIMIT 6)");
    if (!tables)
        return false;
    char *why = g_strdup_printf("an SQLite database without chainsim's runs table; its tables: %s%s",
                                *tables ? tables : "none", objects > 6 ? ", ..." : "");
    refuse(r, path, why, false);
    g_free(why);
    g_free(tables);
    return false;
}

/* Brings the schema to RECORD_SCHEMA_VERSION, inside the open transaction,
 * after accept(). schema.sql sets application_id and user_version. */
static bool upgrade(record_t *r, int64_t version)
{
    if (version == 1 && !upgrade_1_to_2(r))
        return false;
    if ((version == 1 || version == 2) && !upgrade_2_to_3(r))
        return false;
    return exec(r, record_schema_sql, "create the schema") && exec(r, record_views_sql, "create the views");
}

/* Checks, before SQLite opens it, that path is missing, empty or an SQLite
 * file. False, with r->error and r->refused, otherwise. */
static bool may_be_database(record_t *r, const char *path)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0)
        return true; /* created by SQLite; other errors show there */
    if (S_ISDIR(st.st_mode))
        return refuse(r, path, "it is a folder", false);
    if (!S_ISREG(st.st_mode))
        return refuse(r, path, "it is not a regular file", false);
    if (st.st_size == 0)
        return true;
    static const char magic[16] = "SQLite format 3"; /* and its '\0' */
    char head[sizeof magic] = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f) {
        r->error = g_strdup_printf("cannot read %s: %s", path, g_strerror(errno));
        return false;
    }
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n < sizeof head || memcmp(head, magic, sizeof magic) != 0)
        return refuse(r, path, "not an SQLite file", false);
    return true;
}

/* Reads the environment variable name, a whole number with an optional
 * '+' after it (*plus, may be NULL when not allowed), into *v; false when it
 * is not set. A malformed value is reported and ignored. */
static bool test_hook(const char *name, uint64_t *v, bool *plus)
{
    const char *s = g_getenv(name);
    if (!s)
        return false;
    char *num = g_strdup(s);
    size_t n = strlen(num);
    bool has_plus = plus && n > 0 && num[n - 1] == '+';
    if (has_plus)
        num[n - 1] = '\0';
    bool ok = g_ascii_string_to_unsigned(num, 10, 0, G_MAXUINT64, v, NULL);
    g_free(num);
    if (!ok) {
        g_printerr("chainsim: %s=%s: expected a whole number%s; ignored\n", name, s, plus ? " (and a +)" : "");
        return false;
    }
    if (plus)
        *plus = has_plus;
    return true;
}

record_t *record_open_checked(const char *path, char **err, bool *refused)
{
    record_t *r = g_new0(record_t, 1);
    r->print_ops = test_hook("CHAINSIM_TEST_FAIL_WRITE", &r->fail_at, &r->fail_after) && r->fail_at == 0;
    if (refused)
        *refused = false;
    char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        *err = g_strdup_printf("cannot create the folder %s for the results database: %s", dir,
                               g_strerror(errno));
        g_free(dir);
        g_free(r);
        return NULL;
    }
    g_free(dir);
    if (!may_be_database(r, path)) {
        *err = g_strdup(r->error);
        if (refused)
            *refused = r->refused;
        g_free(r->error);
        g_free(r);
        return NULL;
    }
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        int sys = r->db ? sqlite3_system_errno(r->db) : 0;
        *err = g_strdup_printf("cannot open the results database %s: %s%s%s", path,
                               r->db ? sqlite3_errmsg(r->db) : "out of memory", sys ? ": " : "",
                               sys ? g_strerror(sys) : "");
        sqlite3_close(r->db);
        g_free(r);
        return NULL;
    }
    sqlite3_busy_timeout(r->db, 10000);
    /* Foreign keys stay off until the schema is upgraded (see upgrade_1_to_2). */
    int64_t version = 0;
    bool ok = exec(r, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF", "set up the connection") &&
              exec(r, "BEGIN IMMEDIATE", "create the schema") && accept(r, path, &version);
    int code = sqlite3_errcode(r->db) & 0xff;
    if (!ok && !r->refused && (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)) {
        /* It starts like SQLite but cannot be read as such. */
        char *why = g_strdup_printf("damaged or not SQLite: %s", sqlite3_errmsg(r->db));
        refuse(r, path, why, false);
        g_free(why);
    }
    ok = ok && upgrade(r, version) && exec(r, "COMMIT", "create the schema") &&
         exec(r, "PRAGMA foreign_keys = ON", "set up the connection");
    uint64_t max_pages;
    if (ok && test_hook("CHAINSIM_TEST_MAX_PAGE_COUNT", &max_pages, NULL)) {
        char *sql = g_strdup_printf("PRAGMA max_page_count = %" G_GUINT64_FORMAT, max_pages);
        ok = check(r, sqlite3_exec(r->db, sql, NULL, NULL, NULL), SQLITE_OK, "set max_page_count");
        g_free(sql);
    }
    if (!ok) {
        *err = r->refused ? g_strdup(r->error) : g_strdup_printf("%s (file %s)", r->error, path);
        if (refused)
            *refused = r->refused;
        record_close(r);
        return NULL;
    }
    return r;
}

record_t *record_open(const char *path, char **err)
{
    return record_open_checked(path, err, NULL);
}

void record_close(record_t *r)
{
    if (!r)
        return;
    rollback(r);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(r->st[i]);
    sqlite3_close(r->db);
    if (r->print_ops)
        g_printerr("chainsim: results database: %" G_GUINT64_FORMAT " write operations\n", r->ops);
    g_free(r->error);
    g_free(r);
}

const char *record_error(const record_t *r)
{
    return r->error;
}

int64_t record_run_id(const record_t *r)
{
    return r->run_id;
}

const char *record_final_status(const record_t *r)
{
    return r->final_status;
}

static char *utc_now(void)
{
    GDateTime *t = g_date_time_new_now_utc();
    char *s = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(t);
    return s;
}

/* ---------- rows ---------- */

bool record_flush(record_t *r)
{
    if (r->error)
        return false;
    if (in_transaction(r) && !exec(r, "COMMIT", "commit"))
        return false;
    r->pending_rows = 0;
    return true;
}

/* Gets statement id ready for binding (parameter 1, the run id, bound),
 * inside a transaction. NULL after a failure. */
static sqlite3_stmt *row(record_t *r, enum stmt_id id)
{
    if (r->error)
        return NULL;
    if (!in_transaction(r) && !exec(r, "BEGIN", "begin a transaction"))
        return NULL;
    if (!r->st[id] && !prepare(r, stmt_sql[id], &r->st[id]))
        return NULL;
    r->table = stmt_table[id];
    bind_int(r, r->st[id], 1, r->run_id);
    return r->error ? NULL : r->st[id];
}

/* Writes the row bound in statement id; commits every RECORD_BATCH_ROWS. */
static bool done(record_t *r, enum stmt_id id)
{
    char what[64];
    snprintf(what, sizeof what, "insert into %s", stmt_table[id]);
    if (!step(r, r->st[id], what))
        return false;
    if (++r->pending_rows >= RECORD_BATCH_ROWS)
        return record_flush(r);
    return true;
}

bool record_begin(record_t *r, const scenario_t *sc, const char *command)
{
    sqlite3_stmt *st = NULL;
    char *now = utc_now();
    bool ok = false;
    r->started_us = g_get_real_time();
    if (!exec(r, "BEGIN IMMEDIATE", "begin the run") ||
        !prepare(r,
                 "INSERT INTO runs (scenario_name, scenario_path, scenario_text, params, overrides, seed, "
                 "version, command, started_at, status, pid, host) VALUES (?,?,?,?,?,?,?,?,?, 'running', ?,?)",
                 &st))
        goto out;
    r->table = "runs";
    bind_text(r, st, 1, sc->name);
    bind_text(r, st, 2, sc->path);
    bind_text(r, st, 3, sc->text);
    bind_text(r, st, 4, sc->params);
    bind_text(r, st, 5, sc->overrides);
    bind_int(r, st, 6, (int64_t)sc->seed);
    bind_text(r, st, 7, CHAINSIM_VERSION);
    bind_text(r, st, 8, command);
    bind_text(r, st, 9, now);
    bind_int(r, st, 10, (int64_t)getpid());
    bind_text(r, st, 11, g_get_host_name());
    if (!step(r, st, "insert into runs"))
        goto out;
    r->run_id = sqlite3_last_insert_rowid(r->db);

    char **lines = g_strsplit(sc->params, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        char *eq = strstr(lines[i], " = ");
        if (!eq)
            continue;
        *eq = '\0';
        sqlite3_stmt *p = row(r, ST_PARAM);
        if (!p)
            break;
        bind_text(r, p, 2, lines[i]);
        bind_text(r, p, 3, eq + 3);
        if (!done(r, ST_PARAM))
            break;
    }
    g_strfreev(lines);
    ok = record_flush(r);
out:
    sqlite3_finalize(st);
    g_free(now);
    if (!ok)
        rollback(r);
    return ok;
}

bool record_node(record_t *r, uint32_t id, const char *region, uint64_t up_bps, uint64_t down_bps,
                 uint32_t degree)
{
    sqlite3_stmt *st = row(r, ST_NODE);
    if (!st)
        return false;
    bind_int(r, st, 2, id);
    bind_text(r, st, 3, region);
    bind_int(r, st, 4, (int64_t)up_bps);
    bind_int(r, st, 5, (int64_t)down_bps);
    bind_int(r, st, 6, degree);
    return done(r, ST_NODE);
}

bool record_link(record_t *r, uint32_t id, uint32_t a, uint32_t b, uint64_t mean_latency_ns)
{
    sqlite3_stmt *st = row(r, ST_LINK);
    if (!st)
        return false;
    bind_int(r, st, 2, id);
    bind_int(r, st, 3, a);
    bind_int(r, st, 4, b);
    bind_int(r, st, 5, (int64_t)mean_latency_ns);
    return done(r, ST_LINK);
}

bool record_fault(record_t *r, uint32_t seq, uint64_t at_ns, const char *name, const char *kind,
                  const char *detail, uint32_t nodes_affected)
{
    sqlite3_stmt *st = row(r, ST_FAULT);
    if (!st)
        return false;
    bind_int(r, st, 2, seq);
    bind_int(r, st, 3, (int64_t)at_ns);
    bind_text(r, st, 4, name);
    bind_text(r, st, 5, kind);
    bind_text(r, st, 6, detail);
    bind_int(r, st, 7, nodes_affected);
    return done(r, ST_FAULT);
}

bool record_msg_stats(record_t *r, const record_msg_stats_t *m)
{
    sqlite3_stmt *st = row(r, ST_MSG);
    if (!st)
        return false;
    bind_text(r, st, 2, m->kind);
    bind_int(r, st, 3, (int64_t)m->sent);
    bind_int(r, st, 4, (int64_t)m->bytes_sent);
    bind_int(r, st, 5, (int64_t)m->delivered);
    bind_int(r, st, 6, (int64_t)m->lost);
    bind_int(r, st, 7, (int64_t)m->dropped_partition);
    bind_int(r, st, 8, (int64_t)m->dropped_down);
    bind_int(r, st, 9, (int64_t)m->in_flight);
    return done(r, ST_MSG);
}

bool record_broadcast(record_t *r, uint64_t msg_id, uint32_t origin, uint64_t created_ns,
                      uint64_t size_bytes, uint32_t reached, uint64_t t50_ns, uint64_t t90_ns,
                      uint64_t t100_ns)
{
    sqlite3_stmt *st = row(r, ST_BCAST);
    if (!st)
        return false;
    bind_int(r, st, 2, (int64_t)msg_id);
    bind_int(r, st, 3, origin);
    bind_int(r, st, 4, (int64_t)created_ns);
    bind_int(r, st, 5, (int64_t)size_bytes);
    bind_int(r, st, 6, reached);
    bind_u64(r, st, 7, t50_ns);
    bind_u64(r, st, 8, t90_ns);
    bind_u64(r, st, 9, t100_ns);
    return done(r, ST_BCAST);
}

bool record_arrival(record_t *r, uint64_t msg_id, uint32_t node, uint64_t arrival_ns)
{
    sqlite3_stmt *st = row(r, ST_ARRIVAL);
    if (!st)
        return false;
    bind_int(r, st, 2, (int64_t)msg_id);
    bind_int(r, st, 3, node);
    bind_int(r, st, 4, (int64_t)arrival_ns);
    return done(r, ST_ARRIVAL);
}

bool record_block(record_t *r, uint32_t index, const char *id_hex, int64_t parent, uint64_t height,
                  int64_t producer, uint64_t created_ns, uint64_t size_bytes, uint32_t ntx, uint64_t difficulty,
                  bool main, uint32_t reached, uint64_t t50_ns, uint64_t t90_ns, uint64_t t100_ns)
{
    sqlite3_stmt *st = row(r, ST_BLOCK);
    if (!st)
        return false;
    bind_int(r, st, 2, index);
    bind_text(r, st, 3, id_hex);
    bind_i64(r, st, 4, parent);
    bind_int(r, st, 5, (int64_t)height);
    bind_i64(r, st, 6, producer);
    bind_int(r, st, 7, (int64_t)created_ns);
    bind_int(r, st, 8, (int64_t)size_bytes);
    bind_int(r, st, 9, ntx);
    bind_int(r, st, 10, (int64_t)difficulty);
    bind_int(r, st, 11, main);
    bind_int(r, st, 12, reached);
    bind_u64(r, st, 13, t50_ns);
    bind_u64(r, st, 14, t90_ns);
    bind_u64(r, st, 15, t100_ns);
    return done(r, ST_BLOCK);
}

bool record_block_tx(record_t *r, uint32_t index, uint32_t position, uint32_t tx_index, const char *id_hex)
{
    sqlite3_stmt *st = row(r, ST_BLOCK_TX);
    if (!st)
        return false;
    bind_int(r, st, 2, index);
    bind_int(r, st, 3, position);
    bind_i64(r, st, 4, tx_index ? (int64_t)tx_index : -1);
    bind_text(r, st, 5, id_hex);
    return done(r, ST_BLOCK_TX);
}

bool record_block_arrival(record_t *r, uint32_t index, uint32_t node, uint64_t arrival_ns)
{
    sqlite3_stmt *st = row(r, ST_BLOCK_ARRIVAL);
    if (!st)
        return false;
    bind_int(r, st, 2, index);
    bind_int(r, st, 3, node);
    bind_int(r, st, 4, (int64_t)arrival_ns);
    return done(r, ST_BLOCK_ARRIVAL);
}

bool record_tx(record_t *r, uint32_t index, const char *id_hex, uint32_t sender, uint64_t nonce, uint64_t amount,
               uint64_t fee, uint32_t size_bytes, uint32_t origin, const char *intent, uint64_t submitted_ns,
               uint64_t included_ns, int64_t main_block, uint64_t confirmed_ns, uint64_t final_ns)
{
    sqlite3_stmt *st = row(r, ST_TX);
    if (!st)
        return false;
    bind_int(r, st, 2, index);
    bind_text(r, st, 3, id_hex);
    bind_int(r, st, 4, sender);
    bind_int(r, st, 5, (int64_t)nonce);
    bind_int(r, st, 6, (int64_t)amount);
    bind_int(r, st, 7, (int64_t)fee);
    bind_int(r, st, 8, size_bytes);
    bind_int(r, st, 9, origin);
    bind_text(r, st, 10, intent);
    bind_int(r, st, 11, (int64_t)submitted_ns);
    bind_u64(r, st, 12, included_ns);
    bind_i64(r, st, 13, main_block);
    bind_u64(r, st, 14, confirmed_ns);
    bind_u64(r, st, 15, final_ns);
    return done(r, ST_TX);
}

bool record_reorg(record_t *r, uint32_t seq, uint32_t node, uint64_t at_ns, uint64_t depth, uint32_t old_tip,
                  uint32_t new_tip, uint64_t fork_height)
{
    sqlite3_stmt *st = row(r, ST_REORG);
    if (!st)
        return false;
    bind_int(r, st, 2, seq);
    bind_int(r, st, 3, node);
    bind_int(r, st, 4, (int64_t)at_ns);
    bind_int(r, st, 5, (int64_t)depth);
    bind_int(r, st, 6, old_tip);
    bind_int(r, st, 7, new_tip);
    bind_int(r, st, 8, (int64_t)fork_height);
    return done(r, ST_REORG);
}

bool record_rejection(record_t *r, const char *object, const char *reason, uint64_t count)
{
    sqlite3_stmt *st = row(r, ST_REJECT);
    if (!st)
        return false;
    bind_text(r, st, 2, object);
    bind_text(r, st, 3, reason);
    bind_int(r, st, 4, (int64_t)count);
    return done(r, ST_REJECT);
}

bool record_sample(record_t *r, uint64_t t_ns, double mempool_mean, uint64_t mempool_max, uint64_t height_min,
                   uint64_t height_max, uint64_t height_median, uint32_t tips)
{
    sqlite3_stmt *st = row(r, ST_SAMPLE);
    if (!st)
        return false;
    bind_int(r, st, 2, (int64_t)t_ns);
    bind_double(r, st, 3, mempool_mean);
    bind_int(r, st, 4, (int64_t)mempool_max);
    bind_int(r, st, 5, (int64_t)height_min);
    bind_int(r, st, 6, (int64_t)height_max);
    bind_int(r, st, 7, (int64_t)height_median);
    bind_int(r, st, 8, tips);
    return done(r, ST_SAMPLE);
}

bool record_chain_summary(record_t *r, const char *engine, uint64_t main_height, uint64_t final_height,
                          int64_t missed_slots, int64_t slashed)
{
    sqlite3_stmt *st = row(r, ST_CHAIN);
    if (!st)
        return false;
    bind_text(r, st, 2, engine);
    bind_int(r, st, 3, (int64_t)main_height);
    bind_int(r, st, 4, (int64_t)final_height);
    bind_i64(r, st, 5, missed_slots);
    bind_i64(r, st, 6, slashed);
    return done(r, ST_CHAIN);
}

/* ---------- adversaries ---------- */

bool record_adversary(record_t *r, const record_adversary_t *a)
{
    sqlite3_stmt *st = row(r, ST_ADVERSARY);
    if (!st)
        return false;
    bind_int(r, st, 2, a->adversary);
    bind_text(r, st, 3, a->name);
    bind_text(r, st, 4, a->kind);
    bind_int(r, st, 5, a->nodes);
    bind_int(r, st, 6, a->leader);
    if (a->share >= 0)
        bind_double(r, st, 7, a->share);
    else
        bind_i64(r, st, 7, -1);
    if (a->gamma >= 0)
        bind_double(r, st, 8, a->gamma);
    else
        bind_i64(r, st, 8, -1);
    bind_int(r, st, 9, (int64_t)a->start_ns);
    bind_u64(r, st, 10, a->stop_ns);
    bind_int(r, st, 11, (int64_t)a->blocks_made);
    bind_int(r, st, 12, (int64_t)a->blocks_main);
    bind_int(r, st, 13, (int64_t)a->main_blocks);
    if (a->main_blocks)
        bind_double(r, st, 14, (double)a->blocks_main / (double)a->main_blocks);
    else
        bind_i64(r, st, 14, -1);
    bind_int(r, st, 15, (int64_t)a->honest_blocks);
    bind_int(r, st, 16, (int64_t)a->honest_stale);
    bind_int(r, st, 17, (int64_t)a->released);
    return done(r, ST_ADVERSARY);
}

bool record_double_spend(record_t *r, const record_double_spend_t *d)
{
    sqlite3_stmt *st = row(r, ST_DOUBLE_SPEND);
    if (!st)
        return false;
    bind_int(r, st, 2, d->adversary);
    bind_int(r, st, 3, d->attempt);
    bind_int(r, st, 4, d->merchant);
    bind_int(r, st, 5, (int64_t)d->start_ns);
    bind_u64(r, st, 6, d->accepted_ns);
    bind_u64(r, st, 7, d->end_ns);
    bind_text(r, st, 8, d->outcome);
    bind_int(r, st, 9, (int64_t)d->blocks_lost);
    return done(r, ST_DOUBLE_SPEND);
}

bool record_supply(record_t *r, uint64_t genesis, uint64_t minted, uint64_t end_total, bool ok)
{
    sqlite3_stmt *st = row(r, ST_SUPPLY);
    if (!st)
        return false;
    bind_int(r, st, 2, (int64_t)genesis);
    bind_int(r, st, 3, (int64_t)minted);
    bind_int(r, st, 4, (int64_t)end_total);
    bind_int(r, st, 5, ok);
    return done(r, ST_SUPPLY);
}

/* ---------- the fork log ---------- */

bool record_fork(record_t *r, const record_fork_t *f)
{
    sqlite3_stmt *st = row(r, ST_FORK);
    if (!st)
        return false;
    bind_int(r, st, 2, f->fork_id);
    bind_int(r, st, 3, f->parent_index);
    bind_int(r, st, 4, (int64_t)f->fork_height);
    bind_int(r, st, 5, (int64_t)f->created_ns);
    bind_int(r, st, 6, f->branches);
    bind_i64(r, st, 7, f->winner);
    bind_text(r, st, 8, f->status);
    bind_int(r, st, 9, (int64_t)f->depth);
    bind_int(r, st, 10, f->stale_blocks);
    bind_u64(r, st, 11, f->decided_ns);
    bind_int(r, st, 12, f->open_nodes);
    bind_int(r, st, 13, f->equivocation);
    return done(r, ST_FORK);
}

bool record_fork_branch(record_t *r, const record_fork_branch_t *b)
{
    sqlite3_stmt *st = row(r, ST_FORK_BRANCH);
    if (!st)
        return false;
    bind_int(r, st, 2, b->fork_id);
    bind_int(r, st, 3, b->branch);
    bind_int(r, st, 4, b->root_index);
    bind_int(r, st, 5, b->tip_index);
    bind_int(r, st, 6, b->blocks);
    bind_int(r, st, 7, (int64_t)b->length);
    bind_int(r, st, 8, b->won);
    bind_int(r, st, 9, b->reached);
    for (int i = 0; i < 4; i++)
        bind_u64(r, st, 10 + i, b->reach_ns[i]);
    bind_int(r, st, 14, b->tip_nodes);
    return done(r, ST_FORK_BRANCH);
}

bool record_fork_block(record_t *r, uint32_t fork_id, uint32_t branch, uint32_t block_index)
{
    sqlite3_stmt *st = row(r, ST_FORK_BLOCK);
    if (!st)
        return false;
    bind_int(r, st, 2, fork_id);
    bind_int(r, st, 3, block_index);
    bind_int(r, st, 4, branch);
    return done(r, ST_FORK_BLOCK);
}

bool record_fork_tx(record_t *r, uint32_t fork_id, uint32_t block_index, const char *tx_id_hex, int64_t tx_index,
                    int64_t sender, uint64_t nonce, const char *fate, int64_t main_block, const char *conflict_hex)
{
    sqlite3_stmt *st = row(r, ST_FORK_TX);
    if (!st)
        return false;
    bind_int(r, st, 2, fork_id);
    bind_int(r, st, 3, block_index);
    bind_text(r, st, 4, tx_id_hex);
    bind_i64(r, st, 5, tx_index);
    bind_i64(r, st, 6, sender);
    bind_int(r, st, 7, (int64_t)nonce);
    bind_text(r, st, 8, fate);
    bind_i64(r, st, 9, main_block);
    bind_text(r, st, 10, conflict_hex);
    return done(r, ST_FORK_TX);
}

bool record_node_tip(record_t *r, uint32_t node, uint32_t tip_index, uint32_t final_index, bool up)
{
    sqlite3_stmt *st = row(r, ST_NODE_TIP);
    if (!st)
        return false;
    bind_int(r, st, 2, node);
    bind_int(r, st, 3, tip_index);
    bind_int(r, st, 4, final_index);
    bind_int(r, st, 5, up);
    return done(r, ST_NODE_TIP);
}

bool record_block_mark(record_t *r, uint32_t block_index, uint32_t evidence, const char *checkpoint,
                       const char *adversary)
{
    sqlite3_stmt *st = row(r, ST_BLOCK_MARK);
    if (!st)
        return false;
    bind_int(r, st, 2, block_index);
    bind_int(r, st, 3, evidence);
    bind_text(r, st, 4, checkpoint);
    bind_text(r, st, 5, adversary);
    return done(r, ST_BLOCK_MARK);
}

/* ---------- the end of a run ---------- */

/* Updates the run row (in the open transaction, if any). */
static bool update_run(record_t *r, const char *status, const char *error, uint64_t sim_end_ns, uint64_t events,
                       const char *digest)
{
    sqlite3_stmt *st = NULL;
    char *now = utc_now();
    double wall_s = (double)(g_get_real_time() - r->started_us) / 1e6;
    if (prepare(r,
                "UPDATE runs SET status = ?2, error = ?3, sim_end_ns = ?4, events = ?5, digest = ?6, "
                "ended_at = ?7, wall_seconds = ?8 WHERE run_id = ?1",
                &st)) {
        r->table = "runs";
        bind_int(r, st, 1, r->run_id);
        bind_text(r, st, 2, status);
        bind_text(r, st, 3, error);
        bind_int(r, st, 4, (int64_t)sim_end_ns);
        bind_int(r, st, 5, (int64_t)events);
        bind_text(r, st, 6, digest);
        bind_text(r, st, 7, now);
        bind_double(r, st, 8, wall_s);
        step(r, st, "update the run row");
    }
    sqlite3_finalize(st);
    g_free(now);
    return !r->error;
}

bool record_finish(record_t *r, const char *status, const char *error, uint64_t sim_end_ns,
                   uint64_t events, const char *digest)
{
    g_assert(strcmp(status, "complete") == 0 || strcmp(status, "interrupted") == 0 ||
             strcmp(status, "failed") == 0);
    /* The last batch and the run row in one transaction. */
    if ((in_transaction(r) || exec(r, "BEGIN", "begin the end of the run")) &&
        update_run(r, status, error, sim_end_ns, events, digest) && record_flush(r)) {
        r->final_status = status;
        return true;
    }

    /* Something failed: keep nothing of the open batch, then mark the run
     * failed on its own, with the first failure as the reason. */
    rollback(r);
    char *first = r->error;
    r->error = NULL;
    char *reason = error && strcmp(error, first) != 0 ? g_strdup_printf("%s; then %s", error, first)
                                                      : g_strdup(first);
    bool marked = update_run(r, "failed", reason, sim_end_ns, events, digest);
    g_free(reason);
    if (marked) {
        r->final_status = "failed";
        r->error = first;
    } else {
        r->final_status = "running";
        char *both = g_strdup_printf("%s; the run could not be marked failed either (%s), so it still says "
                                     "'running'", first, r->error);
        g_free(first);
        g_free(r->error);
        r->error = both;
        rollback(r);
    }
    return false;
}

int record_mark_abandoned(const char *path, int64_t pid, const char *cause, char **err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int changed = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_prepare_v2(db,
                           "UPDATE runs SET status = 'failed', error = ?1 "
                           "WHERE status = 'running' AND pid = ?2 AND host = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_bind_text(st, 1, cause, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, pid) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, g_get_host_name(), -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        goto fail;
    changed = sqlite3_changes(db);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return changed;
fail:
    *err = g_strdup_printf("%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return -1;
}
