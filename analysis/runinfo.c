/*
 * runinfo.c - see runinfo.h. Messages follow `chainsim report`'s: a missing
 * file, a folder, a file that is not SQLite or not chainsim's, a run that
 * is not there (with the ids the file holds).
 */
#include "analysis/runinfo.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "analysis/resultsdb.h"

int runinfo_db_error(const char *cmd, sqlite3 *db, const char *path, const char *what)
{
    return resultsdb_error(cmd, db, path, what);
}

int runinfo_int(const char *cmd, sqlite3 *db, const char *path, const char *sql, int64_t run_id, int64_t *out,
                bool *found)
{
    sqlite3_stmt *st = NULL;
    *found = false;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return runinfo_db_error(cmd, db, path, "cannot read the database");
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
            *out = sqlite3_column_int64(st, 0);
            *found = true;
        }
    } else if (rc != SQLITE_DONE) {
        int status = runinfo_db_error(cmd, db, path, "cannot read the database");
        sqlite3_finalize(st);
        return status;
    }
    sqlite3_finalize(st);
    return 0;
}

/* Whether db has a table or view called name. */
static int has_object(const char *cmd, sqlite3 *db, const char *path, const char *name, bool *has)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return runinfo_db_error(cmd, db, path, "cannot read the database");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int status = runinfo_db_error(cmd, db, path, "cannot read the database");
        sqlite3_finalize(st);
        return status;
    }
    *has = sqlite3_column_int64(st, 0) > 0;
    sqlite3_finalize(st);
    return 0;
}

int runinfo_open(const char *cmd, const char *path, sqlite3 **db)
{
    int status = resultsdb_open(cmd, path, db);
    if (status)
        return status;
    bool has = false;
    if ((status = has_object(cmd, *db, path, "runs", &has)))
        return status;
    if (!has) {
        fprintf(stderr, "chainsim %s: %s: not a chainsim results database (it has no runs table)\n", cmd, path);
        return 2;
    }
    return 0;
}

int runinfo_pick(const char *cmd, sqlite3 *db, const char *path, int64_t *run_id)
{
    int64_t v = 0;
    bool found = false;
    int status;
    if (*run_id == 0) {
        if ((status = runinfo_int(cmd, db, path, "SELECT max(run_id) FROM runs", 0, &v, &found)))
            return status;
        if (!found) {
            fprintf(stderr, "chainsim %s: %s: no run recorded in this database\n", cmd, path);
            return 2;
        }
        *run_id = v;
        return 0;
    }
    if ((status = runinfo_int(cmd, db, path, "SELECT run_id FROM runs WHERE run_id = ?1", *run_id, &v, &found)))
        return status;
    if (found)
        return 0;
    int64_t n = 0, lo = 0, hi = 0;
    if ((status = runinfo_int(cmd, db, path, "SELECT count(*) FROM runs", 0, &n, &found)) ||
        (status = runinfo_int(cmd, db, path, "SELECT min(run_id) FROM runs", 0, &lo, &found)) ||
        (status = runinfo_int(cmd, db, path, "SELECT max(run_id) FROM runs", 0, &hi, &found)))
        return status;
    if (n == 0)
        fprintf(stderr, "chainsim %s: %s: no run %" G_GINT64_FORMAT " (the database holds no run)\n", cmd, path,
                *run_id);
    else
        fprintf(stderr,
                "chainsim %s: %s: no run %" G_GINT64_FORMAT " (the database holds %" G_GINT64_FORMAT
                " run%s, ids %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")\n",
                cmd, path, *run_id, n, n == 1 ? "" : "s", lo, hi);
    return 2;
}

int runinfo_require(const char *cmd, sqlite3 *db, const char *path, const char *const *names, const char *what)
{
    for (size_t i = 0; names[i]; i++) {
        bool has = false;
        int status = has_object(cmd, db, path, names[i], &has);
        if (status)
            return status;
        if (!has) {
            fprintf(stderr,
                    "chainsim %s: %s: has no %s (%s is missing): the database was written by an older\n"
                    "chainsim; record the run again with this version (chainsim replay reruns it)\n",
                    cmd, path, what, names[i]);
            return 2;
        }
    }
    return 0;
}

static char *column_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? g_strdup((const char *)t) : NULL;
}

/* The value of run_params key for the run (g_free), or NULL. */
static int param(const char *cmd, sqlite3 *db, const char *path, int64_t run_id, const char *key, char **out)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM run_params WHERE run_id = ?1 AND key = ?2", -1, &st, NULL) !=
        SQLITE_OK)
        return runinfo_db_error(cmd, db, path, "cannot read the table run_params");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = column_text(st, 0);
    else if (rc != SQLITE_DONE) {
        int status = runinfo_db_error(cmd, db, path, "cannot read the table run_params");
        sqlite3_finalize(st);
        return status;
    }
    sqlite3_finalize(st);
    return 0;
}

int runinfo_load(const char *cmd, sqlite3 *db, const char *path, int64_t run_id, runinfo_t *ri)
{
    memset(ri, 0, sizeof *ri);
    ri->run_id = run_id;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT scenario_name, scenario_path, scenario_text, params, overrides, seed, version, "
                           "command, status, sim_end_ns, digest FROM runs WHERE run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return runinfo_db_error(cmd, db, path, "cannot read the table runs");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int status = rc == SQLITE_DONE ? 2 : runinfo_db_error(cmd, db, path, "cannot read the table runs");
        if (rc == SQLITE_DONE)
            fprintf(stderr, "chainsim %s: %s: no run %" G_GINT64_FORMAT "\n", cmd, path, run_id);
        sqlite3_finalize(st);
        return status;
    }
    ri->scenario_name = column_text(st, 0);
    ri->scenario_path = column_text(st, 1);
    ri->scenario_text = column_text(st, 2);
    ri->params = column_text(st, 3);
    ri->overrides = column_text(st, 4);
    ri->seed = (uint64_t)sqlite3_column_int64(st, 5);
    ri->version = column_text(st, 6);
    ri->command = column_text(st, 7);
    ri->status = column_text(st, 8);
    ri->has_end = sqlite3_column_type(st, 9) != SQLITE_NULL;
    ri->sim_end_ns = (uint64_t)sqlite3_column_int64(st, 9);
    ri->digest = column_text(st, 10);
    sqlite3_finalize(st);

    char *v = NULL;
    int status = param(cmd, db, path, run_id, "network.nodes", &v);
    if (status)
        return status;
    guint64 nodes = 0;
    if (v && g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT32, &nodes, NULL))
        ri->nodes = (uint32_t)nodes;
    g_free(v);
    if ((status = param(cmd, db, path, run_id, "consensus.kind", &ri->consensus)))
        return status;
    if (!ri->consensus)
        ri->consensus = g_strdup("none");
    return 0;
}

void runinfo_clear(runinfo_t *ri)
{
    g_free(ri->scenario_name);
    g_free(ri->scenario_path);
    g_free(ri->scenario_text);
    g_free(ri->params);
    g_free(ri->overrides);
    g_free(ri->version);
    g_free(ri->command);
    g_free(ri->status);
    g_free(ri->digest);
    g_free(ri->consensus);
    memset(ri, 0, sizeof *ri);
}
