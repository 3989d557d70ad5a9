/*
 * report.c - `chainsim report`: one row of v_run_summary as a table or JSON.
 *
 * The metrics are defined once, in SQL (analysis/views.sql, view
 * v_run_summary). This file picks the run (--run ID, or the largest run_id
 * of runs), reads that one row and formats it; it computes no metric.
 * report_fields[] lists every column read with its JSON key, table label,
 * type and unit: the SELECT, the table and the JSON object are all generated
 * from it, so they cannot disagree.
 *
 * JSON format (stable, for scripts): one object, the keys in report_fields[]
 * order, one `"key": value` pair per line with two spaces of indent and one
 * space after the colon, a newline after the closing brace:
 *
 *   {
 *     "run_id": 1,
 *     "scenario": "quickstart",
 *     ...
 *     "stale_rate": 0.4,
 *     ...
 *     "broadcast_p90_s": null
 *   }
 *
 * INTEGER columns are printed without a decimal point; REAL columns with the
 * shortest of %.15g and %.17g that reads back to the same double, always with
 * a '.' or an exponent (0.0, 0.07, 100.0, 1e-07); NULL (and a non-finite
 * value, which JSON cannot carry) is null; strings are escaped as RFC 8259
 * requires, after invalid UTF-8 is replaced by U+FFFD.
 *
 * Table format: one "label  value unit" line per metric, labels padded to one
 * column; seconds with 3 decimals, tx/s with 3, the stale rate in % with 2;
 * NULL is shown as an em dash. A latency percentile is followed by how many
 * transactions it covers, "(n of N transactions confirmed, p %)"; when p is
 * below 95 % a warning on stderr says the percentiles are biased low
 * (censored by the end of the run), in JSON mode too.
 *
 * A database keeps the views it was created with: columns an older
 * v_run_summary lacks are read as NULL and named in a note on stderr.
 *
 * The status is resultsdb_run_status()'s, not runs.status as it is: in JSON
 * its state word ("complete", "interrupted", "running", "abandoned"), in the
 * table also where the run is and why it stopped ("running (on HOST, pid
 * N)", "interrupted: stopped by a signal"). A run that is not complete gets
 * a note on stderr; the exit status stays 0.
 *
 * The database is opened read-only (SQLITE_OPEN_READONLY, no CREATE), so the
 * command never writes, creates nothing, and can read a database another
 * process is writing (it waits up to RESULTSDB_BUSY_MS for a lock).
 */
#include "analysis/report.h"

#include <glib.h>
#include <math.h>
#include <sqlite3.h>

#include "analysis/cli.h"
#include "analysis/resultsdb.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { REPORT_OK = 0, REPORT_RUNTIME = 1, REPORT_BADINPUT = 2 };


static const cli_command_t report_cli = {
    .name = "report",
    .usage = "DB [--run ID] [--json]",
    .about = "Prints the headline metrics of one run recorded in the results database DB,\n"
             "as computed by its view v_run_summary: blocks and stale rate, throughput,\n"
             "confirmation and finality latency, block and broadcast propagation, reorgs\n"
             "and rejections.\n",
    .operands = (const cli_operand_t[]){ { "DB", "the results database file", CLI_ONE }, { NULL, NULL, CLI_ONE } },
    .notes = "Times are seconds of simulated time; percentiles use the nearest rank.\n"
             "Each latency percentile says how many transactions it covers, of the\n"
             "confirmable ones (all but the deliberately invalid): below 95 % a warning\n"
             "on stderr says that the run ended before the others were confirmed, so the\n"
             "percentiles are biased low. Throughput is over the workload's active window:\n"
             "from the first submission to workload.stop or the run's end.\n"
             "\"reorgs\" counts tip switches that abandoned blocks, at every node: one fork\n"
             "seen by 100 nodes counts up to 100 (chainsim forks lists the forks).\n"
             "The status says whether the run completed. A run that did not (interrupted,\n"
             "abandoned: marked running but its process is gone, or still running) is\n"
             "reported too, with a note on stderr, and the exit status is 0.\n"
             "The database is only read.\n",
    .exits = "0 success, 1 SQLite error, 2 bad usage, no such file or run,\n"
             "or not a chainsim results database\n",
};

typedef enum report_type { RT_INT, RT_REAL, RT_TEXT } report_type_t;

typedef enum report_unit {
    RU_NONE,
    RU_SECONDS,  /* REAL seconds */
    RU_TX_PER_S, /* REAL transactions per second */
    RU_PERCENT,  /* REAL fraction, shown as a percentage */
} report_unit_t;

typedef struct report_field {
    const char *column;   /* column of v_run_summary */
    const char *json_key; /* key of the JSON object */
    const char *label;    /* label in the table (ASCII) */
    report_type_t type;
    report_unit_t unit;
} report_field_t;

static const report_field_t report_fields[] = {
    { "run_id", "run_id", "run", RT_INT, RU_NONE },
    { "scenario_name", "scenario", "scenario", RT_TEXT, RU_NONE },
    { "seed", "seed", "seed", RT_INT, RU_NONE },
    { "status", "status", "status", RT_TEXT, RU_NONE },
    { "sim_seconds", "sim_seconds", "simulated time", RT_REAL, RU_SECONDS },
    { "blocks_total", "blocks_total", "blocks (non-genesis)", RT_INT, RU_NONE },
    { "blocks_stale", "blocks_stale", "stale blocks", RT_INT, RU_NONE },
    { "stale_rate", "stale_rate", "stale rate", RT_REAL, RU_PERCENT },
    { "tps", "tps", "throughput (confirmed)", RT_REAL, RU_TX_PER_S },
    { "tps_window_start_s", "tps_window_start_s", "throughput window from", RT_REAL, RU_SECONDS },
    { "tps_window_end_s", "tps_window_end_s", "throughput window to", RT_REAL, RU_SECONDS },
    { "txs_submitted", "txs_submitted", "transactions submitted", RT_INT, RU_NONE },
    { "txs_confirmable", "txs_confirmable", "transactions confirmable", RT_INT, RU_NONE },
    { "txs_confirmed", "txs_confirmed", "transactions confirmed", RT_INT, RU_NONE },
    { "txs_finalized", "txs_finalized", "transactions final", RT_INT, RU_NONE },
    { "confirmed_share", "confirmed_share", "confirmed share", RT_REAL, RU_PERCENT },
    { "finalized_share", "finalized_share", "final share", RT_REAL, RU_PERCENT },
    { "confirm_latency_p50_s", "confirm_latency_p50_s", "confirmation latency p50", RT_REAL, RU_SECONDS },
    { "confirm_latency_p90_s", "confirm_latency_p90_s", "confirmation latency p90", RT_REAL, RU_SECONDS },
    { "finality_latency_p50_s", "finality_latency_p50_s", "finality latency p50", RT_REAL, RU_SECONDS },
    { "finality_latency_p90_s", "finality_latency_p90_s", "finality latency p90", RT_REAL, RU_SECONDS },
    { "propagation_p50_s", "propagation_p50_s", "block to 50% of nodes (median)", RT_REAL, RU_SECONDS },
    { "propagation_p90_s", "propagation_p90_s", "block to 90% of nodes (median)", RT_REAL, RU_SECONDS },
    { "reorgs", "reorgs", "reorgs (tip switches, all nodes)", RT_INT, RU_NONE },
    { "reorg_max_depth", "reorg_max_depth", "deepest reorg (blocks)", RT_INT, RU_NONE },
    { "tx_rejected", "tx_rejected", "rejected transactions", RT_INT, RU_NONE },
    { "blocks_rejected", "blocks_rejected", "rejected blocks", RT_INT, RU_NONE },
    { "broadcast_p50_s", "broadcast_p50_s", "broadcast to 50% of nodes (median)", RT_REAL, RU_SECONDS },
    { "broadcast_p90_s", "broadcast_p90_s", "broadcast to 90% of nodes (median)", RT_REAL, RU_SECONDS },
    { "engine", "consensus", "consensus", RT_TEXT, RU_NONE },
    { "missed_slots", "missed_slots", "missed slots", RT_INT, RU_NONE },
    { "slashed", "slashed", "validators slashed", RT_INT, RU_NONE },
    /* adversaries: the first adversary's figures (null without one) */
    { "adversary_revenue_share", "adversary_revenue_share", "adversary revenue share", RT_REAL, RU_PERCENT },
    { "adversary_blocks_main", "adversary_blocks_main", "adversary blocks on main chain", RT_INT, RU_NONE },
    { "double_spend_attempts", "double_spend_attempts", "double-spend attempts", RT_INT, RU_NONE },
    { "double_spend_successes", "double_spend_successes", "double-spend successes", RT_INT, RU_NONE },
    { "honest_stale_rate", "honest_stale_rate", "honest stale rate", RT_REAL, RU_PERCENT },
};

#define REPORT_NFIELDS G_N_ELEMENTS(report_fields)

/* One value of the row; text is owned (g_free). */
typedef struct report_value {
    bool is_null;
    int64_t i;
    double r;
    char *text;
} report_value_t;

typedef struct report_opts {
    const char *path; /* borrowed from argv */
    int64_t run_id;   /* 0: the latest */
    bool json;
} report_opts_t;

/* Parses the arguments into *o. Returns CLI_GO_ON, or an exit status after
 * printing the help or the usage error. */
static int parse_args(int argc, char **argv, report_opts_t *o)
{
    const cli_option_t opts[] = {
        { "run", 0, CLI_RUN_ID, &o->run_id, "ID", "the run to report (default: the latest, the largest run_id)",
          NULL, NULL },
        { "json", 0, CLI_FLAG, &o->json, NULL, "one JSON object (\"key\": value, one a line) instead of a table",
          NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&report_cli, opts, argc, argv, &operands);
    if (rc == CLI_GO_ON) {
        o->path = operands[0];
        g_free(operands);
    }
    return rc;
}

static int db_error(sqlite3 *db, const char *path, const char *what)
{
    return resultsdb_error("report", db, path, what);
}

static int open_db(const char *path, sqlite3 **db)
{
    return resultsdb_open("report", path, db);
}

/* Runs sql (no parameters, one row of integer columns) and stores up to n
 * columns in out[] (NULL -> INT64_MIN). Returns REPORT_OK or an exit status
 * after printing why. */
static int query_ints(sqlite3 *db, const char *path, const char *sql, int64_t *out, int n)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(db, path, "cannot read the database");
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int status = db_error(db, path, "cannot read the database");
        sqlite3_finalize(st);
        return status;
    }
    for (int i = 0; i < n; i++)
        out[i] = sqlite3_column_type(st, i) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    return REPORT_OK;
}

/* Checks that db was written by chainsim: a runs table and the v_run_summary
 * view. Returns REPORT_OK or an exit status after printing why. */
static int check_chainsim_db(sqlite3 *db, const char *path)
{
    int64_t found[2];
    int rc = query_ints(db, path,
                        "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'),"
                        "       (SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'v_run_summary')",
                        found, 2);
    if (rc != REPORT_OK)
        return rc;
    if (found[0] == 0) {
        fprintf(stderr, "chainsim report: %s: not a chainsim results database (it has no runs table)\n", path);
        return REPORT_BADINPUT;
    }
    if (found[1] == 0) {
        fprintf(stderr,
                "chainsim report: %s: the analysis views (v_run_summary, analysis/views.sql) are missing;\n"
                "the database was not written by this version of chainsim or was made by another tool\n",
                path);
        return REPORT_BADINPUT;
    }
    return REPORT_OK;
}

/* Sets *run_id to the latest run (largest run_id). Returns REPORT_OK, or
 * REPORT_BADINPUT when the file holds no run, or REPORT_RUNTIME. */
static int latest_run(sqlite3 *db, const char *path, int64_t *run_id)
{
    int64_t v[1];
    int rc = query_ints(db, path, "SELECT max(run_id) FROM runs", v, 1);
    if (rc != REPORT_OK)
        return rc;
    if (v[0] == INT64_MIN) {
        fprintf(stderr, "chainsim report: %s: no run recorded in this database\n", path);
        return REPORT_BADINPUT;
    }
    *run_id = v[0];
    return REPORT_OK;
}

/* Prints that run_id is not in the file, with the runs it has. Returns the
 * exit status. */
static int no_such_run(sqlite3 *db, const char *path, int64_t run_id)
{
    int64_t v[3];
    int rc = query_ints(db, path, "SELECT count(*), min(run_id), max(run_id) FROM runs", v, 3);
    if (rc != REPORT_OK)
        return rc;
    if (v[0] == 0)
        fprintf(stderr, "chainsim report: %s: no run %" G_GINT64_FORMAT " (the database holds no run)\n", path,
                run_id);
    else
        fprintf(stderr,
                "chainsim report: %s: no run %" G_GINT64_FORMAT " (the database holds %" G_GINT64_FORMAT
                " run%s, ids %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")\n",
                path, run_id, v[0], v[0] == 1 ? "" : "s", v[1], v[2]);
    return REPORT_BADINPUT;
}

/* The names of the columns of db's view v_run_summary, into a new set
 * (g_hash_table_unref). A database keeps the views it was created with, so
 * an older one may lack columns this version reads. Returns REPORT_OK or an
 * exit status after printing why. */
static int summary_columns(sqlite3 *db, const char *path, GHashTable **out)
{
    *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('v_run_summary')", -1, &st, NULL) != SQLITE_OK)
        return db_error(db, path, "cannot read the columns of the view v_run_summary");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_hash_table_add(*out, g_strdup((const char *)sqlite3_column_text(st, 0)));
    int status = rc == SQLITE_DONE ? REPORT_OK : db_error(db, path, "cannot read the columns of the view v_run_summary");
    sqlite3_finalize(st);
    return status;
}

/* Reads the v_run_summary row of run_id into vals[REPORT_NFIELDS] (text
 * values newly allocated; free with free_values()). Columns the database's
 * view lacks (it was created by an older chainsim) read as NULL, named in a
 * note on stderr. Returns REPORT_OK or an exit status after printing why. */
static int read_summary(sqlite3 *db, const char *path, int64_t run_id, report_value_t *vals)
{
    GHashTable *have = NULL;
    int have_status = summary_columns(db, path, &have);
    if (have_status != REPORT_OK) {
        g_hash_table_unref(have);
        return have_status;
    }
    GString *sql = g_string_new("SELECT ");
    GString *missing = g_string_new(NULL);
    for (size_t i = 0; i < REPORT_NFIELDS; i++) {
        bool known = g_hash_table_size(have) == 0 || g_hash_table_contains(have, report_fields[i].column);
        g_string_append_printf(sql, "%s%s", i ? ", " : "", known ? report_fields[i].column : "NULL");
        if (!known)
            g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", report_fields[i].column);
    }
    g_string_append(sql, " FROM v_run_summary WHERE run_id = ?1");
    g_hash_table_unref(have);
    if (missing->len)
        fprintf(stderr,
                "chainsim report: note: %s: the database's view v_run_summary was created by an older chainsim and"
                " lacks %s (shown as null); a database made by this version has them\n",
                path, missing->str);
    g_string_free(missing, TRUE);

    int status = REPORT_OK;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql->str, -1, &st, NULL) != SQLITE_OK) {
        if ((sqlite3_errcode(db) & 0xff) == SQLITE_ERROR) {
            /* The view exists but does not fit: not this chainsim's views. */
            fprintf(stderr, "chainsim report: %s: the view v_run_summary does not match this version of chainsim (%s)\n",
                    path, sqlite3_errmsg(db));
            status = REPORT_BADINPUT;
        } else {
            status = db_error(db, path, "cannot read the view v_run_summary");
        }
        goto done;
    }
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        status = no_such_run(db, path, run_id);
        goto done;
    }
    if (rc != SQLITE_ROW) {
        status = db_error(db, path, "cannot read the view v_run_summary");
        goto done;
    }
    for (size_t i = 0; i < REPORT_NFIELDS; i++) {
        int col = (int)i;
        report_value_t *v = &vals[i];
        v->is_null = sqlite3_column_type(st, col) == SQLITE_NULL;
        if (v->is_null)
            continue;
        switch (report_fields[i].type) {
        case RT_INT:
            v->i = sqlite3_column_int64(st, col);
            break;
        case RT_REAL:
            v->r = sqlite3_column_double(st, col);
            v->is_null = !isfinite(v->r);
            break;
        case RT_TEXT:
            v->text = g_strdup((const char *)sqlite3_column_text(st, col));
            v->is_null = v->text == NULL; /* out of memory in SQLite */
            break;
        }
    }
done:
    sqlite3_finalize(st);
    g_string_free(sql, TRUE);
    return status;
}

/* Puts the run's status as resultsdb_run_status() sees it in place of
 * runs.status: in JSON the state word ("abandoned"), in the table the
 * state, where the run is and why it stopped. A run that is not complete
 * also gets a note on stderr. Returns REPORT_OK or an exit status. */
static int show_status(sqlite3 *db, const report_opts_t *o, report_value_t *vals, bool json)
{
    resultsdb_status_t rs;
    int status = resultsdb_run_status("report", db, o->path, o->run_id, &rs);
    if (status != REPORT_OK)
        return status;
    for (size_t i = 0; i < REPORT_NFIELDS; i++) {
        if (strcmp(report_fields[i].column, "status") != 0)
            continue;
        g_free(vals[i].text);
        vals[i].is_null = false;
        if (json || !rs.error || strcmp(rs.state, "running") == 0)
            vals[i].text = g_strdup(json ? rs.state : rs.text);
        else
            vals[i].text = g_strdup_printf("%s: %s", rs.text, rs.error);
    }
    if (strcmp(rs.state, "running") == 0)
        fprintf(stderr,
                "chainsim report: note: run %" G_GINT64_FORMAT " is still %s; its figures cover what it has"
                " recorded so far\n",
                o->run_id, rs.text);
    else if (strcmp(rs.state, "abandoned") == 0)
        fprintf(stderr,
                "chainsim report: note: run %" G_GINT64_FORMAT " did not complete: it is abandoned, marked"
                " running but its process is gone (killed or crashed before it recorded its end); its figures"
                " cover only the part that ran\n",
                o->run_id);
    else if (!rs.complete)
        fprintf(stderr,
                "chainsim report: note: run %" G_GINT64_FORMAT " did not complete: %s%s%s; its figures cover"
                " only the part that ran\n",
                o->run_id, rs.text, rs.error ? ", " : "", rs.error ? rs.error : "");
    resultsdb_status_clear(&rs);
    return REPORT_OK;
}

static void free_values(report_value_t *vals)
{
    for (size_t i = 0; i < REPORT_NFIELDS; i++)
        g_free(vals[i].text);
}

static void print_json(FILE *out, const report_value_t *vals)
{
    fputs("{\n", out);
    for (size_t i = 0; i < REPORT_NFIELDS; i++) {
        const report_field_t *f = &report_fields[i];
        const report_value_t *v = &vals[i];
        fprintf(out, "  \"%s\": ", f->json_key);
        if (v->is_null) {
            fputs("null", out);
        } else if (f->type == RT_INT) {
            fprintf(out, "%" G_GINT64_FORMAT, v->i);
        } else if (f->type == RT_REAL) {
            resultsdb_json_real(out, v->r);
        } else {
            resultsdb_json_text(out, v->text, strlen(v->text));
        }
        fputs(i + 1 < REPORT_NFIELDS ? ",\n" : "\n", out);
    }
    fputs("}\n", out);
}

/* Formats a REAL for the table: `decimals` places, or 3 significant digits
 * when that would show a small non-zero value as zero. Returns a new string. */
static char *format_table_real(double v, int decimals)
{
    double smallest = pow(10.0, -decimals);
    if (v != 0.0 && fabs(v) < smallest)
        return g_strdup_printf("%.3g", v);
    return g_strdup_printf("%.*f", decimals, v);
}

/* The run's record.detail (run_params), or NULL when it has none
 * (g_free). */
static char *record_detail(sqlite3 *db, int64_t run_id)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM run_params WHERE run_id = ?1 AND key = 'record.detail'", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            v = g_strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
}

/* The table's last line: what the run's record.detail left out and the
 * setting that records it, so that a question the database cannot answer
 * says how to rerun (the same seed gives the same run). */
static void print_detail_hint(FILE *out, const char *detail, int width)
{
    if (!detail)
        return;
    const char *hint = "";
    if (strcmp(detail, "summary") == 0)
        hint = "  (no per-transaction rows: latencies and their shares need --set record.detail=messages;"
               " which nodes had which block needs record.detail=arrivals)";
    else if (strcmp(detail, "messages") == 0)
        hint = "  (no per-node block arrivals: which nodes followed which branch of a fork needs --set"
               " record.detail=arrivals; rerun with the same seed)";
    fprintf(out, "%-*s%s%s\n", width, "recorded detail", detail, hint);
}

/* The value of the field read from column, or NULL when there is no such
 * field. */
static const report_value_t *value_of(const report_value_t *vals, const char *column)
{
    for (size_t i = 0; i < REPORT_NFIELDS; i++)
        if (strcmp(report_fields[i].column, column) == 0)
            return &vals[i];
    return NULL;
}

/* Below this share of the confirmable transactions, latency percentiles are
 * reported with a warning: they describe only the transactions that made it
 * before the run ended. */
#define REPORT_SHARE_WARN 0.95

/* For a latency percentile column: the count and share columns that say how
 * many transactions it covers (*count, *share) and what happened to them
 * (*event). False for any other column. */
static bool coverage_of(const char *column, const char **count, const char **share, const char **event)
{
    if (g_str_has_prefix(column, "confirm_latency_")) {
        *count = "txs_confirmed";
        *share = "confirmed_share";
        *event = "confirmed";
        return true;
    }
    if (g_str_has_prefix(column, "finality_latency_")) {
        *count = "txs_finalized";
        *share = "finalized_share";
        *event = "final";
        return true;
    }
    return false;
}

/* "  (n of N transactions, p %)" after a latency percentile, with a warning
 * sign when the share is below REPORT_SHARE_WARN; "" when the run has no
 * share (g_free). */
static char *coverage_note(const report_value_t *vals, const char *column)
{
    const char *count, *share, *event;
    if (!coverage_of(column, &count, &share, &event))
        return g_strdup("");
    const report_value_t *n = value_of(vals, count), *of = value_of(vals, "txs_confirmable"),
                         *sh = value_of(vals, share);
    if (!n || !of || !sh || n->is_null || of->is_null || sh->is_null)
        return g_strdup("");
    char *pct = format_table_real(sh->r * 100.0, 1);
    char *note = g_strdup_printf("  (%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " transactions %s, %s %%%s)", n->i,
                                 of->i, event, pct, sh->r < REPORT_SHARE_WARN ? "; biased low, see the warning" : "");
    g_free(pct);
    return note;
}

/* Prints on stderr a warning for each latency whose percentiles cover less
 * than REPORT_SHARE_WARN of the confirmable transactions. */
static void warn_coverage(const report_value_t *vals)
{
    static const char *const latencies[] = { "confirm_latency_p50_s", "finality_latency_p50_s" };
    static const char *const what[] = { "confirmation", "finality" };
    const report_value_t *of = value_of(vals, "txs_confirmable");
    for (size_t i = 0; i < G_N_ELEMENTS(latencies); i++) {
        const char *count, *share, *event;
        if (!coverage_of(latencies[i], &count, &share, &event))
            continue;
        const report_value_t *n = value_of(vals, count), *sh = value_of(vals, share);
        if (!n || !sh || !of || n->is_null || sh->is_null || of->is_null || sh->r >= REPORT_SHARE_WARN)
            continue;
        if (n->i == 0) {
            fprintf(stderr,
                    "chainsim report: warning: none of the %" G_GINT64_FORMAT " confirmable transactions was %s"
                    " before the run ended, so there is no %s latency; run longer.\n",
                    of->i, event, what[i]);
            continue;
        }
        fprintf(stderr,
                "chainsim report: warning: the %s latency percentiles cover only %" G_GINT64_FORMAT " of the %"
                G_GINT64_FORMAT " confirmable transactions (%.1f %%, below %.0f %%): the others were not %s before"
                " the run ended, so the percentiles are biased low. Let the run drain (stop the workload earlier"
                " with workload.stop, or run longer) before quoting them.\n",
                what[i], n->i, of->i, sh->r * 100.0, REPORT_SHARE_WARN * 100.0, event);
    }
}

static void print_table(FILE *out, const char *path, const report_value_t *vals, const char *detail)
{
    static const char database_label[] = "database";
    int width = (int)strlen(database_label);
    for (size_t i = 0; i < REPORT_NFIELDS; i++)
        width = MAX(width, (int)strlen(report_fields[i].label));
    width += 2;

    fprintf(out, "%-*s%s\n", width, database_label, path);
    for (size_t i = 0; i < REPORT_NFIELDS; i++) {
        const report_field_t *f = &report_fields[i];
        const report_value_t *v = &vals[i];
        char *text = NULL;
        if (v->is_null) {
            text = g_strdup("\u2014"); /* em dash */
        } else if (f->type == RT_INT) {
            text = g_strdup_printf("%" G_GINT64_FORMAT, v->i);
        } else if (f->type == RT_TEXT) {
            text = g_strdup(v->text);
        } else {
            char *num = NULL;
            switch (f->unit) {
            case RU_SECONDS:
                num = format_table_real(v->r, 3);
                text = g_strdup_printf("%s s", num);
                break;
            case RU_TX_PER_S:
                num = format_table_real(v->r, 3);
                text = g_strdup_printf("%s tx/s", num);
                break;
            case RU_PERCENT:
                num = format_table_real(v->r * 100.0, 2);
                text = g_strdup_printf("%s %%", num);
                break;
            case RU_NONE:
                num = format_table_real(v->r, 3);
                text = g_strdup(num);
                break;
            }
            g_free(num);
        }
        char *note = v->is_null ? g_strdup("") : coverage_note(vals, f->column);
        if (!v->is_null && strcmp(f->column, "tps") == 0) {
            g_free(note);
            note = g_strdup("  (over the workload's active window: first submission to its stop or the run's end)");
        }
        fprintf(out, "%-*s%s%s\n", width, f->label, text, note);
        g_free(note);
        g_free(text);
    }
    print_detail_hint(out, detail, width);
}

int report_main(int argc, char **argv)
{
    report_opts_t o = { 0 };
    int status = parse_args(argc, argv, &o);
    if (status != CLI_GO_ON)
        return status;

    sqlite3 *db = NULL;
    report_value_t vals[REPORT_NFIELDS];
    memset(vals, 0, sizeof vals);

    if ((status = open_db(o.path, &db)) != REPORT_OK)
        goto done;
    if ((status = check_chainsim_db(db, o.path)) != REPORT_OK)
        goto done;
    if (o.run_id == 0 && (status = latest_run(db, o.path, &o.run_id)) != REPORT_OK)
        goto done;
    if ((status = read_summary(db, o.path, o.run_id, vals)) != REPORT_OK)
        goto done;
    if ((status = show_status(db, &o, vals, o.json)) != REPORT_OK)
        goto done;

    warn_coverage(vals);
    if (o.json)
        print_json(stdout, vals);
    else {
        char *detail = record_detail(db, o.run_id);
        print_table(stdout, o.path, vals, detail);
        g_free(detail);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chainsim report: cannot write the report to standard output\n");
        status = REPORT_RUNTIME;
    }
done:
    free_values(vals);
    sqlite3_close(db);
    return status;
}
