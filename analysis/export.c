/*
 * export.c - `chainsim export`: one table or view as CSV or JSON.
 *
 * The table or view is looked up in sqlite_master (type 'table' or 'view',
 * internal sqlite_* objects excluded); an unknown name is refused with the
 * list of the available ones. The query is built from that name, quoted as an
 * identifier ("...", inner quotes doubled): no text of the command line
 * becomes SQL. Tables are read in primary-key order; views in their own
 * order. With --run ID and a run_id column, only the rows of that run are
 * written (a database with a runs table must hold that run); without a run_id
 * column --run is ignored with a note on stderr.
 *
 * CSV (RFC 4180): a header row of the column names, then one record per row,
 * fields separated by commas, records ended by CRLF. A field containing a
 * comma, a double quote, CR or LF is enclosed in double quotes with inner
 * quotes doubled; an empty text value is written as "" so that it differs
 * from NULL, which is an empty field. Integers are written as integers;
 * reals with the shortest of %.15g / %.16g / %.17g that reads back to the
 * same double, with ".0" added when that would look like an integer (so the
 * type survives); BLOBs (chainsim writes none) as lowercase hex.
 *
 * JSON (RFC 8259): an array of objects, one per row and one per line, keys
 * the column names in column order; integers and reals as numbers (reals as
 * in CSV; a non-finite real, which JSON cannot carry, as null), NULL as null,
 * text as a string with the escapes RFC 8259 requires (invalid UTF-8 replaced
 * by U+FFFD), BLOBs as a hex string. An empty result is "[]".
 *
 * The output goes to stdout or to --out FILE (analysis/outfile.h): FILE is
 * written under a temporary name only once the query is known to be valid
 * and renamed when complete, so a failed export leaves an older FILE as it
 * was; FILE may not be DB itself (through any path or link).
 */
#include "analysis/export.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <sqlite3.h>

#include "analysis/cli.h"
#include "analysis/outfile.h"
#include "analysis/resultsdb.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static export_replay_fn simblock_fn; /* set by the command entry: it replays runs */

void export_on_simblock(export_replay_fn fn)
{
    simblock_fn = fn;
}

enum { EXPORT_OK = 0, EXPORT_RUNTIME = 1, EXPORT_BADINPUT = 2 };


typedef enum export_format { EF_CSV, EF_JSON, EF_SIMBLOCK } export_format_t;

static const cli_command_t export_cli = {
    .name = "export",
    .usage = "DB (--table NAME | --view NAME) [--run ID] [--format csv|json] [--out FILE]\n"
             "       DB --format simblock [--run ID] --out FILE",
    .about = "Writes one table or view of the results database DB as CSV or JSON, or a\n"
             "run's block propagation as the event log of SimBlock's web visualiser\n"
             "(--format simblock: FILE, usually output.json, and static.json beside it).\n",
    .operands = (const cli_operand_t[]){ { "DB", "the database file", CLI_ONE }, { NULL, NULL, CLI_ONE } },
    .notes = "Tables are written in primary-key order. The database is only read. FILE is\n"
             "written under a temporary name and renamed when complete, so a failed export\n"
             "leaves an older FILE as it was; FILE may not be DB itself.\n",
    .exits = "0 success, 1 SQLite or I/O error, 2 bad usage, no such file,\n"
             "table, view or run, or not an SQLite database\n",
};

static const char *const export_formats[] = { "csv", "json", "simblock", NULL }; /* export_format_t order */

typedef struct export_opts {
    const char *path; /* borrowed from argv */
    const char *name;
    const char *kind; /* "table" or "view" */
    const char *out;
    int format;     /* export_format_t */
    int64_t run_id; /* 0: every run */
} export_opts_t;

/* --table NAME / --view NAME: one of them, once. */
static bool set_object(export_opts_t *o, const char *kind, const char *value, char **why)
{
    if (o->name) {
        *why = g_strdup_printf("one table or view only, and --%s %s was given already", o->kind, o->name);
        return false;
    }
    if (!*value) {
        *why = g_strdup("expected a name, not an empty value");
        return false;
    }
    o->name = value;
    o->kind = kind;
    return true;
}

static bool check_table(void *o, const char *value, char **why)
{
    return set_object(o, "table", value, why);
}

static bool check_view(void *o, const char *value, char **why)
{
    return set_object(o, "view", value, why);
}

/* Parses the arguments into *o. Returns CLI_GO_ON, or an exit status after
 * printing the help or the usage error. */
static int parse_args(int argc, char **argv, export_opts_t *o)
{
    const cli_option_t opts[] = {
        { "table", 0, CLI_CUSTOM, o, "NAME", "the table to export (runs, blocks, txs, ...)", NULL, check_table },
        { "view", 0, CLI_CUSTOM, o, "NAME", "the view to export (v_run_summary, v_tx_latency, ...)", NULL,
          check_view },
        { "run", 0, CLI_RUN_ID, &o->run_id, "ID", "only the rows of run ID (tables and views with a run_id column)",
          NULL, NULL },
        { "format", 0, CLI_CHOICE, &o->format, "FMT",
          "csv (default): RFC 4180, a header row, NULL as an empty field;\n"
          "json: an array of objects, one per row, NULL as null;\n"
          "simblock: SimBlock's output.json (add-node, add-link, flow-block, add-block,\n"
          "simulation-end) by replaying the run, and static.json beside it",
          export_formats, NULL },
        { "out", 0, CLI_TEXT, &o->out, "FILE", "write to FILE instead of standard output", NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&export_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    o->path = operands[0];
    g_free(operands);
    if (o->format == EF_SIMBLOCK) {
        if (o->name)
            return cli_usage_error("export", "--format simblock exports a run's block flows, not a table or view");
        if (!o->out)
            return cli_usage_error("export", "--format simblock needs --out FILE (e.g. output.json)");
        return CLI_GO_ON;
    }
    if (!o->name)
        return cli_usage_error("export", "say what to export: --table NAME or --view NAME");
    return CLI_GO_ON;
}

static int db_error(sqlite3 *db, const char *path, const char *what)
{
    return resultsdb_error("export", db, path, what);
}

static int open_db(const char *path, sqlite3 **db)
{
    return resultsdb_open("export", path, db);
}

/* Collects the names of the objects of `kind` ("table" or "view", internal
 * ones excluded), sorted, into a new array. Returns EXPORT_OK or an exit
 * status after printing why. */
static int list_objects(sqlite3 *db, const char *path, const char *kind, GPtrArray **names)
{
    sqlite3_stmt *st = NULL;
    *names = g_ptr_array_new_with_free_func(g_free);
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_master WHERE type = ?1"
                           " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(db, path, "cannot read the list of tables");
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_ptr_array_add(*names, g_strdup((const char *)sqlite3_column_text(st, 0)));
    int status = rc == SQLITE_DONE ? EXPORT_OK : db_error(db, path, "cannot read the list of tables");
    sqlite3_finalize(st);
    return status;
}

static bool contains(const GPtrArray *names, const char *name)
{
    for (guint i = 0; i < names->len; i++)
        if (strcmp(g_ptr_array_index(names, i), name) == 0)
            return true;
    return false;
}

/* Checks that o->name is an object of kind o->kind. Returns EXPORT_OK or an
 * exit status after printing why, with the names available. */
static int check_object(sqlite3 *db, const export_opts_t *o)
{
    bool is_table = strcmp(o->kind, "table") == 0;
    GPtrArray *same = NULL, *other = NULL;
    int status = list_objects(db, o->path, o->kind, &same);
    if (status == EXPORT_OK)
        status = list_objects(db, o->path, is_table ? "view" : "table", &other);
    if (status != EXPORT_OK || contains(same, o->name))
        goto done;
    status = EXPORT_BADINPUT;
    if (contains(other, o->name)) {
        fprintf(stderr, "chainsim export: %s: %s is a %s, not a %s: use --%s %s\n", o->path, o->name,
                is_table ? "view" : "table", o->kind, is_table ? "view" : "table", o->name);
        goto done;
    }
    fprintf(stderr, "chainsim export: %s: no %s named '%s'", o->path, o->kind, o->name);
    if (same->len == 0) {
        fprintf(stderr, "; the database has no %ss\n", o->kind);
    } else {
        fprintf(stderr, "; the %ss are:", o->kind);
        for (guint i = 0; i < same->len; i++)
            fprintf(stderr, "%s %s", i ? "," : "", (const char *)g_ptr_array_index(same, i));
        fputc('\n', stderr);
    }
    if (other->len > 0) {
        fprintf(stderr, "(and the %ss:", is_table ? "view" : "table");
        for (guint i = 0; i < other->len; i++)
            fprintf(stderr, "%s %s", i ? "," : "", (const char *)g_ptr_array_index(other, i));
        fputs(")\n", stderr);
    }
done:
    if (same)
        g_ptr_array_free(same, TRUE);
    if (other)
        g_ptr_array_free(other, TRUE);
    return status;
}

/* Runs sql (no parameters but an optional integer ?1 = arg) and stores the
 * first column of its first row in *v (INT64_MIN for NULL or no row).
 * Returns EXPORT_OK or an exit status after printing why. */
static int query_int(sqlite3 *db, const char *path, const char *sql, int64_t arg, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(db, path, "cannot read the database");
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, arg);
    int rc = sqlite3_step(st);
    int status = EXPORT_OK;
    *v = INT64_MIN;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            *v = sqlite3_column_int64(st, 0);
    } else if (rc != SQLITE_DONE) {
        status = db_error(db, path, "cannot read the database");
    }
    sqlite3_finalize(st);
    return status;
}

/* With a runs table that has a run_id column, checks that run_id is in it.
 * Returns EXPORT_OK or an exit status after printing why. */
static int check_run(sqlite3 *db, const char *path, int64_t run_id)
{
    int64_t has = 0;
    int status = query_int(db, path,
                           "SELECT count(*) FROM sqlite_master m, pragma_table_info(m.name) c"
                           " WHERE m.type = 'table' AND m.name = 'runs' AND c.name = 'run_id'",
                           0, &has);
    if (status != EXPORT_OK || has <= 0)
        return status;
    int64_t found = 0, n = 0, lo = 0, hi = 0;
    if ((status = query_int(db, path, "SELECT count(*) FROM runs WHERE run_id = ?1", run_id, &found)) != EXPORT_OK)
        return status;
    if (found > 0)
        return EXPORT_OK;
    if ((status = query_int(db, path, "SELECT count(*) FROM runs", 0, &n)) != EXPORT_OK ||
        (status = query_int(db, path, "SELECT min(run_id) FROM runs", 0, &lo)) != EXPORT_OK ||
        (status = query_int(db, path, "SELECT max(run_id) FROM runs", 0, &hi)) != EXPORT_OK)
        return status;
    if (n == 0)
        fprintf(stderr, "chainsim export: %s: no run %" G_GINT64_FORMAT " (the database holds no run)\n", path,
                run_id);
    else
        fprintf(stderr,
                "chainsim export: %s: no run %" G_GINT64_FORMAT " (the database holds %" G_GINT64_FORMAT
                " run%s, ids %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")\n",
                path, run_id, n, n == 1 ? "" : "s", lo, hi);
    return EXPORT_BADINPUT;
}

/* Appends " ORDER BY" and the primary-key columns of table `name` to sql
 * (nothing when it declares none: a rowid table is scanned in rowid order).
 * Returns EXPORT_OK or an exit status after printing why. */
static int append_order(sqlite3 *db, const char *path, const char *name, GString *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk", -1, &st, NULL) !=
        SQLITE_OK)
        return db_error(db, path, "cannot read the table's columns");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *q = sqlite3_mprintf("\"%w\"", (const char *)sqlite3_column_text(st, 0));
        g_string_append_printf(sql, "%s%s", n++ ? ", " : " ORDER BY ", q);
        sqlite3_free(q);
    }
    int status = rc == SQLITE_DONE ? EXPORT_OK : db_error(db, path, "cannot read the table's columns");
    sqlite3_finalize(st);
    return status;
}

/* Prepares the SELECT of the export into *st. Returns EXPORT_OK or an exit
 * status after printing why. */
static int prepare_select(sqlite3 *db, const export_opts_t *o, sqlite3_stmt **st)
{
    char *quoted = sqlite3_mprintf("\"%w\"", o->name);
    GString *sql = g_string_new(NULL);
    g_string_printf(sql, "SELECT * FROM %s", quoted);
    sqlite3_free(quoted);
    int status = EXPORT_OK;

    /* Look for a run_id column first. */
    if (sqlite3_prepare_v2(db, sql->str, -1, st, NULL) != SQLITE_OK) {
        status = db_error(db, o->path, "cannot read it");
        goto done;
    }
    bool has_run_id = false;
    for (int i = 0; i < sqlite3_column_count(*st); i++)
        has_run_id |= g_ascii_strcasecmp(sqlite3_column_name(*st, i), "run_id") == 0;
    sqlite3_finalize(*st);
    *st = NULL;

    if (o->run_id > 0 && !has_run_id)
        fprintf(stderr, "chainsim export: note: %s %s has no run_id column; --run ignored, every row exported\n",
                o->kind, o->name);
    if (o->run_id > 0 && has_run_id) {
        if ((status = check_run(db, o->path, o->run_id)) != EXPORT_OK)
            goto done;
        g_string_append(sql, " WHERE \"run_id\" = ?1");
    }
    if (strcmp(o->kind, "table") == 0 && (status = append_order(db, o->path, o->name, sql)) != EXPORT_OK)
        goto done;
    if (sqlite3_prepare_v2(db, sql->str, -1, st, NULL) != SQLITE_OK) {
        status = db_error(db, o->path, "cannot read it");
        goto done;
    }
    if (o->run_id > 0 && has_run_id)
        sqlite3_bind_int64(*st, 1, o->run_id);
done:
    g_string_free(sql, TRUE);
    return status;
}

/* Writes v into buf: the shortest of %.15g, %.16g, %.17g that reads back to
 * v, with ".0" added when it would look like an integer. */
static void format_real(char *buf, size_t len, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        char fmt[8];
        g_snprintf(fmt, sizeof fmt, "%%.%dg", prec);
        g_ascii_formatd(buf, (int)len, fmt, v);
        if (!isfinite(v) || g_ascii_strtod(buf, NULL) == v)
            break;
    }
    if (isfinite(v) && !strpbrk(buf, ".eE")) {
        size_t n = strlen(buf);
        if (n + 3 <= len)
            memcpy(buf + n, ".0", 3);
    }
}

static void write_hex(FILE *out, const unsigned char *p, int n)
{
    for (int i = 0; i < n; i++)
        fprintf(out, "%02x", p[i]);
}

/* Writes the n bytes at s as a CSV field, quoted when needed (and when
 * empty, to tell an empty text from NULL). */
static void csv_text(FILE *out, const char *s, size_t n)
{
    bool quote = n == 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        fwrite(s, 1, n, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}


/* Writes column i of the current row of st in format f. */
static void write_value(FILE *out, export_format_t f, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        if (f == EF_JSON)
            fputs("null", out);
        break;
    case SQLITE_INTEGER:
        fprintf(out, "%lld", (long long)sqlite3_column_int64(st, i));
        break;
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(st, i);
        if (f == EF_JSON && !isfinite(v)) {
            fputs("null", out);
        } else {
            char buf[G_ASCII_DTOSTR_BUF_SIZE + 4];
            format_real(buf, sizeof buf, v);
            fputs(buf, out);
        }
        break;
    }
    case SQLITE_BLOB: {
        const unsigned char *b = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        if (f == EF_JSON)
            fputc('"', out);
        write_hex(out, b, n);
        if (f == EF_JSON)
            fputc('"', out);
        break;
    }
    default: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        if (f == EF_JSON)
            resultsdb_json_text(out, t ? t : "", t ? n : 0);
        else
            csv_text(out, t ? t : "", t ? n : 0);
        break;
    }
    }
}

/* Steps through st writing every row to out. Returns EXPORT_OK or an exit
 * status after printing why. */
static int write_rows(FILE *out, const export_opts_t *o, sqlite3 *db, sqlite3_stmt *st)
{
    int ncol = sqlite3_column_count(st);
    if (o->format == EF_CSV) {
        for (int i = 0; i < ncol; i++) {
            const char *name = sqlite3_column_name(st, i);
            if (i)
                fputc(',', out);
            csv_text(out, name, strlen(name));
        }
        fputs("\r\n", out);
    } else {
        fputc('[', out);
    }
    long long rows = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->format == EF_CSV) {
            for (int i = 0; i < ncol; i++) {
                if (i)
                    fputc(',', out);
                write_value(out, o->format, st, i);
            }
            fputs("\r\n", out);
        } else {
            fputs(rows ? ",\n  {" : "\n  {", out);
            for (int i = 0; i < ncol; i++) {
                const char *name = sqlite3_column_name(st, i);
                if (i)
                    fputs(", ", out);
                resultsdb_json_text(out, name, strlen(name));
                fputs(": ", out);
                write_value(out, o->format, st, i);
            }
            fputc('}', out);
        }
        rows++;
        if (ferror(out))
            break;
    }
    if (o->format == EF_JSON)
        fputs(rows ? "\n]\n" : "]\n", out);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(db, o->path, "cannot read the rows");
    return EXPORT_OK;
}

int export_main(int argc, char **argv)
{
    export_opts_t o = { 0 };
    int status = parse_args(argc, argv, &o);
    if (status != CLI_GO_ON)
        return status;
    if (o.format == EF_SIMBLOCK) {
        g_assert(simblock_fn); /* registered by main before any command runs */
        return simblock_fn(o.path, o.run_id, o.out);
    }

    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    outfile_t *file = NULL;
    char *err = NULL;
    const char *inputs[] = { o.path, NULL };
    if (o.out && !outfile_check(o.out, inputs, &err)) {
        fprintf(stderr, "chainsim export: --out %s\n", err);
        status = EXPORT_BADINPUT;
        goto done;
    }
    if ((status = open_db(o.path, &db)) != EXPORT_OK)
        goto done;
    if ((status = check_object(db, &o)) != EXPORT_OK)
        goto done;
    if ((status = prepare_select(db, &o, &st)) != EXPORT_OK)
        goto done;

    if (o.out && !(file = outfile_open(o.out, &err))) {
        fprintf(stderr, "chainsim export: %s\n", err);
        status = EXPORT_RUNTIME;
        goto done;
    }
    FILE *out = file ? outfile_stream(file) : stdout;
    status = write_rows(out, &o, db, st);
    if (!file) {
        if ((fflush(out) != 0 || ferror(out)) && status == EXPORT_OK) {
            fprintf(stderr, "chainsim export: cannot write to standard output: %s\n", g_strerror(errno));
            status = EXPORT_RUNTIME;
        }
    } else if (status != EXPORT_OK) {
        outfile_abort(file); /* any older file stays as it was */
    } else if (!outfile_commit(file, &err)) {
        fprintf(stderr, "chainsim export: %s\n", err);
        status = EXPORT_RUNTIME;
    }
done:
    g_free(err);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return status;
}
