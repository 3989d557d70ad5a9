/*
 * resultsdb.c - see resultsdb.h.
 */
#include "analysis/resultsdb.h"

#include <errno.h>
#include <math.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

int resultsdb_error(const char *cmd, sqlite3 *db, const char *path, const char *what)
{
    int code = sqlite3_errcode(db) & 0xff;
    if (code == SQLITE_NOTADB) {
        fprintf(stderr, "chainsim %s: %s: not an SQLite database, so not a chainsim results database\n", cmd,
                path);
        return 2;
    }
    if (code == SQLITE_CORRUPT) {
        fprintf(stderr, "chainsim %s: %s: the database file is damaged (%s)\n", cmd, path, sqlite3_errmsg(db));
        return 2;
    }
    fprintf(stderr, "chainsim %s: %s: %s: %s\n", cmd, path, what, sqlite3_errmsg(db));
    return 1;
}

int resultsdb_open(const char *cmd, const char *path, sqlite3 **db)
{
    *db = NULL;
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "chainsim %s: %s: no such file\n", cmd, path);
        return 2;
    }
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "chainsim %s: %s: is a folder, not a results database\n", cmd, path);
        return 2;
    }
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "chainsim %s: %s: cannot open: %s\n", cmd, path, *db ? sqlite3_errmsg(*db) : "out of memory");
        return 2;
    }
    sqlite3_busy_timeout(*db, RESULTSDB_BUSY_MS);
    return 0;
}

/* Whether the runs table has the columns pid and host (written by newer
 * recorders at the start of a run). Returns 0 or an exit status. */
static int has_owner_columns(const char *cmd, sqlite3 *db, const char *path, bool *has)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name IN ('pid', 'host')", -1,
                           &st, NULL) != SQLITE_OK)
        return resultsdb_error(cmd, db, path, "cannot read the columns of runs");
    int status = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *has = sqlite3_column_int64(st, 0) == 2;
    else
        status = resultsdb_error(cmd, db, path, "cannot read the columns of runs");
    sqlite3_finalize(st);
    return status;
}

int resultsdb_run_status(const char *cmd, sqlite3 *db, const char *path, int64_t run_id, resultsdb_status_t *out)
{
    memset(out, 0, sizeof *out);
    bool owner = false;
    int status = has_owner_columns(cmd, db, path, &owner);
    if (status != 0)
        return status;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           owner ? "SELECT status, error, pid, host FROM runs WHERE run_id = ?1"
                                 : "SELECT status, error, NULL, NULL FROM runs WHERE run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return resultsdb_error(cmd, db, path, "cannot read the runs");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        fprintf(stderr, "chainsim %s: %s: no run %" G_GINT64_FORMAT "\n", cmd, path, run_id);
        sqlite3_finalize(st);
        return 2;
    }
    if (rc != SQLITE_ROW) {
        status = resultsdb_error(cmd, db, path, "cannot read the runs");
        sqlite3_finalize(st);
        return status;
    }
    const char *state = (const char *)sqlite3_column_text(st, 0);
    const char *error = (const char *)sqlite3_column_text(st, 1);
    bool have_pid = sqlite3_column_type(st, 2) == SQLITE_INTEGER && sqlite3_column_int64(st, 2) > 0 &&
                    sqlite3_column_int64(st, 2) <= G_MAXINT;
    int64_t pid = have_pid ? sqlite3_column_int64(st, 2) : 0;
    const char *host = (const char *)sqlite3_column_text(st, 3);

    out->state = g_strdup(state ? state : "unknown");
    out->error = error && *error ? g_utf8_make_valid(error, -1) : NULL;
    if (strcmp(out->state, "running") == 0 && have_pid && host && *host) {
        if (strcmp(host, g_get_host_name()) != 0) {
            out->text = g_strdup_printf("running (on %s, pid %" G_GINT64_FORMAT ")", host, pid);
        } else if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            g_free(out->state);
            out->state = g_strdup("abandoned");
            out->text = g_strdup_printf("abandoned (pid %" G_GINT64_FORMAT " is gone)", pid);
        } else {
            out->text = g_strdup_printf("running (pid %" G_GINT64_FORMAT ")", pid);
        }
    }
    if (!out->text)
        out->text = g_strdup(out->state);
    out->complete = strcmp(out->state, "complete") == 0;
    sqlite3_finalize(st);
    return 0;
}

void resultsdb_status_clear(resultsdb_status_t *s)
{
    g_free(s->state);
    g_free(s->text);
    g_free(s->error);
    memset(s, 0, sizeof *s);
}

/* Writes the n bytes at s as a JSON string literal (quotes included). */
void resultsdb_json_text(FILE *out, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    fputc('"', out);
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80) {
            switch (c) {
            case '"':
                fputs("\\\"", out);
                break;
            case '\\':
                fputs("\\\\", out);
                break;
            case '\n':
                fputs("\\n", out);
                break;
            case '\r':
                fputs("\\r", out);
                break;
            case '\t':
                fputs("\\t", out);
                break;
            case '\b':
                fputs("\\b", out);
                break;
            case '\f':
                fputs("\\f", out);
                break;
            default:
                if (c < 0x20)
                    fprintf(out, "\\u%04x", c);
                else
                    fputc(c, out);
            }
            p++;
            continue;
        }
        gunichar u = g_utf8_get_char_validated(p, end - p);
        if (u == (gunichar)-1 || u == (gunichar)-2) {
            fputs("\xef\xbf\xbd", out); /* U+FFFD for the invalid byte */
            p++;
            continue;
        }
        int len = g_unichar_to_utf8(u, NULL);
        fwrite(p, 1, (size_t)len, out);
        p += len;
    }
    fputc('"', out);
}

void resultsdb_json_real(FILE *out, double v)
{
    if (!isfinite(v)) {
        fputs("null", out);
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE + 4];
    g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, "%.15g", v);
    if (g_ascii_strtod(buf, NULL) != v)
        g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, "%.17g", v);
    if (!strpbrk(buf, ".eEn"))
        strcat(buf, ".0");
    fputs(buf, out);
}
