/*
 * main.c - the chainsim command line: one table of commands.
 *
 * Every command is a row of commands[] (name, operands, one-line summary,
 * entry function); the row is all it takes to dispatch it, list it in the
 * top-level usage and give its help with `chainsim help NAME`. Each entry
 * function parses its own options with cli_parse() (analysis/cli.h), so
 * every command has the same --help layout and the same usage errors.
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

#include "analysis/cli.h"
#include "analysis/compare.h"
#include "analysis/export.h"
#include "analysis/forks.h"
#include "analysis/merge.h"
#include "analysis/plot.h"
#include "analysis/report.h"
#include "analysis/sweep.h"
#include "analysis/tree.h"
#include "sim/record/record.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/units.h"
#include "sim/guard.h"
#include "sim/sim.h"

enum { EXIT_OK = CLI_OK, EXIT_RUNTIME = CLI_RUNTIME, EXIT_BADINPUT = CLI_BADINPUT, EXIT_INTERRUPTED = CLI_INTERRUPTED };

static volatile sig_atomic_t stop_requested;

/* argv[0] of the process: the binary sweep starts for its runs. */
static const char *program = "chainsim";

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const cli_operand_t scenario_operand[] = {
    { "SCENARIO", "the scenario file", CLI_ONE },
    { NULL, NULL, CLI_ONE },
};

static const cli_command_t run_cli = {
    .name = "run",
    .usage = "SCENARIO [--seed N] [--set group.key=value ...] [--out FILE] [--quiet]",
    .about = "Runs SCENARIO and records it in a results database (SQLite). The same\n"
             "scenario, overrides, seed and build always give the same results and digest.\n",
    .operands = scenario_operand,
    .notes = "A progress line is drawn on stderr when it is a terminal. Ctrl-C stops the run\n"
             "at the next event, marks it interrupted in the database and exits with 130.\n"
             "The last line printed is 'digest: <hex>'.\n",
    .exits = "0 success, 1 runtime failure (the database cannot be written, the run\n"
             "failed), 2 bad input (scenario, option or value: nothing was run), 130 interrupted\n",
};

static const cli_command_t check_cli = {
    .name = "check",
    .usage = "SCENARIO [--seed N] [--set group.key=value ...]",
    .about = "Validates SCENARIO (and the overrides) without running it. Prints 'ok' and\n"
             "exits with 0, or prints every problem with its file, line, group, key and\n"
             "value and exits with 2.\n",
    .operands = scenario_operand,
    .exits = "0 the scenario is valid, 2 it is not (or bad usage)\n",
};

static const cli_command_t keys_cli = {
    .name = "keys",
    .usage = "",
    .about = "Lists every group and key a scenario file may contain, with defaults.\n",
    .exits = "0 success, 2 bad usage\n",
};

/* The options of run and check. */
typedef struct cli {
    const char *scenario;
    GPtrArray *sets; /* char *, owned: --seed and --set in their order */
    const char *out;
    bool quiet;
} cli_t;

/* --seed N: the same as --set scenario.seed=N, in the order given. */
static bool check_seed(void *sets, const char *value, char **why)
{
    uint64_t seed;
    if (!units_parse_uint(value, &seed) || seed > INT64_MAX) {
        *why = g_strdup("expected a whole number from 0 to 9223372036854775807");
        return false;
    }
    g_ptr_array_add(sets, g_strdup_printf("scenario.seed=%s", value));
    return true;
}

/* Parses the arguments of run (with_run_options) or check into *c. Returns
 * CLI_GO_ON or an exit status. */
static int parse_args(const cli_command_t *cmd, int argc, char **argv, cli_t *c, bool with_run_options)
{
    const cli_option_t seed = { "seed", 0, CLI_CUSTOM, c->sets, "N", "run seed (same as --set scenario.seed=N)",
                                NULL, check_seed };
    const cli_option_t set = { "set", 0, CLI_TEXTS, c->sets, "group.key=value",
                               "override a scenario value; repeatable, the last one wins", NULL, NULL };
    const cli_option_t end = { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL };
    const cli_option_t run_opts[] = {
        seed,
        set,
        { "out", 0, CLI_TEXT, &c->out, "FILE",
          "results database (default results/<scenario name>.db);\n"
          "an existing database gets one more run", NULL, NULL },
        { "quiet", 0, CLI_FLAG, &c->quiet, NULL, "no progress line and no summary; only the digest line", NULL,
          NULL },
        end,
    };
    const cli_option_t check_opts[] = { seed, set, end };
    const cli_option_t *opts = with_run_options ? run_opts : check_opts;
    char **operands = NULL;
    int rc = cli_parse(cmd, opts, argc, argv, &operands);
    if (rc == CLI_GO_ON) {
        c->scenario = operands[0];
        g_free(operands);
    }
    return rc;
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

static char *command_line(const cli_t *c, const scenario_t *sc, const char *out)
{
    GString *s = g_string_new("chainsim run ");
    char *q = cli_quote(c->scenario);
    g_string_append(s, q);
    g_free(q);
    g_string_append_printf(s, " --seed %" G_GUINT64_FORMAT, sc->seed);
    for (guint i = 0; i < c->sets->len; i++) {
        const char *set = g_ptr_array_index(c->sets, i);
        if (g_str_has_prefix(set, "scenario.seed="))
            continue;
        q = cli_quote(set);
        g_string_append_printf(s, " --set %s", q);
        g_free(q);
    }
    q = cli_quote(out);
    g_string_append_printf(s, " --out %s", q);
    g_free(q);
    return g_string_free(s, FALSE);
}

/* What the simulation process needs, prepared by the command before it
 * forks. */
typedef struct run_job {
    const cli_t *c;
    const scenario_t *sc;
    const char *out;
    const char *cmdline;
} run_job_t;

/* The simulation process: records and runs the scenario; returns the exit
 * status. */
static int run_body(void *ctx)
{
    const run_job_t *j = ctx;
    char *err = NULL;
    record_t *rec = NULL;
    sim_t *sim = NULL;
    int rc = EXIT_RUNTIME;
    bool refused = false;
    if (!(rec = record_open_checked(j->out, &err, &refused))) {
        fprintf(stderr, "chainsim: %s\n", err);
        if (refused)
            rc = EXIT_BADINPUT;
        goto done;
    }
    if (!record_begin(rec, j->sc, j->cmdline)) {
        fprintf(stderr, "chainsim: %s\n", record_error(rec));
        goto done;
    }

    gint64 t0_us = g_get_monotonic_time();
    sim = sim_new(j->sc, rec);
    sim_opts_t opts = { .stop = &stop_requested,
                        .progress = (!j->c->quiet && isatty(STDERR_FILENO)) ? stderr : NULL };
    sim_status_t st = sim_run(sim, &opts);
    double wall_s = (double)(g_get_monotonic_time() - t0_us) / 1e6;
    if (!j->c->quiet) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        sim_print_summary(sim, stdout);
        printf("wall %.3f s, %.2f M events/s, peak memory %.1f MB\n", wall_s,
               wall_s > 0 ? (double)sim_events(sim) / wall_s / 1e6 : 0.0, (double)ru.ru_maxrss / 1024.0);
        printf("results: %s (run %" G_GINT64_FORMAT ")\n", j->out, record_run_id(rec));
    }
    printf("digest: %s\n", sim_digest(sim));
    fflush(stdout);
    switch (st) {
    case SIM_COMPLETE:
        rc = EXIT_OK;
        break;
    case SIM_INTERRUPTED:
        fprintf(stderr, "chainsim: interrupted; the run is marked interrupted in %s\n", j->out);
        rc = EXIT_INTERRUPTED;
        break;
    case SIM_FAILED: {
        const char *row = record_final_status(rec);
        fprintf(stderr, "chainsim: run failed: %s\n", sim_error(sim));
        if (row && strcmp(row, "running") == 0)
            fprintf(stderr, "chainsim: run %" G_GINT64_FORMAT " could not be marked failed in %s; its row still "
                    "says running\n", record_run_id(rec), j->out);
        else
            fprintf(stderr, "chainsim: run %" G_GINT64_FORMAT " is marked failed in %s\n", record_run_id(rec),
                    j->out);
        fprintf(stderr, "reproduce with: %s\n", j->cmdline);
        rc = EXIT_RUNTIME;
        break;
    }
    }
done:
    sim_free(sim);
    record_close(rec);
    g_free(err);
    return rc;
}

/* The simulation process died (out of memory, a crash): mark its run
 * failed so that nothing reads it as running or complete. */
static void run_killed(void *ctx, pid_t child, const char *cause)
{
    const run_job_t *j = ctx;
    char *err = NULL;
    fprintf(stderr, "chainsim: run failed: %s\n", cause);
    int n = record_mark_abandoned(j->out, child, cause, &err);
    if (n < 0)
        fprintf(stderr, "chainsim: the run could not be marked failed: %s\n", err);
    else if (n > 0)
        fprintf(stderr, "chainsim: the run is marked failed in %s\n", j->out);
    fprintf(stderr, "reproduce with: %s\n", j->cmdline);
    g_free(err);
}

static int cmd_run(int argc, char **argv)
{
    /* From here on a signal stops the run cleanly instead of killing it. */
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    cli_t c = { .sets = g_ptr_array_new_with_free_func(g_free) };
    int rc = parse_args(&run_cli, argc, argv, &c, true);
    scenario_t *sc = NULL;
    char *out = NULL, *cmdline = NULL;
    if (rc != CLI_GO_ON)
        goto done;
    rc = EXIT_BADINPUT;
    if (!(sc = load(&c)))
        goto done;
    out = c.out ? g_strdup(c.out) : g_strdup_printf("results/%s.db", sc->name);
    cmdline = command_line(&c, sc, out);
    /* The simulation runs in a child process, so that even a run killed by
     * the out-of-memory killer or a failed allocation is marked failed. */
    run_job_t job = { .c = &c, .sc = sc, .out = out, .cmdline = cmdline };
    rc = guard_run(run_body, run_killed, &job);
done:
    scenario_free(sc);
    g_free(out);
    g_free(cmdline);
    g_ptr_array_free(c.sets, TRUE);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    cli_t c = { .sets = g_ptr_array_new_with_free_func(g_free) };
    int rc = parse_args(&check_cli, argc, argv, &c, false);
    if (rc == CLI_GO_ON) {
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
    const cli_option_t opts[] = { { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL } };
    char **operands = NULL;
    int rc = cli_parse(&keys_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    g_free(operands);
    scenario_print_keys(stdout);
    return EXIT_OK;
}

static int cmd_sweep(int argc, char **argv)
{
    return sweep_main(argc, argv, program);
}

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

/* One row per command, in the order of the top-level usage. */
static const struct command {
    const char *name;
    const char *operands; /* as in the list of commands */
    const char *summary;
    int (*main)(int argc, char **argv); /* argv[0]: the first argument after the name */
} commands[] = {
    { "run", "SCENARIO", "run a scenario file and record the results", cmd_run },
    { "check", "SCENARIO", "validate a scenario file without running it", cmd_check },
    { "keys", "", "list every scenario group and key with its default", cmd_keys },
    { "report", "DB", "print the headline metrics of a run (--json for a JSON object)", report_main },
    { "plot", "DB", "draw a run's charts with gnuplot (data and scripts kept beside them)", plot_main },
    { "compare", "DB...", "headline metrics of several runs side by side, overlaid charts", compare_main },
    { "sweep", "SCENARIO", "run a grid of parameter values x seeds as parallel processes", cmd_sweep },
    { "export", "DB", "a table or view as CSV or JSON", export_main },
    { "merge", "OUT IN...", "merge results databases", merge_main },
    { "forks", "DB", "the forks of a run: branches, resolution, reorgs, transactions", forks_main },
    { "tree", "DB", "draw a run's block tree with Graphviz (the .dot kept beside it)", tree_main },
    { "help", "[COMMAND]", "show the help of a command (the same as COMMAND --help)", cmd_help },
    { "version", "", "print the version (the same as --version)", cmd_version },
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* The top-level usage, made from commands[]. */
static void print_usage(FILE *out)
{
    fputs("chainsim - deterministic discrete-event simulator of blockchain networks\n"
          "\n"
          "usage: chainsim COMMAND [ARGS]\n"
          "\n"
          "commands:\n",
          out);
    int width = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        width = MAX(width, (int)(strlen(commands[i].name) + 1 + strlen(commands[i].operands)));
    width += 2;
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        char *both = g_strdup_printf("%s %s", commands[i].name, commands[i].operands);
        fprintf(out, "  %-*s%s\n", width, both, commands[i].summary);
        g_free(both);
    }
    fprintf(out,
            "\n"
            "options:\n"
            "  %-*s%s\n"
            "  %-*s%s\n"
            "\n"
            "Every command takes -h or --help; `chainsim help COMMAND` prints the same.\n"
            "\n"
            "exit status: 0 success, 1 runtime failure, 2 bad input, 130 interrupted\n",
            width, "-h, --help", "show this help", width, "--version", "print the version");
}

static const cli_command_t help_cli = {
    .name = "help",
    .usage = "[COMMAND]",
    .about = "Prints the help of COMMAND (the same text as `chainsim COMMAND --help`), or\n"
             "without COMMAND the list of commands.\n",
    .operands = (const cli_operand_t[]){ { "COMMAND", "the command", CLI_OPTIONAL }, { NULL, NULL, CLI_ONE } },
    .exits = "0 success, 2 unknown command or bad usage\n",
};

static int cmd_help(int argc, char **argv)
{
    const cli_option_t opts[] = { { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL } };
    char **operands = NULL;
    int rc = cli_parse(&help_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    const char *name = operands[0];
    g_free(operands);
    if (!name) {
        print_usage(stdout);
        return EXIT_OK;
    }
    const struct command *c = find_command(name);
    if (!c) {
        GString *names = g_string_new(NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
            g_string_append_printf(names, "%s%s", i ? ", " : "", commands[i].name);
        rc = cli_usage_error("help", "unknown command '%s'; the commands are %s", name, names->str);
        g_string_free(names, TRUE);
        return rc;
    }
    char *h[] = { "--help", NULL };
    return c->main(1, h);
}

static const cli_command_t version_cli = {
    .name = "version",
    .usage = "",
    .about = "Prints the version of chainsim.\n",
    .exits = "0 success, 2 bad usage\n",
};

static int cmd_version(int argc, char **argv)
{
    const cli_option_t opts[] = { { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL } };
    char **operands = NULL;
    int rc = cli_parse(&version_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    g_free(operands);
    printf("chainsim %s\n", CHAINSIM_VERSION);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    program = argv[0];
    g_set_prgname("chainsim");
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_BADINPUT;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        print_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0)
        return cmd_version(argc - 2, argv + 2);
    const struct command *c = find_command(name);
    if (!c) {
        fprintf(stderr, "chainsim: %s '%s'\nTry 'chainsim --help'.\n",
                name[0] == '-' ? "unknown option" : "unknown command", name);
        return EXIT_BADINPUT;
    }
    return c->main(argc - 2, argv + 2);
}
