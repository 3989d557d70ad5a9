/*
 * check_guard.c - a run whose simulation process dies (killed, out of
 * memory) ends with exit status 1 and its row marked failed, never left
 * 'running'; earlier runs in the same database stay as they were.
 */
#include <check.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"

/* The process id the running run recorded, once its row exists; 0 if not
 * yet. */
static int64_t recorded_pid(const char *db)
{
    int64_t pid = 0; /* the writer may hold the lock: then try again later */
    tu_db_try_int(db, "SELECT pid FROM runs WHERE status = 'running' AND "
                      "(SELECT count(*) FROM nodes WHERE run_id = runs.run_id) > 0", &pid);
    return pid;
}

START_TEST(test_killed_simulation_is_marked_failed)
{
    char *tmp = tu_tmpdir();
    char *sc = tu_source("scenarios/faults-demo.ini");
    char *db = g_build_filename(tmp, "k.db", NULL);
    /* An earlier complete run in the same database. */
    ck_assert_int_eq(tu_chainsim(NULL, NULL, "run", sc, "--out", db, "--quiet", NULL), 0);
    char *before = tu_db_dump(db, "SELECT run_id, status, digest FROM runs");

    char *big = tu_source("scenarios/broadcast-2019.ini");
    char *argv[] = { (char *)CHAINSIM_BINARY, "run", big, "--out", db, "--set", "network.nodes=20000", "--set",
                     "broadcast.count=2000", "--set", "broadcast.interval=1s", "--quiet", NULL };
    GPid parent;
    ck_assert(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                            G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &parent, NULL));
    int64_t child = 0;
    for (int i = 0; i < 600 && !child; i++) {
        g_usleep(100000);
        child = recorded_pid(db);
    }
    ck_assert_int_gt(child, 0);
    ck_assert_int_ne(child, parent); /* the simulation runs in its own process */
    ck_assert_int_eq(kill((pid_t)child, SIGKILL), 0);
    int ws = 0;
    ck_assert_int_eq(waitpid(parent, &ws, 0), parent);
    ck_assert(WIFEXITED(ws));
    ck_assert_int_eq(WEXITSTATUS(ws), 1);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
    char *err = tu_db_text(db, "SELECT error FROM runs WHERE run_id = 2 AND status = 'failed'");
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "killed"));
    g_free(err);
    char *after = tu_db_dump(db, "SELECT run_id, status, digest FROM runs WHERE run_id = 1");
    ck_assert_str_eq(after, before);
    g_free(after);
    g_free(before);
    g_free(big);
    g_free(db);
    g_free(sc);
    g_free(tmp);
}
END_TEST

#ifndef __SANITIZE_ADDRESS__
/* With an address-space limit, an allocation fails: GLib aborts the
 * simulation process, and the run is marked failed (exit 1). (AddressSanitizer
 * reserves more address space than any such limit, so the sanitizer build
 * skips this case.) */
static void limit_memory(gpointer unused)
{
    struct rlimit rl = { 400u << 20, 400u << 20 };
    setrlimit(RLIMIT_AS, &rl);
}

START_TEST(test_failed_allocation_is_marked_failed)
{
    char *tmp = tu_tmpdir();
    char *sc = tu_source("scenarios/simblock-2019.ini");
    char *db = g_build_filename(tmp, "m.db", NULL);
    char *argv[] = { (char *)CHAINSIM_BINARY, "run", sc, "--out", db, "--set", "network.nodes=200000", "--quiet",
                     NULL };
    int ws = 0;
    char *err = NULL;
    ck_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, limit_memory, NULL, NULL, &err, &ws,
                           NULL));
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 1, "status %d: %s", ws, err);
    ck_assert_ptr_nonnull(strstr(err, "marked failed"));
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM runs WHERE status = 'failed'"), 1);
    g_free(err);
    g_free(db);
    g_free(sc);
    g_free(tmp);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("guard");
    TCase *tc = tcase_create("guard");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_killed_simulation_is_marked_failed);
#ifndef __SANITIZE_ADDRESS__
    tcase_add_test(tc, test_failed_allocation_is_marked_failed);
#endif
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
