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
 * NULL is shown as an em dash.
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
    { "txs_submitted", "txs_submitted", "transactions submitted", RT_INT, RU_NONE },
    { "txs_confirmed", "txs_confirmed", "transactions confirmed", RT_INT, RU_NONE },
    { "confirm_latency_p50_s", "confirm_latency_p50_s", "confirmation latency p50", RT_REAL, RU_SECONDS },
    { "confirm_latency_p90_s", "confirm_latency_p90_s", "confirmation latency p90", RT_REAL, RU_SECONDS },
    { "finality_latency_p50_s", "finality_latency_p50_s", "finality latency p50", RT_REAL, RU_SECONDS },
    { "finality_latency_p90_s", "finality_latency_p90_s", "finality latency p90", RT_REAL, RU_SECONDS },
    { "propagation_p50_s", "propagation_p50_s", "block to 50% of nodes (median)", RT_REAL, RU_SECONDS },
    { "propagation_p90_s", "propagation_p90_s", "block to 90% of nodes (median)", RT_REAL, RU_SECONDS },
    { "reorgs", "reorgs", "reorgs", RT_INT, RU_NONE },
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

/* Reads the v_run_summary row of run_id into vals[REPORT_NFIELDS] (text
 * values newly allocated; free with free_values()). Returns REPORT_OK or an
 * exit status after printing why. */
static int read_summary(sqlite3 *db, const char *path, int64_t run_id, report_value_t *vals)
{
    GString *sql = g_string_new("SELECT ");
    for (size_t i = 0; i < REPORT_NFIELDS; i++)
        g_string_append_printf(sql, "%s%s", i ? ", " : "", report_fields[i].column);
    g_string_append(sql, " FROM v_run_summary WHERE run_id = ?1");

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

/* Writes v into buf as a JSON number: the shortest of %.15g / %.17g that
 * reads back exactly, with ".0" added when it would look like an integer. */
static void format_json_real(char *buf, size_t len, double v)
{
    g_ascii_formatd(buf, (int)len, "%.15g", v);
    if (g_ascii_strtod(buf, NULL) != v)
        g_ascii_formatd(buf, (int)len, "%.17g", v);
    if (!strpbrk(buf, ".eE")) {
        size_t n = strlen(buf);
        if (n + 3 <= len)
            memcpy(buf + n, ".0", 3);
    }
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
            char buf[G_ASCII_DTOSTR_BUF_SIZE + 4];
            format_json_real(buf, sizeof buf, v->r);
            fputs(buf, out);
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

static void print_table(FILE *out, const char *path, const report_value_t *vals)
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
        fprintf(out, "%-*s%s\n", width, f->label, text);
        g_free(text);
    }
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

    if (o.json)
        print_json(stdout, vals);
    else
        print_table(stdout, o.path, vals);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chainsim report: cannot write the report to standard output\n");
        status = REPORT_RUNTIME;
    }
done:
    free_values(vals);
    sqlite3_close(db);
    return status;
}
