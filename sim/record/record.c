/*
 * record.c - writing results to SQLite.
 *
 * The schema text is compiled in from analysis/schema.sql (see
 * analysis/embed.cmake) and applied with CREATE ... IF NOT EXISTS, so one file
 * can collect many runs. Each row kind has one prepared statement, prepared
 * on first use and kept for the life of the recorder. Rows go into an open
 * transaction that is committed every RECORD_BATCH_ROWS rows.
 */
#include "sim/record/record.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

extern const char record_schema_sql[];
extern const char record_views_sql[];

enum stmt_id {
    ST_NODE, ST_LINK, ST_FAULT, ST_MSG, ST_BCAST, ST_ARRIVAL, ST_PARAM,
    ST_BLOCK, ST_BLOCK_ARRIVAL, ST_TX, ST_REORG, ST_REJECT, ST_SAMPLE, ST_CHAIN, ST_COUNT
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
};

struct record {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    int64_t run_id;
    bool in_tx;
    uint32_t pending_rows;
    char *error;
    gint64 started_us;
};

static bool fail(record_t *r, const char *what)
{
    if (!r->error)
        r->error = g_strdup_printf("results database: %s: %s", what, sqlite3_errmsg(r->db));
    return false;
}

static bool exec(record_t *r, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        if (!r->error)
            r->error = g_strdup_printf("results database: %s", msg ? msg : sqlite3_errmsg(r->db));
        sqlite3_free(msg);
        return false;
    }
    return true;
}

record_t *record_open(const char *path, char **err)
{
    record_t *r = g_new0(record_t, 1);
    char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        *err = g_strdup_printf("cannot create the folder %s for the results database", dir);
        g_free(dir);
        g_free(r);
        return NULL;
    }
    g_free(dir);
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        *err = g_strdup_printf("cannot open the results database %s: %s", path,
                               r->db ? sqlite3_errmsg(r->db) : "out of memory");
        sqlite3_close(r->db);
        g_free(r);
        return NULL;
    }
    sqlite3_busy_timeout(r->db, 10000);
    if (!exec(r, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;") ||
        !exec(r, record_schema_sql) || !exec(r, record_views_sql)) {
        *err = g_strdup_printf("%s (file %s)", r->error, path);
        record_close(r);
        return NULL;
    }
    return r;
}

void record_close(record_t *r)
{
    if (!r)
        return;
    if (r->in_tx)
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(r->st[i]);
    sqlite3_close(r->db);
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

static char *utc_now(void)
{
    GDateTime *t = g_date_time_new_now_utc();
    char *s = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(t);
    return s;
}

bool record_flush(record_t *r)
{
    if (r->error)
        return false;
    if (r->in_tx) {
        r->in_tx = false;
        if (!exec(r, "COMMIT"))
            return false;
    }
    r->pending_rows = 0;
    return true;
}

/* Gets statement id ready for binding, inside a transaction. */
static sqlite3_stmt *row(record_t *r, enum stmt_id id)
{
    if (r->error)
        return NULL;
    if (!r->in_tx) {
        if (!exec(r, "BEGIN"))
            return NULL;
        r->in_tx = true;
    }
    if (!r->st[id] && sqlite3_prepare_v2(r->db, stmt_sql[id], -1, &r->st[id], NULL) != SQLITE_OK) {
        fail(r, "prepare");
        return NULL;
    }
    sqlite3_reset(r->st[id]);
    sqlite3_clear_bindings(r->st[id]);
    sqlite3_bind_int64(r->st[id], 1, r->run_id);
    return r->st[id];
}

static bool done(record_t *r, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        return fail(r, "insert");
    if (++r->pending_rows >= RECORD_BATCH_ROWS)
        return record_flush(r);
    return true;
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    if (v == UINT64_MAX)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

bool record_begin(record_t *r, const scenario_t *sc, const char *command)
{
    sqlite3_stmt *st = NULL;
    char *now = utc_now();
    bool ok = false;
    r->started_us = g_get_real_time();
    if (!exec(r, "BEGIN IMMEDIATE"))
        goto out;
    r->in_tx = true;
    if (sqlite3_prepare_v2(r->db,
            "INSERT INTO runs (scenario_name, scenario_path, scenario_text, params, overrides, seed, "
            "version, command, started_at, status) VALUES (?,?,?,?,?,?,?,?,?, 'running')",
            -1, &st, NULL) != SQLITE_OK) {
        fail(r, "prepare");
        goto out;
    }
    sqlite3_bind_text(st, 1, sc->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sc->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sc->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, sc->params, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, sc->overrides, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)sc->seed);
    sqlite3_bind_text(st, 7, CHAINSIM_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, command, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        fail(r, "insert run");
        goto out;
    }
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
        sqlite3_bind_text(p, 2, lines[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(p, 3, eq + 3, -1, SQLITE_TRANSIENT);
        if (!done(r, p))
            break;
    }
    g_strfreev(lines);
    ok = record_flush(r);
out:
    sqlite3_finalize(st);
    g_free(now);
    return ok;
}

bool record_node(record_t *r, uint32_t id, const char *region, uint64_t up_bps, uint64_t down_bps,
                 uint32_t degree)
{
    sqlite3_stmt *st = row(r, ST_NODE);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_text(st, 3, region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)up_bps);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)down_bps);
    sqlite3_bind_int64(st, 6, degree);
    return done(r, st);
}

bool record_link(record_t *r, uint32_t id, uint32_t a, uint32_t b, uint64_t mean_latency_ns)
{
    sqlite3_stmt *st = row(r, ST_LINK);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, a);
    sqlite3_bind_int64(st, 4, b);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)mean_latency_ns);
    return done(r, st);
}

bool record_fault(record_t *r, uint32_t seq, uint64_t at_ns, const char *name, const char *kind,
                  const char *detail, uint32_t nodes_affected)
{
    sqlite3_stmt *st = row(r, ST_FAULT);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)at_ns);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, detail, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, nodes_affected);
    return done(r, st);
}

bool record_msg_stats(record_t *r, const record_msg_stats_t *m)
{
    sqlite3_stmt *st = row(r, ST_MSG);
    if (!st)
        return false;
    sqlite3_bind_text(st, 2, m->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)m->sent);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)m->bytes_sent);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)m->delivered);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)m->lost);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)m->dropped_partition);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)m->dropped_down);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)m->in_flight);
    return done(r, st);
}

bool record_broadcast(record_t *r, uint64_t msg_id, uint32_t origin, uint64_t created_ns,
                      uint64_t size_bytes, uint32_t reached, uint64_t t50_ns, uint64_t t90_ns,
                      uint64_t t100_ns)
{
    sqlite3_stmt *st = row(r, ST_BCAST);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, (sqlite3_int64)msg_id);
    sqlite3_bind_int64(st, 3, origin);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)created_ns);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)size_bytes);
    sqlite3_bind_int64(st, 6, reached);
    bind_u64(st, 7, t50_ns);
    bind_u64(st, 8, t90_ns);
    bind_u64(st, 9, t100_ns);
    return done(r, st);
}

bool record_arrival(record_t *r, uint64_t msg_id, uint32_t node, uint64_t arrival_ns)
{
    sqlite3_stmt *st = row(r, ST_ARRIVAL);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, (sqlite3_int64)msg_id);
    sqlite3_bind_int64(st, 3, node);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)arrival_ns);
    return done(r, st);
}

static void bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
    if (v < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

bool record_block(record_t *r, uint32_t index, const char *id_hex, int64_t parent, uint64_t height,
                  int64_t producer, uint64_t created_ns, uint64_t size_bytes, uint32_t ntx, uint64_t difficulty,
                  bool main, uint32_t reached, uint64_t t50_ns, uint64_t t90_ns, uint64_t t100_ns)
{
    sqlite3_stmt *st = row(r, ST_BLOCK);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, index);
    sqlite3_bind_text(st, 3, id_hex, -1, SQLITE_TRANSIENT);
    bind_i64(st, 4, parent);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)height);
    bind_i64(st, 6, producer);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)created_ns);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)size_bytes);
    sqlite3_bind_int64(st, 9, ntx);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)difficulty);
    sqlite3_bind_int(st, 11, main);
    sqlite3_bind_int64(st, 12, reached);
    bind_u64(st, 13, t50_ns);
    bind_u64(st, 14, t90_ns);
    bind_u64(st, 15, t100_ns);
    return done(r, st);
}

bool record_block_arrival(record_t *r, uint32_t index, uint32_t node, uint64_t arrival_ns)
{
    sqlite3_stmt *st = row(r, ST_BLOCK_ARRIVAL);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, index);
    sqlite3_bind_int64(st, 3, node);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)arrival_ns);
    return done(r, st);
}

bool record_tx(record_t *r, uint32_t index, const char *id_hex, uint32_t sender, uint64_t nonce, uint64_t amount,
               uint64_t fee, uint32_t size_bytes, uint32_t origin, const char *intent, uint64_t submitted_ns,
               uint64_t included_ns, int64_t main_block, uint64_t confirmed_ns, uint64_t final_ns)
{
    sqlite3_stmt *st = row(r, ST_TX);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, index);
    sqlite3_bind_text(st, 3, id_hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, sender);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)nonce);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)amount);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)fee);
    sqlite3_bind_int64(st, 8, size_bytes);
    sqlite3_bind_int64(st, 9, origin);
    sqlite3_bind_text(st, 10, intent, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)submitted_ns);
    bind_u64(st, 12, included_ns);
    bind_i64(st, 13, main_block);
    bind_u64(st, 14, confirmed_ns);
    bind_u64(st, 15, final_ns);
    return done(r, st);
}

bool record_reorg(record_t *r, uint32_t seq, uint32_t node, uint64_t at_ns, uint64_t depth, uint32_t old_tip,
                  uint32_t new_tip, uint64_t fork_height)
{
    sqlite3_stmt *st = row(r, ST_REORG);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_int64(st, 3, node);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)at_ns);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)depth);
    sqlite3_bind_int64(st, 6, old_tip);
    sqlite3_bind_int64(st, 7, new_tip);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)fork_height);
    return done(r, st);
}

bool record_rejection(record_t *r, const char *object, const char *reason, uint64_t count)
{
    sqlite3_stmt *st = row(r, ST_REJECT);
    if (!st)
        return false;
    sqlite3_bind_text(st, 2, object, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)count);
    return done(r, st);
}

bool record_sample(record_t *r, uint64_t t_ns, double mempool_mean, uint64_t mempool_max, uint64_t height_min,
                   uint64_t height_max, uint64_t height_median, uint32_t tips)
{
    sqlite3_stmt *st = row(r, ST_SAMPLE);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 2, (sqlite3_int64)t_ns);
    sqlite3_bind_double(st, 3, mempool_mean);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)mempool_max);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)height_min);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)height_max);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)height_median);
    sqlite3_bind_int64(st, 8, tips);
    return done(r, st);
}

bool record_chain_summary(record_t *r, const char *engine, uint64_t main_height, uint64_t final_height,
                          int64_t missed_slots, int64_t slashed)
{
    sqlite3_stmt *st = row(r, ST_CHAIN);
    if (!st)
        return false;
    sqlite3_bind_text(st, 2, engine, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)main_height);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)final_height);
    bind_i64(st, 5, missed_slots);
    bind_i64(st, 6, slashed);
    return done(r, st);
}

bool record_finish(record_t *r, const char *status, const char *error, uint64_t sim_end_ns,
                   uint64_t events, const char *digest)
{
    /* Commit what is pending even after an error, so nothing recorded is lost. */
    if (r->in_tx) {
        r->in_tx = false;
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    }
    sqlite3_stmt *st = NULL;
    char *now = utc_now();
    double wall_s = (double)(g_get_real_time() - r->started_us) / 1e6;
    bool ok = sqlite3_prepare_v2(r->db,
        "UPDATE runs SET status = ?2, error = ?3, sim_end_ns = ?4, events = ?5, digest = ?6, "
        "ended_at = ?7, wall_seconds = ?8 WHERE run_id = ?1", -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_int64(st, 1, r->run_id);
        sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
        if (error)
            sqlite3_bind_text(st, 3, error, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)sim_end_ns);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)events);
        if (digest)
            sqlite3_bind_text(st, 6, digest, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 6);
        sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 8, wall_s);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    if (!ok)
        fail(r, "finish run");
    sqlite3_finalize(st);
    g_free(now);
    return ok;
}
