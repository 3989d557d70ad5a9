/*
 * sweep.c - `chainsim sweep`: a grid of parameter values times a range of
 * seeds, each run a `chainsim run` child process, merged into one database.
 *
 * Steps:
 *   1. Parse the options (bad usage: exit 2).
 *   2. Validate every combination in-process with scenario_load() (the very
 *      code `chainsim check` runs), with the overrides a child would get:
 *      scenario.seed=A, the fixed --sets, then the grid assignments. Error
 *      lines are printed once each however many combinations share them,
 *      then each --grid argument with a value that is not valid on its own
 *      is named; a bad value stops the sweep with exit 2 before anything
 *      runs or is written. A --grid without values, or more than
 *      SWEEP_MAX_RUNS runs, is bad usage (exit 2) too.
 *   3. --emit-jobs: write the child command lines and print how to run them.
 *   4. Resume: a per-run database that already holds a complete run with the
 *      same resolved parameters (runs.params) is skipped; any other file in
 *      its place (an interrupted or failed run, other parameters, not a
 *      database) is deleted and the run is done again.
 *   5. Run the pending runs, at most -j at once: g_spawn_async with
 *      G_SPAWN_DO_NOT_REAP_CHILD, reaped with waitpid(). Child stdout (the
 *      digest line) goes to /dev/null, child stderr to run-....log next to
 *      its database; the log is deleted when the run completes and kept (and
 *      its last lines printed, with the command line and exit status) when it
 *      fails. A failed run does not stop the others. SIGINT/SIGTERM stop
 *      starting new runs and are passed on to the running children.
 *   6. Merge every complete per-run database into DB, in run order: ATTACH,
 *      one transaction per input, runs of DB with the same `command` deleted
 *      first, then the runs row and every row of every table with a run_id
 *      column copied under a new run_id.
 *
 * Run order and names: combination c (0-based, the first --grid varies
 * slowest) and seed s give run-CCCC-seed-S.db in <DB without .db>.runs/.
 */
#include "analysis/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/cli.h"
#include "sim/record/record.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/units.h"

enum { SW_OK = 0, SW_RUNTIME = 1, SW_BADINPUT = 2, SW_INTERRUPTED = 130 };

#define SWEEP_MAX_RUNS 1000000u
#define SWEEP_MAX_JOBS 1024u
#define SWEEP_LOG_TAIL 10 /* lines of a failed child's stderr printed */
#define SWEEP_BUSY_MS 10000

static const cli_command_t sweep_cli = {
    .name = "sweep",
    .usage = "SCENARIO --grid group.key=v1,v2,... [--grid ...]\n"
             "  [--set group.key=value ...] --seeds A..B [-j N] --out DB\n"
             "  [--emit-jobs FILE]",
    .about = "Runs SCENARIO once per combination of the grid values and per seed, each run a\n"
             "separate `chainsim run` process, then merges the runs into the database DB.\n",
    .operands = (const cli_operand_t[]){ { "SCENARIO", "the scenario file", CLI_ONE }, { NULL, NULL, CLI_ONE } },
    .notes = "Every combination is validated first; an invalid value stops the sweep before\n"
             "anything runs. A run whose database in the .runs folder already holds it,\n"
             "complete, is not run again (so an interrupted sweep resumes); a failed run is\n"
             "reported and does not stop the others. Runs of DB with the same command line as\n"
             "a merged run are replaced, so a repeated sweep does not duplicate runs. Each\n"
             "run's grid values are in run_params.\n",
    .exits = "0 every run complete, 1 a run failed or DB could not be written,\n"
             "2 bad usage or an invalid value (nothing was run), 130 interrupted\n",
};

typedef struct grid {
    char *arg;     /* the --grid argument as given, for messages */
    char *key;     /* group.key */
    char **values; /* NULL-terminated */
    guint n;
} grid_t;

typedef enum run_state {
    RS_PENDING,
    RS_SKIPPED, /* already complete from an earlier sweep */
    RS_RUNNING,
    RS_COMPLETE,
    RS_FAILED,
} run_state_t;

typedef struct run {
    uint64_t comb;
    uint64_t seed;
    char *db;  /* per-run database */
    char *log; /* child stderr */
    GPid pid;
    run_state_t state;
} run_t;

typedef struct sweep {
    const char *scenario;
    GPtrArray *grids; /* grid_t *, owned */
    GPtrArray *sets;  /* char *, owned: the fixed --set values */
    uint64_t seed_lo, seed_hi;
    bool have_seeds;
    unsigned jobs;
    const char *out;
    const char *emit;
    char *self;     /* resolved chainsim binary */
    char *runs_dir; /* <DB without .db>.runs */
    uint64_t ncomb, nseeds, nruns;
    run_t *runs;
    bool progress; /* stderr is a terminal */
} sweep_t;

static volatile sig_atomic_t sweep_stop;

static void on_signal(int sig)
{
    (void)sig;
    sweep_stop = 1;
}

static void grid_free(gpointer p)
{
    grid_t *g = p;
    g_free(g->arg);
    g_free(g->key);
    g_strfreev(g->values);
    g_free(g);
}

/* "group.key=v1,v2,...": a key with a '.', at least one value, no empty or
 * repeated value. Returns NULL with *why set (g_free) when it is not. */
static grid_t *parse_grid(const char *arg, char **why)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !memchr(arg, '.', (size_t)(eq - arg))) {
        *why = g_strdup("expected group.key=v1,v2,... (e.g. consensus.block_interval=2s,4s)");
        return NULL;
    }
    if (eq[1] == '\0') {
        *why = g_strdup("no values; expected group.key=v1,v2,... (e.g. consensus.block_interval=2s,4s)");
        return NULL;
    }
    grid_t *g = g_new0(grid_t, 1);
    g->arg = g_strdup(arg);
    g->key = g_strndup(arg, (size_t)(eq - arg));
    g->values = g_strsplit(eq + 1, ",", -1);
    g->n = g_strv_length(g->values);
    for (guint i = 0; i < g->n; i++) {
        if (!*g->values[i]) {
            *why = g_strdup("empty value (values are separated by single commas)");
            grid_free(g);
            return NULL;
        }
        for (guint j = 0; j < i; j++) {
            if (strcmp(g->values[i], g->values[j]) == 0) {
                *why = g_strdup_printf("value %s is listed twice", g->values[i]);
                grid_free(g);
                return NULL;
            }
        }
    }
    return g;
}

/* A..B or A, each from 0 to 2^63-1, A <= B. */
static bool parse_seeds(const char *arg, uint64_t *lo, uint64_t *hi)
{
    const char *dots = strstr(arg, "..");
    bool ok;
    if (dots) {
        char *a = g_strndup(arg, (size_t)(dots - arg));
        ok = units_parse_uint(a, lo) && units_parse_uint(dots + 2, hi);
        g_free(a);
    } else {
        ok = units_parse_uint(arg, lo);
        *hi = *lo;
    }
    return ok && *lo <= *hi && *hi <= INT64_MAX;
}

/* --grid group.key=v1,v2,... */
static bool check_grid(void *data, const char *value, char **why)
{
    sweep_t *s = data;
    grid_t *g = parse_grid(value, why);
    if (!g)
        return false;
    if (strcmp(g->key, "scenario.seed") == 0) {
        *why = g_strdup("use --seeds for the seeds");
        grid_free(g);
        return false;
    }
    for (guint k = 0; k < s->grids->len; k++) {
        if (strcmp(((grid_t *)g_ptr_array_index(s->grids, k))->key, g->key) == 0) {
            *why = g_strdup("this key already has a grid");
            grid_free(g);
            return false;
        }
    }
    g_ptr_array_add(s->grids, g);
    return true;
}

/* --set group.key=value, the same for every run. */
static bool check_set(void *data, const char *value, char **why)
{
    sweep_t *s = data;
    if (!*value) {
        *why = g_strdup("expected group.key=value, not an empty value");
        return false;
    }
    if (g_str_has_prefix(value, "scenario.seed=")) {
        *why = g_strdup("use --seeds for the seeds");
        return false;
    }
    g_ptr_array_add(s->sets, g_strdup(value));
    return true;
}

/* --seeds A..B */
static bool check_seeds(void *data, const char *value, char **why)
{
    sweep_t *s = data;
    if (!parse_seeds(value, &s->seed_lo, &s->seed_hi)) {
        *why = g_strdup("expected A..B, whole numbers from 0 to 9223372036854775807 with A <= B (e.g. 1..10)");
        return false;
    }
    s->have_seeds = true;
    return true;
}

/* -j N, --jobs N */
static bool check_jobs(void *data, const char *value, char **why)
{
    sweep_t *s = data;
    uint64_t j;
    if (!units_parse_uint(value, &j) || j < 1 || j > SWEEP_MAX_JOBS) {
        *why = g_strdup_printf("expected a number of parallel runs from 1 to %u", SWEEP_MAX_JOBS);
        return false;
    }
    s->jobs = (unsigned)j;
    return true;
}

/* Returns CLI_GO_ON, or an exit status after printing the help or the usage
 * error. */
static int parse_args(sweep_t *s, int argc, char **argv)
{
    const cli_option_t opts[] = {
        { "grid", 0, CLI_CUSTOM, s, "group.key=v1,v2,...",
          "values of one parameter, comma separated; repeatable:\n"
          "the runs are the cartesian product of the grids\n"
          "(a value cannot contain a comma)",
          NULL, check_grid },
        { "set", 0, CLI_CUSTOM, s, "group.key=value", "a fixed override for every run; repeatable", NULL, check_set },
        { "seeds", 0, CLI_CUSTOM, s, "A..B", "run every combination with the seeds A to B (or one seed A)", NULL,
          check_seeds },
        { "jobs", 'j', CLI_CUSTOM, s, "N", "at most N runs at once (default 1)", NULL, check_jobs },
        { "out", 0, CLI_TEXT, &s->out, "DB",
          "the merged results database; every run also has its own\n"
          "database in the folder <DB without .db>.runs/",
          NULL, NULL },
        { "emit-jobs", 0, CLI_TEXT, &s->emit, "FILE",
          "run nothing: write one command line per run to FILE\n"
          "(for GNU parallel or a Slurm job array)",
          NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&sweep_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    s->scenario = operands[0];
    g_free(operands);
    if (!s->have_seeds)
        return cli_usage_error("sweep", "missing --seeds A..B");
    if (!s->out)
        return cli_usage_error("sweep", "missing --out DB (the merged results database)");

    /* Counts saturate at UINT64_MAX: only whether they pass the limit matters. */
    s->ncomb = 1;
    for (guint k = 0; k < s->grids->len; k++) {
        guint n = ((grid_t *)g_ptr_array_index(s->grids, k))->n;
        s->ncomb = s->ncomb > UINT64_MAX / n ? UINT64_MAX : s->ncomb * n;
    }
    s->nseeds = s->seed_hi - s->seed_lo + 1; /* at most 2^63: seeds are below 2^63 */
    uint64_t nruns = s->ncomb > UINT64_MAX / s->nseeds ? UINT64_MAX : s->ncomb * s->nseeds;
    if (nruns > SWEEP_MAX_RUNS) {
        char *runs = nruns == UINT64_MAX ? g_strdup("at least 2^64")
                                         : g_strdup_printf("%" G_GUINT64_FORMAT, nruns);
        rc = cli_usage_error("sweep",
                             "too many runs: %s (%" G_GUINT64_FORMAT " combination%s of the --grid values x %"
                             G_GUINT64_FORMAT " seed%s of --seeds), at most %u",
                             runs, s->ncomb, s->ncomb == 1 ? "" : "s", s->nseeds, s->nseeds == 1 ? "" : "s",
                             SWEEP_MAX_RUNS);
        g_free(runs);
        return rc;
    }
    s->nruns = nruns;
    return CLI_GO_ON;
}

/* The overrides of run (comb, seed) as a child gets them: the seed, the
 * fixed --sets, then the grid assignments. */
static GPtrArray *run_sets(const sweep_t *s, uint64_t comb, uint64_t seed)
{
    GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(v, g_strdup_printf("scenario.seed=%" G_GUINT64_FORMAT, seed));
    for (guint i = 0; i < s->sets->len; i++)
        g_ptr_array_add(v, g_strdup(g_ptr_array_index(s->sets, i)));
    guint first = v->len;
    for (guint k = s->grids->len; k-- > 0;) {
        const grid_t *g = g_ptr_array_index(s->grids, k);
        g_ptr_array_insert(v, (gint)first, g_strdup_printf("%s=%s", g->key, g->values[comb % g->n]));
        comb /= g->n;
    }
    return v;
}

/* The child's argv (NULL-terminated, g_strfreev). */
static char **run_argv(const sweep_t *s, const run_t *r)
{
    GPtrArray *sets = run_sets(s, r->comb, r->seed);
    GPtrArray *v = g_ptr_array_new();
    g_ptr_array_add(v, g_strdup(s->self));
    g_ptr_array_add(v, g_strdup("run"));
    g_ptr_array_add(v, g_strdup(s->scenario));
    g_ptr_array_add(v, g_strdup("--seed"));
    g_ptr_array_add(v, g_strdup_printf("%" G_GUINT64_FORMAT, r->seed));
    for (guint i = 1; i < sets->len; i++) { /* [0] is the seed */
        g_ptr_array_add(v, g_strdup("--set"));
        g_ptr_array_add(v, g_strdup(g_ptr_array_index(sets, i)));
    }
    g_ptr_array_add(v, g_strdup("--out"));
    g_ptr_array_add(v, g_strdup(r->db));
    g_ptr_array_add(v, g_strdup("--quiet"));
    g_ptr_array_add(v, NULL);
    g_ptr_array_free(sets, TRUE);
    return (char **)g_ptr_array_free(v, FALSE);
}

/* argv as one shell command line, words quoted only when they need it. */
static char *shell_join(char **argv)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; argv[i]; i++) {
        const char *w = argv[i];
        if (i)
            g_string_append_c(s, ' ');
        if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-@%") == strlen(w)) {
            g_string_append(s, w);
        } else {
            char *q = g_shell_quote(w);
            g_string_append(s, q);
            g_free(q);
        }
    }
    return g_string_free(s, FALSE);
}

/* Loads the scenario with the overrides of (comb, seed). Returns the
 * scenario or NULL with *errors. */
static scenario_t *load_run(const sweep_t *s, uint64_t comb, uint64_t seed, char **errors)
{
    GPtrArray *sets = run_sets(s, comb, seed);
    scenario_t *sc = scenario_load(s->scenario, (char *const *)sets->pdata, (int)sets->len, errors);
    g_ptr_array_free(sets, TRUE);
    return sc;
}

/* Loads the scenario with the seed, the fixed --sets and, unless NULL, one
 * more assignment. Returns whether it is valid. */
static bool valid_with(const sweep_t *s, const char *assignment)
{
    GPtrArray *sets = run_sets(s, 0, s->seed_lo);
    g_ptr_array_set_size(sets, (guint)s->sets->len + 1); /* the seed and the --sets, no grid */
    if (assignment)
        g_ptr_array_add(sets, g_strdup(assignment));
    char *errors = NULL;
    scenario_t *sc = scenario_load(s->scenario, (char *const *)sets->pdata, (int)sets->len, &errors);
    g_ptr_array_free(sets, TRUE);
    g_free(errors);
    scenario_free(sc);
    return sc != NULL;
}

/* After a failed validation: names each --grid argument with a value that
 * is not valid on its own (with the seed and the --sets, which are valid
 * without it). Values that fail only in some combinations are not named. */
static void name_bad_values(const sweep_t *s)
{
    if (!valid_with(s, NULL))
        return; /* the scenario or the --sets: not the grids' fault */
    for (guint k = 0; k < s->grids->len; k++) {
        const grid_t *g = g_ptr_array_index(s->grids, k);
        GString *bad = g_string_new(NULL);
        guint nbad = 0;
        for (guint i = 0; i < g->n; i++) {
            char *assignment = g_strdup_printf("%s=%s", g->key, g->values[i]);
            if (!valid_with(s, assignment)) {
                char *q = cli_quote(g->values[i]);
                g_string_append_printf(bad, "%s%s", nbad++ ? ", " : "", q);
                g_free(q);
            }
            g_free(assignment);
        }
        if (nbad > 0) {
            char *q = cli_quote(g->arg);
            fprintf(stderr, "chainsim sweep: --grid %s: %s %s %s not valid (see above)\n", q,
                    nbad == 1 ? "the value" : "the values", bad->str, nbad == 1 ? "is" : "are");
            g_free(q);
        }
        g_string_free(bad, TRUE);
    }
}

/* Validates every combination (with the first seed). Prints each distinct
 * error line once, then names the --grid arguments at fault. */
static bool validate(const sweep_t *s)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    uint64_t bad = 0;
    for (uint64_t c = 0; c < s->ncomb; c++) {
        char *errors = NULL;
        scenario_t *sc = load_run(s, c, s->seed_lo, &errors);
        if (sc) {
            scenario_free(sc);
            continue;
        }
        bad++;
        char **lines = g_strsplit(errors ? errors : "", "\n", -1);
        for (int i = 0; lines[i]; i++) {
            if (*lines[i] && !g_hash_table_contains(seen, lines[i])) {
                fprintf(stderr, "%s\n", lines[i]);
                g_hash_table_add(seen, g_strdup(lines[i]));
            }
        }
        g_strfreev(lines);
        g_free(errors);
    }
    g_hash_table_destroy(seen);
    if (bad) {
        name_bad_values(s);
        fprintf(stderr, "chainsim sweep: %s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                        " combinations are not valid; nothing was run\n", s->scenario, bad, s->ncomb);
    }
    return bad == 0;
}

/* True if the database at path holds a complete run (with these resolved
 * parameters, when params is not NULL). Opened read-only; a missing file or
 * one that is not a results database holds none. */
static bool db_complete(const char *path, const char *params)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool yes = false;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, SWEEP_BUSY_MS);
        if (sqlite3_prepare_v2(db,
                               "SELECT count(*) FROM runs WHERE status = 'complete' AND (?1 IS NULL OR params = ?1)",
                               -1, &st, NULL) == SQLITE_OK) {
            if (params)
                sqlite3_bind_text(st, 1, params, -1, SQLITE_STATIC);
            yes = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return yes;
}

static void remove_db(const char *path)
{
    static const char *const suffix[] = { "", "-journal", "-wal", "-shm" };
    for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
        char *p = g_strconcat(path, suffix[i], NULL);
        g_unlink(p);
        g_free(p);
    }
}

/* Fills s->runs and marks the runs already complete as skipped; deletes the
 * other per-run databases that exist. */
static void plan_runs(sweep_t *s)
{
    s->runs = g_new0(run_t, s->nruns);
    for (uint64_t i = 0; i < s->nruns; i++) {
        run_t *r = &s->runs[i];
        r->comb = i / s->nseeds;
        r->seed = s->seed_lo + i % s->nseeds;
        char *base = g_strdup_printf("run-%04" G_GUINT64_FORMAT "-seed-%" G_GUINT64_FORMAT, r->comb, r->seed);
        char *name = g_strconcat(base, ".db", NULL);
        r->db = g_build_filename(s->runs_dir, name, NULL);
        g_free(name);
        name = g_strconcat(base, ".log", NULL);
        r->log = g_build_filename(s->runs_dir, name, NULL);
        g_free(name);
        g_free(base);
        r->state = RS_PENDING;
        if (!s->emit && g_file_test(r->db, G_FILE_TEST_EXISTS)) {
            char *errors = NULL;
            scenario_t *sc = load_run(s, r->comb, r->seed, &errors);
            g_free(errors);
            if (sc && db_complete(r->db, sc->params)) {
                r->state = RS_SKIPPED;
                g_unlink(r->log);
            } else {
                remove_db(r->db);
            }
            scenario_free(sc);
        }
    }
}

static int emit_jobs(const sweep_t *s)
{
    GString *text = g_string_new(NULL);
    for (uint64_t i = 0; i < s->nruns; i++) {
        char **argv = run_argv(s, &s->runs[i]);
        char *line = shell_join(argv);
        g_string_append_printf(text, "%s\n", line);
        g_free(line);
        g_strfreev(argv);
    }
    GError *gerr = NULL;
    bool ok = g_file_set_contents(s->emit, text->str, (gssize)text->len, &gerr);
    g_string_free(text, TRUE);
    if (!ok) {
        fprintf(stderr, "chainsim sweep: cannot write %s: %s\n", s->emit, gerr->message);
        g_error_free(gerr);
        return SW_RUNTIME;
    }
    char *argv_file[] = { (char *)s->emit, NULL };
    char *qfile = shell_join(argv_file);
    char *argv_merge[] = { "chainsim", "merge", (char *)s->out, NULL };
    char *merge = shell_join(argv_merge);
    char *argv_dir[] = { s->runs_dir, NULL };
    char *qdir = shell_join(argv_dir);
    printf("wrote %" G_GUINT64_FORMAT " run commands (%" G_GUINT64_FORMAT " combinations x %" G_GUINT64_FORMAT
           " seeds) to %s\n"
           "\n"
           "run them with GNU parallel, %u at a time:\n"
           "  parallel -j %u < %s\n"
           "\n"
           "or as a Slurm job array (one task per line), with this batch script:\n"
           "  #!/bin/sh\n"
           "  #SBATCH --array=1-%" G_GUINT64_FORMAT "\n"
           "  sed -n \"${SLURM_ARRAY_TASK_ID}p\" %s | sh\n"
           "\n"
           "then merge the per-run databases into %s:\n"
           "  %s %s/*.db\n",
           s->nruns, s->ncomb, s->nseeds, s->emit, s->jobs, s->jobs, qfile, s->nruns, qfile, s->out, merge, qdir);
    g_free(qfile);
    g_free(merge);
    g_free(qdir);
    return SW_OK;
}

/* In the child, between fork and exec: stderr to the run's log file. */
static void child_setup(gpointer data)
{
    dup2(GPOINTER_TO_INT(data), STDERR_FILENO);
}

typedef struct counts {
    uint64_t todo, complete, failed, interrupted, running;
} counts_t;

static void progress(const sweep_t *s, const counts_t *n)
{
    if (!s->progress)
        return;
    fprintf(stderr, "\r\033[Ksweep: %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " done, %" G_GUINT64_FORMAT
                    " failed, %" G_GUINT64_FORMAT " running",
            n->complete + n->failed + n->interrupted, n->todo, n->failed, n->running);
    fflush(stderr);
}

static void clear_progress(const sweep_t *s)
{
    if (s->progress) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

/* Prints why run r failed: its command line, how it ended, its last lines. */
static void report_failure(const sweep_t *s, const run_t *r, const char *how)
{
    char **argv = run_argv(s, r);
    char *cmd = shell_join(argv);
    clear_progress(s);
    fprintf(stderr, "chainsim sweep: run failed (%s): %s\n", how, cmd);
    char *text = NULL;
    if (g_file_get_contents(r->log, &text, NULL, NULL) && *text) {
        char **lines = g_strsplit(g_strchomp(text), "\n", -1);
        guint n = g_strv_length(lines);
        for (guint i = n > SWEEP_LOG_TAIL ? n - SWEEP_LOG_TAIL : 0; i < n; i++)
            fprintf(stderr, "  | %s\n", lines[i]);
        g_strfreev(lines);
        fprintf(stderr, "  (its messages are in %s)\n", r->log);
    }
    g_free(text);
    g_free(cmd);
    g_strfreev(argv);
}

static bool start_run(sweep_t *s, run_t *r)
{
    int fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        clear_progress(s);
        fprintf(stderr, "chainsim sweep: cannot create %s: %s\n", r->log, g_strerror(errno));
        return false;
    }
    char **argv = run_argv(s, r);
    GError *gerr = NULL;
    gboolean ok = g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                child_setup, GINT_TO_POINTER(fd), &r->pid, &gerr);
    close(fd);
    if (!ok) {
        char *cmd = shell_join(argv);
        clear_progress(s);
        fprintf(stderr, "chainsim sweep: cannot start %s: %s\n", cmd, gerr->message);
        g_free(cmd);
        g_error_free(gerr);
    }
    g_strfreev(argv);
    return ok;
}

/* Reaped child of run r with wait status st. */
static void end_run(sweep_t *s, run_t *r, int st, counts_t *n)
{
    n->running--;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && db_complete(r->db, NULL)) {
        r->state = RS_COMPLETE;
        n->complete++;
        g_unlink(r->log);
        return;
    }
    r->state = RS_FAILED;
    if (sweep_stop && ((WIFEXITED(st) && WEXITSTATUS(st) == 130) || WIFSIGNALED(st))) {
        n->interrupted++; /* stopped with the sweep: reported in the summary */
        return;
    }
    n->failed++;
    char *how;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        how = g_strdup("exit status 0 but no complete run in its database");
    else if (WIFEXITED(st))
        how = g_strdup_printf("exit status %d%s", WEXITSTATUS(st), WEXITSTATUS(st) == 130 ? ", interrupted" : "");
    else if (WIFSIGNALED(st))
        how = g_strdup_printf("killed by signal %d", WTERMSIG(st));
    else
        how = g_strdup_printf("wait status %d", st);
    report_failure(s, r, how);
    g_free(how);
}

/* Runs the pending runs, at most s->jobs at once. */
static void run_all(sweep_t *s, counts_t *n)
{
    struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: waitpid returns EINTR */
    sweep_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    bool forwarded = false;
    uint64_t next = 0;
    for (;;) {
        while (!sweep_stop && n->running < s->jobs && next < s->nruns) {
            run_t *r = &s->runs[next++];
            if (r->state != RS_PENDING)
                continue;
            if (start_run(s, r)) {
                r->state = RS_RUNNING;
                n->running++;
            } else {
                r->state = RS_FAILED;
                n->failed++;
            }
        }
        progress(s, n);
        if (n->running == 0)
            break;
        if (sweep_stop && !forwarded) {
            for (uint64_t i = 0; i < s->nruns; i++)
                if (s->runs[i].state == RS_RUNNING)
                    kill(s->runs[i].pid, SIGTERM);
            forwarded = true;
        }
        int st = 0;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            /* ECHILD: our children were reaped elsewhere; their results are unknown. */
            for (uint64_t i = 0; i < s->nruns; i++)
                if (s->runs[i].state == RS_RUNNING)
                    end_run(s, &s->runs[i], 0xff00, n); /* exit status 255 */
            break;
        }
        for (uint64_t i = 0; i < s->nruns; i++) {
            if (s->runs[i].state == RS_RUNNING && s->runs[i].pid == pid) {
                g_spawn_close_pid(pid);
                end_run(s, &s->runs[i], st, n);
                break;
            }
        }
    }
    clear_progress(s);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}

/* "name" quoted as an SQL identifier (g_free). */
static char *sql_ident(const char *name)
{
    GString *s = g_string_new("\"");
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            g_string_append_c(s, '"');
        g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
    return g_string_free(s, FALSE);
}

static bool sql_exec(sqlite3 *db, const char *sql, char **err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        *err = g_strdup(msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return false;
    }
    return true;
}

/* Columns of schema.table, in order (g_strfreev); NULL on error. */
static char **table_columns(sqlite3 *db, const char *schema, const char *table, char **err)
{
    char *t = sql_ident(table);
    char *sql = g_strdup_printf("PRAGMA %s.table_info(%s)", schema, t);
    sqlite3_stmt *st = NULL;
    GPtrArray *v = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        v = g_ptr_array_new();
        while (sqlite3_step(st) == SQLITE_ROW)
            g_ptr_array_add(v, g_strdup((const char *)sqlite3_column_text(st, 1)));
        g_ptr_array_add(v, NULL);
    } else {
        *err = g_strdup(sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    g_free(sql);
    g_free(t);
    return v ? (char **)g_ptr_array_free(v, FALSE) : NULL;
}

/* Tables of schema other than runs that have a run_id column (g_strfreev). */
static char **run_tables(sqlite3 *db, const char *schema, char **err)
{
    char *sql = g_strdup_printf("SELECT name FROM %s.sqlite_master WHERE type = 'table' AND name <> 'runs' "
                                "AND name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' ORDER BY name", schema);
    sqlite3_stmt *st = NULL;
    GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
    if (!ok)
        *err = g_strdup(sqlite3_errmsg(db));
    while (ok && sqlite3_step(st) == SQLITE_ROW)
        g_ptr_array_add(v, g_strdup((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    g_free(sql);
    for (guint i = 0; ok && i < v->len;) {
        char **cols = table_columns(db, schema, g_ptr_array_index(v, i), err);
        if (!cols) {
            ok = false;
            break;
        }
        if (g_strv_contains((const char *const *)cols, "run_id"))
            i++;
        else
            g_ptr_array_remove_index(v, i);
        g_strfreev(cols);
    }
    if (!ok) {
        g_ptr_array_free(v, TRUE);
        return NULL;
    }
    g_ptr_array_set_free_func(v, NULL);
    g_ptr_array_add(v, NULL);
    return (char **)g_ptr_array_free(v, FALSE);
}

/* Runs sql with the integer/text parameters given (NULL text = unused). */
static bool sql_run(sqlite3 *db, const char *sql, const char *text1, int64_t int1, int64_t int2, char **err)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        if (text1)
            sqlite3_bind_text(st, 1, text1, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 1, int1);
        if (sqlite3_bind_parameter_count(st) >= 2)
            sqlite3_bind_int64(st, 2, int2);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    if (!ok)
        *err = g_strdup_printf("%s (in %s)", sqlite3_errmsg(db), sql);
    sqlite3_finalize(st);
    return ok;
}

/* Copies the latest complete run of the attached database src into main
 * under a new run_id, after deleting main's runs with the same command. */
static bool merge_attached(sqlite3 *db, char **err)
{
    sqlite3_stmt *st = NULL;
    int64_t src_id = -1;
    char *command = NULL;
    char **src_tables = NULL, **main_tables = NULL, **cols = NULL;
    bool ok = false;
    if (sqlite3_prepare_v2(db, "SELECT run_id, command FROM src.runs WHERE status = 'complete' "
                               "ORDER BY run_id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
        *err = g_strdup(sqlite3_errmsg(db));
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        *err = g_strdup("no complete run in it");
        goto out;
    }
    src_id = sqlite3_column_int64(st, 0);
    command = g_strdup((const char *)sqlite3_column_text(st, 1));
    if (!(src_tables = run_tables(db, "src", err)) || !(main_tables = run_tables(db, "main", err)))
        goto out;

    for (int i = 0; main_tables[i]; i++) {
        char *t = sql_ident(main_tables[i]);
        char *sql = g_strdup_printf("DELETE FROM main.%s WHERE run_id IN "
                                    "(SELECT run_id FROM main.runs WHERE command = ?1)", t);
        bool done = sql_run(db, sql, command, 0, 0, err);
        g_free(sql);
        g_free(t);
        if (!done)
            goto out;
    }
    if (!sql_run(db, "DELETE FROM main.runs WHERE command = ?1", command, 0, 0, err))
        goto out;

    /* The runs row, every column but run_id. */
    if (!(cols = table_columns(db, "src", "runs", err)))
        goto out;
    GString *list = g_string_new(NULL);
    for (int i = 0; cols[i]; i++) {
        if (strcmp(cols[i], "run_id") == 0)
            continue;
        char *c = sql_ident(cols[i]);
        g_string_append_printf(list, "%s%s", list->len ? ", " : "", c);
        g_free(c);
    }
    char *sql = g_strdup_printf("INSERT INTO main.runs (%s) SELECT %s FROM src.runs WHERE run_id = ?1", list->str,
                                list->str);
    g_string_free(list, TRUE);
    bool done = sql_run(db, sql, NULL, src_id, 0, err);
    g_free(sql);
    g_strfreev(cols);
    cols = NULL;
    if (!done)
        goto out;
    int64_t new_id = sqlite3_last_insert_rowid(db);

    /* Every table with a run_id column, run_id replaced. */
    for (int k = 0; src_tables[k]; k++) {
        if (!(cols = table_columns(db, "src", src_tables[k], err)))
            goto out;
        GString *into = g_string_new(NULL), *from = g_string_new(NULL);
        for (int i = 0; cols[i]; i++) {
            char *c = sql_ident(cols[i]);
            g_string_append_printf(into, "%s%s", i ? ", " : "", c);
            g_string_append_printf(from, "%s%s", i ? ", " : "", strcmp(cols[i], "run_id") == 0 ? "?1" : c);
            g_free(c);
        }
        char *t = sql_ident(src_tables[k]);
        sql = g_strdup_printf("INSERT INTO main.%s (%s) SELECT %s FROM src.%s WHERE run_id = ?2", t, into->str,
                              from->str, t);
        done = sql_run(db, sql, NULL, new_id, src_id, err);
        g_free(sql);
        g_free(t);
        g_string_free(into, TRUE);
        g_string_free(from, TRUE);
        g_strfreev(cols);
        cols = NULL;
        if (!done)
            goto out;
    }
    ok = true;
out:
    sqlite3_finalize(st);
    g_free(command);
    g_strfreev(src_tables);
    g_strfreev(main_tables);
    g_strfreev(cols);
    return ok;
}

/* Merges the per-run database path into the open database db, in one
 * transaction. */
static bool merge_one(sqlite3 *db, const char *path, char **err)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS src", -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    if (!ok)
        *err = g_strdup(sqlite3_errmsg(db));
    sqlite3_finalize(st);
    if (!ok)
        return false;
    ok = sql_exec(db, "BEGIN IMMEDIATE", err);
    if (ok) {
        ok = merge_attached(db, err);
        if (ok)
            ok = sql_exec(db, "COMMIT", err);
        if (!ok)
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_exec(db, "DETACH DATABASE src", NULL, NULL, NULL);
    return ok;
}

/* Creates DB (schema and views) if needed. */
static bool prepare_out(const sweep_t *s)
{
    char *err = NULL;
    record_t *rec = record_open(s->out, &err);
    if (!rec) {
        fprintf(stderr, "chainsim sweep: %s\n", err);
        g_free(err);
        return false;
    }
    record_close(rec);
    return true;
}

/* Merges every complete run into DB; returns the number merged, -1 if any
 * merge failed. */
static int64_t merge_all(const sweep_t *s)
{
    if (!prepare_out(s))
        return -1;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(s->out, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "chainsim sweep: cannot open %s: %s\n", s->out, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, SWEEP_BUSY_MS);
    int64_t merged = 0;
    bool failed = false;
    for (uint64_t i = 0; i < s->nruns; i++) {
        const run_t *r = &s->runs[i];
        if (r->state != RS_COMPLETE && r->state != RS_SKIPPED)
            continue;
        char *err = NULL;
        if (merge_one(db, r->db, &err)) {
            merged++;
        } else {
            fprintf(stderr, "chainsim sweep: cannot merge %s into %s: %s\n", r->db, s->out, err);
            failed = true;
        }
        g_free(err);
    }
    sqlite3_close(db);
    return failed ? -1 : merged;
}

static char *resolve_self(const char *self)
{
    if (strchr(self, '/'))
        return g_strdup(self);
    return g_find_program_in_path(self);
}

int sweep_main(int argc, char **argv, const char *self)
{
    sweep_t s = { .grids = g_ptr_array_new_with_free_func(grid_free),
                  .sets = g_ptr_array_new_with_free_func(g_free),
                  .jobs = 1,
                  .progress = isatty(STDERR_FILENO) };
    sweep_stop = 0;
    int rc = parse_args(&s, argc, argv);
    if (rc != CLI_GO_ON)
        goto done;
    rc = SW_BADINPUT;
    if (!validate(&s))
        goto done;
    rc = SW_RUNTIME;
    if (!(s.self = resolve_self(self))) {
        fprintf(stderr, "chainsim sweep: cannot find the chainsim binary '%s' in PATH\n", self);
        goto done;
    }
    {
        const char *out = s.out;
        size_t n = strlen(out);
        s.runs_dir = n > 3 && strcmp(out + n - 3, ".db") == 0 ? g_strdup_printf("%.*s.runs", (int)(n - 3), out)
                                                                : g_strconcat(out, ".runs", NULL);
    }
    plan_runs(&s);
    if (s.emit) {
        rc = emit_jobs(&s);
        goto done;
    }
    if (!prepare_out(&s))
        goto done;
    if (g_mkdir_with_parents(s.runs_dir, 0755) != 0) {
        fprintf(stderr, "chainsim sweep: cannot create the folder %s: %s\n", s.runs_dir, g_strerror(errno));
        goto done;
    }

    counts_t n = { 0 };
    uint64_t skipped = 0;
    for (uint64_t i = 0; i < s.nruns; i++)
        skipped += s.runs[i].state == RS_SKIPPED;
    n.todo = s.nruns - skipped;
    printf("sweep: %" G_GUINT64_FORMAT " combinations x %" G_GUINT64_FORMAT " seeds = %" G_GUINT64_FORMAT
           " runs (%" G_GUINT64_FORMAT " already complete), %u at a time; per-run databases in %s\n",
           s.ncomb, s.nseeds, s.nruns, skipped, s.jobs, s.runs_dir);
    fflush(stdout);
    run_all(&s, &n);
    uint64_t not_started = n.todo - n.complete - n.failed - n.interrupted;

    int64_t merged = merge_all(&s);
    printf("summary: %" G_GUINT64_FORMAT " runs: %" G_GUINT64_FORMAT " complete, %" G_GUINT64_FORMAT
           " skipped (already complete), %" G_GUINT64_FORMAT " failed",
           s.nruns, n.complete, skipped, n.failed);
    if (n.interrupted)
        printf(", %" G_GUINT64_FORMAT " interrupted", n.interrupted);
    if (not_started)
        printf(", %" G_GUINT64_FORMAT " not started", not_started);
    printf("\n");
    if (merged >= 0)
        printf("merged %" G_GINT64_FORMAT " runs into %s\n", merged, s.out);
    if (sweep_stop)
        rc = SW_INTERRUPTED;
    else if (n.failed || merged < 0)
        rc = SW_RUNTIME;
    else
        rc = SW_OK;
    if (rc == SW_RUNTIME && n.failed)
        fprintf(stderr, "chainsim sweep: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                        " runs failed; run the sweep again to retry them\n", n.failed, s.nruns);
    if (rc == SW_INTERRUPTED)
        fprintf(stderr, "chainsim sweep: interrupted; run the sweep again to resume\n");
done:
    fflush(stdout);
    for (uint64_t i = 0; s.runs && i < s.nruns; i++) {
        g_free(s.runs[i].db);
        g_free(s.runs[i].log);
    }
    g_free(s.runs);
    g_free(s.self);
    g_free(s.runs_dir);
    g_ptr_array_free(s.grids, TRUE);
    g_ptr_array_free(s.sets, TRUE);
    return rc;
}
