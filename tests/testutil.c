/* testutil.c - helpers shared by the Check suites. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"

static GPtrArray *tmpdirs;
static pid_t tmpdirs_pid; /* the process that made them: a forked test's exit leaves them */

static void rm_tmpdirs(void)
{
    for (guint i = 0; tmpdirs && getpid() == tmpdirs_pid && i < tmpdirs->len; i++) {
        char *cmd = g_strdup_printf("rm -rf '%s'", (char *)g_ptr_array_index(tmpdirs, i));
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", (char *)g_ptr_array_index(tmpdirs, i));
        g_free(cmd);
    }
}

char *tu_tmpdir(void)
{
    char *d = g_dir_make_tmp("chainsim-test-XXXXXX", NULL);
    g_assert_nonnull(d);
    if (!tmpdirs || tmpdirs_pid != getpid()) {
        /* first call in this process (a forked test starts a list of its own) */
        if (!tmpdirs)
            atexit(rm_tmpdirs);
        tmpdirs = g_ptr_array_new();
        tmpdirs_pid = getpid();
    }
    g_ptr_array_add(tmpdirs, g_strdup(d));
    return d;
}

char *tu_write(const char *dir, const char *name, const char *text)
{
    char *p = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(p, text, -1, NULL));
    return p;
}

int tu_chainsim(char **out, char **err, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)CHAINSIM_BINARY);
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *));)
        g_ptr_array_add(argv, a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    int status = 0;
    char *o = NULL, *e = NULL;
    GError *gerr = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status,
                               &gerr);
    g_assert_true(ok);
    g_ptr_array_free(argv, TRUE);
    if (out)
        *out = o;
    else
        g_free(o);
    if (err)
        *err = e;
    else
        g_free(e);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

scenario_t *tu_load(const char *text, char **errors, ...)
{
    GPtrArray *ov = g_ptr_array_new();
    va_list ap;
    va_start(ap, errors);
    for (char *a; (a = va_arg(ap, char *));)
        g_ptr_array_add(ov, a);
    va_end(ap);
    char *e = NULL;
    scenario_t *sc = scenario_load_text("test.ini", text, (char *const *)ov->pdata, (int)ov->len, &e);
    g_ptr_array_free(ov, TRUE);
    if (errors)
        *errors = e;
    else
        g_free(e);
    return sc;
}

static sqlite3 *open_db(const char *db)
{
    sqlite3 *h = NULL;
    g_assert_cmpint(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    return h;
}

bool tu_db_try_int(const char *db, const char *sql, int64_t *out)
{
    sqlite3 *h = NULL;
    bool ok = false;
    if (g_file_test(db, G_FILE_TEST_EXISTS) && sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            ok = true;
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return ok;
}

char *tu_db_dump(const char *db, const char *sql)
{
    sqlite3 *h = open_db(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "sql error: %s in %s\n", sqlite3_errmsg(h), sql);
        g_assert_not_reached();
    }
    GString *s = g_string_new(NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            g_string_append_printf(s, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL");
        }
        g_string_append_c(s, '\n');
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return g_string_free(s, FALSE);
}

char *tu_db_text(const char *db, const char *sql)
{
    char *all = tu_db_dump(db, sql);
    all[strcspn(all, "|\n")] = '\0';
    return all;
}

int64_t tu_db_int(const char *db, const char *sql)
{
    char *t = tu_db_text(db, sql);
    int64_t v = g_ascii_strtoll(t, NULL, 10);
    g_free(t);
    return v;
}

char *tu_source(const char *rel)
{
    return g_build_filename(CHAINSIM_SOURCE_DIR, rel, NULL);
}

int tu_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
