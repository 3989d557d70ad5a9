/*
 * resultsdb.c - see resultsdb.h.
 */
#include "analysis/resultsdb.h"

#include <glib.h>
#include <stdio.h>

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
