/*
 * main.c - the chainsim command line.
 *
 * Exit status: 0 success, 1 runtime failure, 2 bad input (scenario file,
 * option or value), 130 interrupted by SIGINT/SIGTERM.
 */
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "analysis/compare.h"
#include "analysis/export.h"
#include "analysis/merge.h"
#include "analysis/plot.h"
#include "sim/record/record.h"
#include "analysis/report.h"
#include "analysis/sweep.h"
#include "sim/scenario/scenario.h"
#include "sim/sim.h"
#include "sim/scenario/units.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_BADINPUT = 2, EXIT_INTERRUPTED = 130 };

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char usage_main[] =
    "chainsim - deterministic discrete-event simulator of blockchain networks\n"
    "\n"
    "usage: chainsim COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO    run a scenario file and record the results\n"
    "  check SCENARIO  validate a scenario file without running it\n"
    "  keys            list every scenario group and key with its default\n"
    "  report DB       print the headline metrics of a run (--json for a JSON object)\n"
    "  plot DB         draw a run's charts with gnuplot (data and scripts kept beside them)\n"
    "  compare DB...   headline metrics of several runs side by side, overlaid charts\n"
    "  sweep SCENARIO  run a grid of parameter values x seeds as parallel processes\n"
    "  export DB       a table or view as CSV or JSON\n"
    "  merge OUT IN... merge results databases\n"
    "  help [COMMAND]  show help for a command\n"
    "\n"
    "options:\n"
    "  -h, --help      show this help\n"
    "  --version       print the version\n"
    "\n"
    "exit status: 0 success, 1 runtime failure, 2 bad input, 130 interrupted\n";

static const char usage_run[] =
    "usage: chainsim run SCENARIO [--seed N] [--set group.key=value ...] [--out FILE] [--quiet]\n"
    "\n"
    "Runs SCENARIO and records it in a results database (SQLite). The same\n"
    "scenario, overrides, seed and build always give the same results and digest.\n"
    "\n"
    "  --seed N               run seed (same as --set scenario.seed=N)\n"
    "  --set group.key=value  override a scenario value; repeatable\n"
    "  --out FILE             results database (default results/<scenario name>.db);\n"
    "                         an existing database gets one more run\n"
    "  --quiet                no progress line and no summary; only the digest line\n"
    "\n"
    "A progress line is drawn on stderr when it is a terminal. Ctrl-C stops the run\n"
    "at the next event, marks it interrupted in the database and exits with 130.\n"
    "The last line printed is 'digest: <hex>'.\n";

static const char usage_check[] =
    "usage: chainsim check SCENARIO [--seed N] [--set group.key=value ...]\n"
    "\n"
    "Validates SCENARIO (and the overrides) without running it. Prints 'ok' and\n"
    "exits with 0, or prints every problem with its file, line, group, key and\n"
    "value and exits with 2.\n";

static const char usage_keys[] =
    "usage: chainsim keys\n"
    "\n"
    "Lists every group and key a scenario file may contain, with defaults.\n";

typedef struct cli {
    const char *scenario;
    GPtrArray *sets; /* char *, owned */
    const char *out;
    bool quiet;
} cli_t;

static int bad_usage(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "chainsim %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'chainsim %s --help'.\n", cmd);
    return EXIT_BADINPUT;
}

/* Parses the arguments of run/check. Returns -1 to go on, else an exit code. */
static int parse_args(const char *cmd, const char *usage, int argc, char **argv, cli_t *c, bool allow_run_opts)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
        if (strcmp(a, "--quiet") == 0 && allow_run_opts) {
            c->quiet = true;
            continue;
        }
        const char *opts[] = { "--seed", "--set", "--out" };
        int which = -1;
        for (int o = 0; o < 3; o++) {
            size_t n = strlen(opts[o]);
            if (strncmp(a, opts[o], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
                which = o;
                if (a[n] == '=')
                    val = a + n + 1;
                else if (i + 1 < argc)
                    val = argv[++i];
                else
                    return bad_usage(cmd, "option %s needs a value", opts[o]);
            }
        }
        if (which == 2 && !allow_run_opts)
            which = -1, val = NULL;
        switch (which) {
        case 0: {
            uint64_t seed;
            if (!units_parse_uint(val, &seed) || seed > INT64_MAX)
                return bad_usage(cmd, "--seed %s: expected a whole number from 0 to 9223372036854775807", val);
            g_ptr_array_add(c->sets, g_strdup_printf("scenario.seed=%s", val));
            break;
        }
        case 1:
            g_ptr_array_add(c->sets, g_strdup(val));
            break;
        case 2:
            if (!*val)
                return bad_usage(cmd, "--out needs a file name%s", "");
            c->out = val;
            break;
        default:
            if (a[0] == '-' && a[1] != '\0')
                return bad_usage(cmd, "unknown option %s", a);
            if (c->scenario)
                return bad_usage(cmd, "only one scenario file, got a second: %s", a);
            c->scenario = a;
        }
    }
    if (!c->scenario)
        return bad_usage(cmd, "missing the scenario file%s", "");
    return -1;
}

static scenario_t *load(cli_t *c)
{
    char *errors = NULL;
    scenario_t *sc = scenario_load(c->scenario, (char *const *)c->sets->pdata, (int)c->sets->len, &errors);
    if (!sc) {
        fputs(errors, stderr);
        fprintf(stderr, "chainsim: %s: not valid; nothing was run\n", c->scenario);
        g_free(errors);
    }
    return sc;
}

/* Quotes a word for the shell only when it needs it. */
static char *shell_word(const char *w)
{
    if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-@%") == strlen(w))
        return g_strdup(w);
    return g_shell_quote(w);
}

static char *command_line(const cli_t *c, const scenario_t *sc, const char *out)
{
    GString *s = g_string_new("chainsim run ");
    char *q = shell_word(c->scenario);
    g_string_append(s, q);
    g_free(q);
    g_string_append_printf(s, " --seed %" G_GUINT64_FORMAT, sc->seed);
    for (guint i = 0; i < c->sets->len; i++) {
        const char *set = g_ptr_array_index(c->sets, i);
        if (g_str_has_prefix(set, "scenario.seed="))
            continue;
        q = shell_word(set);
        g_string_append_printf(s, " --set %s", q);
        g_free(q);
    }
    q = shell_word(out);
    g_string_append_printf(s, " --out %s", q);
    g_free(q);
    return g_string_free(s, FALSE);
}

static int cmd_run(int argc, char **argv)
{
    /* From here on a signal stops the run cleanly instead of killing it. */
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    cli_t c = { .sets = g_ptr_array_new_with_free_func(g_free) };
    int rc = parse_args("run", usage_run, argc, argv, &c, true);
    scenario_t *sc = NULL;
    record_t *rec = NULL;
    sim_t *sim = NULL;
    char *out = NULL, *cmdline = NULL, *err = NULL;
    if (rc >= 0)
        goto done;
    rc = EXIT_BADINPUT;
    if (!(sc = load(&c)))
        goto done;
    out = c.out ? g_strdup(c.out) : g_strdup_printf("results/%s.db", sc->name);
    rc = EXIT_RUNTIME;
    bool refused = false;
    if (!(rec = record_open_checked(out, &err, &refused))) {
        fprintf(stderr, "chainsim: %s\n", err);
        if (refused)
            rc = EXIT_BADINPUT;
        goto done;
    }
    cmdline = command_line(&c, sc, out);
    if (!record_begin(rec, sc, cmdline)) {
        fprintf(stderr, "chainsim: %s\n", record_error(rec));
        goto done;
    }

    gint64 t0_us = g_get_monotonic_time();
    sim = sim_new(sc, rec);
    sim_opts_t opts = { .stop = &stop_requested,
                        .progress = (!c.quiet && isatty(STDERR_FILENO)) ? stderr : NULL };
    sim_status_t st = sim_run(sim, &opts);
    double wall_s = (double)(g_get_monotonic_time() - t0_us) / 1e6;
    if (!c.quiet) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        sim_print_summary(sim, stdout);
        printf("wall %.3f s, %.2f M events/s, peak memory %.1f MB\n", wall_s,
               wall_s > 0 ? (double)sim_events(sim) / wall_s / 1e6 : 0.0, (double)ru.ru_maxrss / 1024.0);
        printf("results: %s (run %" G_GINT64_FORMAT ")\n", out, record_run_id(rec));
    }
    printf("digest: %s\n", sim_digest(sim));
    fflush(stdout);
    switch (st) {
    case SIM_COMPLETE:
        rc = EXIT_OK;
        break;
    case SIM_INTERRUPTED:
        fprintf(stderr, "chainsim: interrupted; the run is marked interrupted in %s\n", out);
        rc = EXIT_INTERRUPTED;
        break;
    case SIM_FAILED: {
        const char *row = record_final_status(rec);
        fprintf(stderr, "chainsim: run failed: %s\n", sim_error(sim));
        if (row && strcmp(row, "running") == 0)
            fprintf(stderr, "chainsim: run %" G_GINT64_FORMAT " could not be marked failed in %s; its row still "
                    "says running\n", record_run_id(rec), out);
        else
            fprintf(stderr, "chainsim: run %" G_GINT64_FORMAT " is marked failed in %s\n", record_run_id(rec), out);
        fprintf(stderr, "reproduce with: %s\n", cmdline);
        rc = EXIT_RUNTIME;
        break;
    }
    }
done:
    sim_free(sim);
    record_close(rec);
    scenario_free(sc);
    g_free(out);
    g_free(cmdline);
    g_free(err);
    g_ptr_array_free(c.sets, TRUE);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    cli_t c = { .sets = g_ptr_array_new_with_free_func(g_free) };
    int rc = parse_args("check", usage_check, argc, argv, &c, false);
    if (rc < 0) {
        scenario_t *sc = load(&c);
        if (sc) {
            printf("%s: ok (%u nodes, %u timed events)\n", c.scenario, sc->net.nodes, sc->nfaults);
            rc = EXIT_OK;
        } else {
            rc = EXIT_BADINPUT;
        }
        scenario_free(sc);
    }
    g_ptr_array_free(c.sets, TRUE);
    return rc;
}

static int cmd_keys(int argc, char **argv)
{
    if (argc > 0 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
        fputs(usage_keys, stdout);
        return EXIT_OK;
    }
    if (argc > 0)
        return bad_usage("keys", "unexpected argument %s", argv[0]);
    scenario_print_keys(stdout);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_BADINPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_main, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("chainsim %s\n", CHAINSIM_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0)
        return report_main(argc - 2, argv + 2);
    if (strcmp(cmd, "plot") == 0)
        return plot_main(argc - 2, argv + 2);
    if (strcmp(cmd, "compare") == 0)
        return compare_main(argc - 2, argv + 2);
    if (strcmp(cmd, "export") == 0)
        return export_main(argc - 2, argv + 2);
    if (strcmp(cmd, "merge") == 0)
        return merge_main(argc - 2, argv + 2);
    if (strcmp(cmd, "sweep") == 0)
        return sweep_main(argc - 2, argv + 2, argv[0]);
    if (strcmp(cmd, "help") == 0) {
        const char *what = argc > 2 ? argv[2] : "";
        char *h[] = { "--help", NULL };
        if (strcmp(what, "report") == 0)
            return report_main(1, h);
        if (strcmp(what, "plot") == 0)
            return plot_main(1, h);
        if (strcmp(what, "compare") == 0)
            return compare_main(1, h);
        if (strcmp(what, "export") == 0)
            return export_main(1, h);
        if (strcmp(what, "merge") == 0)
            return merge_main(1, h);
        if (strcmp(what, "sweep") == 0)
            return sweep_main(1, h, argv[0]);
        fputs(strcmp(what, "run") == 0     ? usage_run
              : strcmp(what, "check") == 0 ? usage_check
              : strcmp(what, "keys") == 0  ? usage_keys
                                           : usage_main,
              stdout);
        return EXIT_OK;
    }
    fprintf(stderr, "chainsim: unknown command '%s'\n\n%s", cmd, usage_main);
    return EXIT_BADINPUT;
}
