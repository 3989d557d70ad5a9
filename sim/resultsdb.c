/*
 * resultsdb.c - see resultsdb.h.
 */
#include "sim/resultsdb.h"

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
