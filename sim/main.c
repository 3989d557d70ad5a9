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
#include "analysis/runinfo.h"
#include "analysis/stored.h"
#include "analysis/sweep.h"
#include "sim/cmd/simblock.h"
#include "sim/cmd/stop.h"
#include "sim/cmd/trace.h"
#include "analysis/tree.h"
#include "sim/record/record.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/units.h"
#include "sim/cmd/evmrun.h"
#include "sim/cmd/guard.h"
#include "sim/cmd/inspect.h"
#include "sim/sim.h"

enum { EXIT_OK = CLI_OK, EXIT_RUNTIME = CLI_RUNTIME, EXIT_BADINPUT = CLI_BADINPUT, EXIT_INTERRUPTED = CLI_INTERRUPTED };

/* argv[0] of the process: the binary sweep starts for its runs. */
static const char *program = "chainsim";

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
    sim_opts_t opts = { .stop = stop_catch(),
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
    (void)stop_catch();

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

/* ---------- replay and state: a stored run run again ---------- */

static const cli_operand_t db_operand[] = {
    { "DB", "the results database file", CLI_ONE },
    { NULL, NULL, CLI_ONE },
};

static const cli_command_t replay_cli = {
    .name = "replay",
    .usage = "DB [--run ID] [--until TIME]",
    .about = "Runs a recorded run again from the scenario text, overrides and seed stored\n"
             "in the results database DB, and checks that the run digest is the recorded\n"
             "one. Prints 'reproduced: <digest>' when it is; otherwise both digests.\n",
    .operands = db_operand,
    .notes = "Nothing is recorded: the database is only read. When the run was recorded by\n"
             "another version of chainsim, or its parameters resolve differently now, a note\n"
             "says so before the run starts. With --until the run stops after the last event\n"
             "at or before TIME and prints its summary there; there is no digest to compare.\n",
    .exits = "0 reproduced (or stopped at --until), 1 the digest differs or the run failed,\n"
             "2 bad usage, no such file or run, a run that did not complete, a time past\n"
             "its end, 130 interrupted\n",
};

static int cmd_replay(int argc, char **argv)
{
    uint64_t until_ns = UINT64_MAX;
    int64_t run_id = 0;
    const cli_option_t opts[] = {
        { "run", 0, CLI_RUN_ID, &run_id, "ID", "the run (default: the latest, the largest run_id)", NULL, NULL },
        { "until", 0, CLI_CUSTOM, &until_ns, "TIME", "stop at this simulated time (e.g. 90s); no digest check", NULL,
          stored_check_time },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&replay_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        return rc;
    const char *path = operands[0];
    g_free(operands);
    runinfo_t ri;
    scenario_t *sc = NULL;
    sim_t *sim = NULL;
    if ((rc = stored_load("replay", path, &run_id, &ri, &sc)) != CLI_GO_ON)
        goto done;
    rc = EXIT_BADINPUT;
    const bool until = until_ns != UINT64_MAX;
    if (!until && (g_strcmp0(ri.status, "complete") != 0 || !ri.digest)) {
        fprintf(stderr, "chainsim replay: %s: run %" G_GINT64_FORMAT " did not complete (status %s): there is no "
                "digest of a whole run to reproduce; --until TIME replays part of it\n", path, run_id,
                ri.status ? ri.status : "unknown");
        goto done;
    }
    if (until && (!ri.has_end || until_ns > ri.sim_end_ns)) {
        char t[32], e[32];
        units_human_ns(until_ns, t, sizeof t);
        if (ri.has_end)
            fprintf(stderr, "chainsim replay: --until %s: past the end of run %" G_GINT64_FORMAT " (%s)\n", t, run_id,
                    units_human_ns(ri.sim_end_ns, e, sizeof e));
        else
            fprintf(stderr, "chainsim replay: %s: run %" G_GINT64_FORMAT " has no end time (status %s)\n", path,
                    run_id, ri.status ? ri.status : "unknown");
        goto done;
    }
    volatile sig_atomic_t *stop = stop_catch();
    printf("replaying run %" G_GINT64_FORMAT " of %s (seed %" G_GUINT64_FORMAT ")%s\n", run_id, sc->name, sc->seed,
           until ? " up to --until" : "");
    fflush(stdout);
    sim = sim_new(sc, NULL);
    sim_opts_t o = { .stop = stop, .progress = isatty(STDERR_FILENO) ? stderr : NULL };
    sim_status_t st = until ? inspect_run_until(sim, until_ns, &o) : sim_run(sim, &o);
    if (st == SIM_INTERRUPTED) {
        fprintf(stderr, "chainsim replay: interrupted\n");
        rc = EXIT_INTERRUPTED;
    } else if (st == SIM_FAILED) {
        fprintf(stderr, "chainsim replay: the run failed: %s\n", sim_error(sim));
        rc = EXIT_RUNTIME;
    } else if (until) {
        char t[32];
        sim_print_summary(sim, stdout);
        printf("stopped at %s (--until): no digest to compare\n", units_human_ns(until_ns, t, sizeof t));
        rc = EXIT_OK;
    } else if (strcmp(sim_digest(sim), ri.digest) == 0) {
        printf("reproduced: %s\n", sim_digest(sim));
        rc = EXIT_OK;
    } else {
        printf("digest differs:\n  recorded %s\n  replayed %s\n", ri.digest, sim_digest(sim));
        fprintf(stderr, "chainsim replay: run %" G_GINT64_FORMAT " was not reproduced\n", run_id);
        rc = EXIT_RUNTIME;
    }
    fflush(stdout);
done:
    sim_free(sim);
    scenario_free(sc);
    runinfo_clear(&ri);
    return rc;
}

static const cli_command_t state_cli = {
    .name = "state",
    .usage = "DB [--run ID] --at TIME --node N [--account ADDR ...] [--json]",
    .about = "Prints what node N saw at simulated time TIME in a recorded run: its tip\n"
             "(block, hash, height, producer), its latest final (finalized, irreversible)\n"
             "block, its mempool, and the balances and nonces of the accounts named, or a\n"
             "summary of all accounts (how many, the total balance, the largest). The run is\n"
             "replayed to TIME from the scenario stored in DB; nothing is recorded.\n",
    .operands = db_operand,
    .notes = "ADDR is an address (cs + 48 hex digits) or a workload account number. The\n"
             "state is the one after every event at or before TIME. Block numbers are the\n"
             "block_index of the database's blocks table.\n",
    .exits = "0 success, 1 the replay failed, 2 bad usage, no such file or run, a run\n"
             "without a blockchain, a time past its end, a node or account that does not\n"
             "exist, 130 interrupted\n",
};

static void print_block_text(const char *what, const inspect_block_t *b)
{
    char t[32];
    if (b->producer < 0)
        printf("%-10s genesis, block 0, %s\n", what, b->id_hex);
    else
        printf("%-10s block %u, height %" G_GUINT64_FORMAT ", by node %" G_GINT64_FORMAT ", made at %s\n"
               "%-10s %s\n", what, b->index, b->height, b->producer, units_human_ns(b->created_ns, t, sizeof t), "",
               b->id_hex);
}

static void print_block_json(const char *key, const inspect_block_t *b)
{
    printf("  \"%s\": {\"block_index\": %u, \"block_id\": \"%s\", \"height\": %" G_GUINT64_FORMAT ", \"producer\": ",
           key, b->index, b->id_hex, b->height);
    if (b->producer < 0)
        printf("null");
    else
        printf("%" G_GINT64_FORMAT, b->producer);
    printf(", \"created_ns\": %" G_GUINT64_FORMAT "},\n", b->created_ns);
}

/* Prints accounts (n addresses) as text or JSON entries. */
static void print_accounts(const sim_t *sim, uint32_t node, const addr_t *addrs, const account_t *accts, uint32_t n,
                           bool json, const char *key)
{
    if (json)
        printf("  \"%s\": [", key);
    for (uint32_t i = 0; i < n; i++) {
        char text[ADDR_TEXT_LEN + 1], label[64];
        addr_to_text(&addrs[i], text);
        inspect_addr_label(sim, &addrs[i], label, sizeof label);
        if (json)
            printf("%s{\"address\": \"%s\", \"label\": \"%s\", \"balance\": %" G_GUINT64_FORMAT
                   ", \"nonce\": %" G_GUINT64_FORMAT "}", i ? ", " : "", text, label, accts[i].balance,
                   accts[i].nonce);
        else
            printf("  %s  %-16s balance %" G_GUINT64_FORMAT "  nonce %" G_GUINT64_FORMAT "\n", text,
                   *label ? label : "-", accts[i].balance, accts[i].nonce);
    }
    (void)node;
    if (json)
        printf("]");
}

static int cmd_state(int argc, char **argv)
{
    uint64_t at_ns = UINT64_MAX, node64 = UINT64_MAX;
    int64_t run_id = 0;
    bool json = false;
    GPtrArray *accounts = g_ptr_array_new_with_free_func(g_free);
    const cli_option_t opts[] = {
        { "run", 0, CLI_RUN_ID, &run_id, "ID", "the run (default: the latest, the largest run_id)", NULL, NULL },
        { "at", 0, CLI_CUSTOM, &at_ns, "TIME", "the simulated time (e.g. 90s); required", NULL, stored_check_time },
        { "node", 0, CLI_CUSTOM, &node64, "N", "the node; required", NULL, stored_check_node },
        { "account", 0, CLI_TEXTS, accounts, "ADDR",
          "an account: address (cs...) or workload account number; repeatable", NULL, NULL },
        { "json", 0, CLI_FLAG, &json, NULL, "one JSON object instead of text", NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    runinfo_t ri = { 0 };
    scenario_t *sc = NULL;
    sim_t *sim = NULL;
    addr_t *addrs = NULL;
    int rc = cli_parse(&state_cli, opts, argc, argv, &operands);
    if (rc != CLI_GO_ON)
        goto done;
    const char *path = operands[0];
    g_free(operands);
    if (at_ns == UINT64_MAX || node64 == UINT64_MAX) {
        rc = cli_usage_error("state", "missing %s", at_ns == UINT64_MAX ? "--at TIME" : "--node N");
        goto done;
    }
    if ((rc = stored_load("state", path, &run_id, &ri, &sc)) != CLI_GO_ON)
        goto done;
    rc = EXIT_BADINPUT;
    if (sc->consensus.kind == CONS_NONE) {
        fprintf(stderr, "chainsim state: %s: run %" G_GINT64_FORMAT " has no blockchain (consensus.kind = none): "
                "no node state to show\n", path, run_id);
        goto done;
    }
    if (node64 >= sc->net.nodes) {
        fprintf(stderr, "chainsim state: --node %" G_GUINT64_FORMAT ": run %" G_GINT64_FORMAT " has %u nodes, "
                "0 to %u\n", node64, run_id, sc->net.nodes, sc->net.nodes - 1);
        goto done;
    }
    char t[32], e[32];
    if (!ri.has_end || at_ns > ri.sim_end_ns) {
        if (ri.has_end)
            fprintf(stderr, "chainsim state: --at %s: past the end of run %" G_GINT64_FORMAT " (%s)\n",
                    units_human_ns(at_ns, t, sizeof t), run_id, units_human_ns(ri.sim_end_ns, e, sizeof e));
        else
            fprintf(stderr, "chainsim state: %s: run %" G_GINT64_FORMAT " has no end time (status %s)\n", path,
                    run_id, ri.status ? ri.status : "unknown");
        goto done;
    }
    const uint32_t node = (uint32_t)node64;
    sim = sim_new(sc, NULL);
    addrs = g_new0(addr_t, accounts->len + 1);
    for (guint i = 0; i < accounts->len; i++) {
        const char *a = g_ptr_array_index(accounts, i);
        guint64 num;
        if (addr_from_text(&addrs[i], a))
            continue;
        if (g_ascii_string_to_unsigned(a, 10, 0, G_MAXUINT32, &num, NULL) && num < inspect_accounts(sim)) {
            inspect_account_addr(sim, (uint32_t)num, &addrs[i]);
            continue;
        }
        char *q = cli_quote(a);
        fprintf(stderr, "chainsim state: --account %s: expected an address (cs followed by 48 hex digits, with its "
                "checksum) or an account number from 0 to %u\n", q, inspect_accounts(sim) - 1);
        g_free(q);
        goto done;
    }

    sim_opts_t o = { .stop = stop_catch() };
    sim_status_t st = inspect_run_until(sim, at_ns, &o);
    if (st != SIM_COMPLETE) {
        if (st == SIM_INTERRUPTED)
            fprintf(stderr, "chainsim state: interrupted\n");
        else
            fprintf(stderr, "chainsim state: the replay failed: %s\n", sim_error(sim));
        rc = st == SIM_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_RUNTIME;
        goto done;
    }
    inspect_view_t v;
    inspect_node(sim, node, &v);
    account_t *accts = g_new0(account_t, MAX(accounts->len, 5u));
    uint32_t nshow = accounts->len;
    if (accounts->len) {
        for (guint i = 0; i < accounts->len; i++)
            accts[i] = inspect_account(sim, node, &addrs[i]);
    } else {
        g_free(addrs);
        addrs = g_new0(addr_t, 5);
        nshow = inspect_largest(sim, node, 5, addrs, accts);
    }
    if (json) {
        printf("{\n  \"run_id\": %" G_GINT64_FORMAT ",\n  \"at_ns\": %" G_GUINT64_FORMAT ",\n  \"node\": %u,\n"
               "  \"up\": %s,\n", run_id, at_ns, node, v.up ? "true" : "false");
        print_block_json("tip", &v.tip);
        print_block_json("final", &v.final);
        printf("  \"mempool_txs\": %" G_GUINT64_FORMAT ",\n  \"accounts\": %" G_GUINT64_FORMAT ",\n"
               "  \"total_balance\": %" G_GUINT64_FORMAT ",\n", v.mempool_txs, v.accounts, v.total_balance);
        print_accounts(sim, node, addrs, accts, nshow, true, accounts->len ? "named" : "largest");
        printf("\n}\n");
    } else {
        printf("run %" G_GINT64_FORMAT " of %s, node %u at %s%s\n", run_id, sc->name, node,
               units_human_ns(at_ns, t, sizeof t), v.up ? "" : " (down)");
        print_block_text("tip", &v.tip);
        print_block_text("final", &v.final);
        printf("%-10s %" G_GUINT64_FORMAT " transactions\n", "mempool", v.mempool_txs);
        printf("%-10s %" G_GUINT64_FORMAT " accounts, total balance %" G_GUINT64_FORMAT "\n", "state", v.accounts,
               v.total_balance);
        printf("%s\n", accounts->len ? "accounts:" : "largest balances:");
        print_accounts(sim, node, addrs, accts, nshow, false, NULL);
    }
    g_free(accts);
    rc = EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chainsim state: cannot write to standard output\n");
        rc = EXIT_RUNTIME;
    }
done:
    g_free(addrs);
    sim_free(sim);
    scenario_free(sc);
    runinfo_clear(&ri);
    g_ptr_array_free(accounts, TRUE);
    return rc;
}


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
    { "replay", "DB", "run a recorded run again and check that its digest is reproduced", cmd_replay },
    { "state", "DB", "a node's view at a moment: tip, finality, mempool, balances", cmd_state },
    { "trace", "DB", "what one node saw and did, step by step, in a recorded run", trace_main },
    { "evm", "run ...", "execute EVM bytecode on an empty state, like geth's evm run", evmrun_main },
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
    export_on_simblock(simblock_export); /* the analysis layer does not run the simulator itself */
    return c->main(argc - 2, argv + 2);
}
