/*
 * check_cli.c - the command-line conventions shared by every command
 * (analysis/cli.c, sim/main.c).
 *
 * Through the binary (tu_chainsim()): every command prints its help in the
 * same layout on stdout with exit status 0, `chainsim help CMD` prints the
 * same text, and every command reports an unknown option, a missing value,
 * a bad value, a missing or an extra operand with the same two lines on
 * stderr and exit status 2. In-process: cli_parse() itself (values in
 * argv order, --name=value, -xVALUE, `--`).
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/cli.h"
#include "tests/testutil.h"

#define ck_assert_contains(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "missing <%s> in:\n%s", (needle), (hay))

static const char *const commands[] = { "run",    "check", "keys",  "report", "plot",   "compare",
                                        "export", "merge", "sweep", "forks",  "tree",   "replay",
                                        "state",  "help",  "version" };

/* Runs chainsim with up to 5 arguments; asserts exit 2, nothing on stdout
 * and exactly "chainsim CMD: MESSAGE\nTry 'chainsim CMD --help'.\n" on
 * stderr. */
static void expect_usage_error(const char *cmd, const char *message, const char *a1, const char *a2,
                               const char *a3, const char *a4)
{
    char *out = NULL, *err = NULL;
    int rc = tu_chainsim(&out, &err, cmd, a1, a2, a3, a4, NULL);
    char *want = g_strdup_printf("chainsim %s: %s\nTry 'chainsim %s --help'.\n", cmd, message, cmd);
    ck_assert_msg(rc == 2, "%s %s %s: exit %d\n%s", cmd, a1 ? a1 : "", a2 ? a2 : "", rc, err);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, want);
    g_free(want);
    g_free(out);
    g_free(err);
}

START_TEST(test_help_layout)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        const char *cmd = commands[i];
        char *out = NULL, *err = NULL, *again = NULL, *shrt = NULL;
        ck_assert_int_eq(tu_chainsim(&out, &err, cmd, "--help", NULL), 0);
        ck_assert_str_eq(err, "");
        char *usage = g_strdup_printf("usage: chainsim %s", cmd);
        ck_assert_msg(g_str_has_prefix(out, usage), "%s --help:\n%s", cmd, out);
        /* usage line(s), a blank line, the paragraph, the options, the exit statuses */
        const char *blank = strstr(out, "\n\n");
        ck_assert_ptr_nonnull(blank);
        ck_assert_msg(blank[2] != '\n' && blank[2] != ' ', "%s: no paragraph after the usage", cmd);
        const char *opts = strstr(out, "\n\noptions:\n  ");
        ck_assert_msg(opts != NULL && opts > blank, "%s --help: no options:\n%s", cmd, out);
        ck_assert_contains(opts, "\n  -h, --help  ");
        ck_assert_contains(opts, "show this help\n");
        ck_assert_contains(opts, "\n\nexit status: 0 ");
        ck_assert_msg(g_str_has_suffix(out, "\n") && !g_str_has_suffix(out, "\n\n"), "%s: trailing lines", cmd);
        /* -h and `chainsim help CMD` print the same */
        ck_assert_int_eq(tu_chainsim(&shrt, NULL, cmd, "-h", NULL), 0);
        ck_assert_str_eq(shrt, out);
        ck_assert_int_eq(tu_chainsim(&again, NULL, "help", cmd, NULL), 0);
        ck_assert_str_eq(again, out);
        g_free(usage);
        g_free(again);
        g_free(shrt);
        g_free(out);
        g_free(err);
    }
}
END_TEST

START_TEST(test_top_level)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "--help", NULL), 0);
    ck_assert_str_eq(err, "");
    /* Every command of the table is listed. */
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        char *row = g_strdup_printf("\n  %s ", commands[i]);
        ck_assert_contains(out, row);
        g_free(row);
    }
    char *help = NULL;
    ck_assert_int_eq(tu_chainsim(&help, NULL, "help", NULL), 0);
    ck_assert_str_eq(help, out);
    g_free(help);
    g_free(out);
    g_free(err);

    /* No command: the usage on stderr, exit 2. */
    ck_assert_int_eq(tu_chainsim(&out, &err, NULL), 2);
    ck_assert_str_eq(out, "");
    ck_assert_contains(err, "usage: chainsim COMMAND");
    g_free(out);
    g_free(err);

    ck_assert_int_eq(tu_chainsim(&out, &err, "frobnicate", NULL), 2);
    ck_assert_str_eq(err, "chainsim: unknown command 'frobnicate'\nTry 'chainsim --help'.\n");
    g_free(out);
    g_free(err);
    ck_assert_int_eq(tu_chainsim(&out, &err, "--frobnicate", NULL), 2);
    ck_assert_str_eq(err, "chainsim: unknown option '--frobnicate'\nTry 'chainsim --help'.\n");
    g_free(out);
    g_free(err);

    ck_assert_int_eq(tu_chainsim(&out, NULL, "--version", NULL), 0);
    ck_assert_str_eq(out, "chainsim " CHAINSIM_VERSION "\n");
    g_free(out);
    ck_assert_int_eq(tu_chainsim(&out, NULL, "version", NULL), 0);
    ck_assert_str_eq(out, "chainsim " CHAINSIM_VERSION "\n");
    g_free(out);
}
END_TEST

/* `help bogus` used to print the top-level usage and exit 0. */
START_TEST(test_help_unknown_command)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_chainsim(&out, &err, "help", "bogus", NULL), 2);
    ck_assert_str_eq(out, "");
    ck_assert_contains(err, "chainsim help: unknown command 'bogus'");
    ck_assert_contains(err, "Try 'chainsim help --help'.");
    g_free(out);
    g_free(err);
    expect_usage_error("help", "only one COMMAND, got a second: plot", "run", "plot", NULL, NULL);
}
END_TEST

START_TEST(test_unknown_option)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        expect_usage_error(commands[i], "unknown option --bogus", "--bogus", NULL, NULL, NULL);
        expect_usage_error(commands[i], "unknown option --bogus=1", "--bogus=1", NULL, NULL, NULL);
        expect_usage_error(commands[i], "unknown option -Z", "-Z", NULL, NULL, NULL);
    }
    /* Not a prefix of a known option either. */
    expect_usage_error("report", "unknown option --js", "x.db", "--js", NULL, NULL);
}
END_TEST

START_TEST(test_missing_value)
{
    expect_usage_error("run", "option --set needs a value", "x.ini", "--set", NULL, NULL);
    expect_usage_error("run", "option --out needs a value", "x.ini", "--out", NULL, NULL);
    expect_usage_error("check", "option --seed needs a value", "x.ini", "--seed", NULL, NULL);
    expect_usage_error("report", "option --run needs a value", "x.db", "--run", NULL, NULL);
    expect_usage_error("plot", "option --out needs a value", "x.db", "--out", NULL, NULL);
    expect_usage_error("plot", "option --x needs a value", "x.db", "--x", NULL, NULL);
    expect_usage_error("compare", "option --format needs a value", "x.db", "--format", NULL, NULL);
    expect_usage_error("export", "option --table needs a value", "x.db", "--table", NULL, NULL);
    expect_usage_error("sweep", "option --seeds needs a value", "x.ini", "--seeds", NULL, NULL);
    expect_usage_error("sweep", "option -j needs a value", "x.ini", "-j", NULL, NULL);
    expect_usage_error("sweep", "option --jobs needs a value", "x.ini", "--jobs", NULL, NULL);
}
END_TEST

START_TEST(test_bad_value)
{
    /* --run: a run id everywhere it applies. */
    static const char *const with_run[] = { "report", "plot", "export" };
    for (size_t i = 0; i < G_N_ELEMENTS(with_run); i++) {
        expect_usage_error(with_run[i], "--run abc: expected a run id, a whole number from 1", "x.db", "--run",
                           "abc", NULL);
        expect_usage_error(with_run[i], "--run 0: expected a run id, a whole number from 1", "x.db", "--run=0",
                           NULL, NULL);
        expect_usage_error(with_run[i], "--run -3: expected a run id, a whole number from 1", "x.db", "--run",
                           "-3", NULL);
    }
    /* --format: the allowed values are named. */
    expect_usage_error("plot", "--format gif: expected png, svg or pdf", "x.db", "--format", "gif", NULL);
    expect_usage_error("compare",
                       "--format gif: expected table, csv, json or latex (the printed table), or png, svg or pdf"
                       " (the images)",
                       "x.db", "--format=gif", NULL, NULL);
    expect_usage_error("export", "--format xml: expected csv, json or simblock", "x.db", "--table", "runs", "--format=xml");
    /* --out: not empty. */
    expect_usage_error("export", "--out '': expected FILE, not an empty value", "x.db", "--out", "", NULL);
    expect_usage_error("plot", "--out '': expected DIR, not an empty value", "x.db", "--out=", NULL, NULL);
    expect_usage_error("run", "--out '': expected FILE, not an empty value", "x.ini", "--out", "", NULL);
    /* A flag takes no value. */
    expect_usage_error("report", "option --json takes no value, got --json=yes", "x.db", "--json=yes", NULL, NULL);
    expect_usage_error("run", "option --quiet takes no value, got --quiet=1", "x.ini", "--quiet=1", NULL, NULL);
    /* Values of the commands' own options. */
    expect_usage_error("run", "--seed x1: expected a whole number from 0 to 9223372036854775807", "x.ini",
                       "--seed", "x1", NULL);
    expect_usage_error("sweep", "-j 0: expected a number of parallel runs from 1 to 1024", "x.ini", "-j0", NULL,
                       NULL);
    expect_usage_error("export", "--view v: one table or view only, and --table t was given already", "x.db",
                       "--table=t", "--view=v", NULL);
}
END_TEST

START_TEST(test_operands)
{
    expect_usage_error("run", "missing the scenario file (SCENARIO)", "--quiet", NULL, NULL, NULL);
    expect_usage_error("check", "missing the scenario file (SCENARIO)", NULL, NULL, NULL, NULL);
    expect_usage_error("sweep", "missing the scenario file (SCENARIO)", "--seeds", "1", NULL, NULL);
    expect_usage_error("report", "missing the results database file (DB)", "--json", NULL, NULL, NULL);
    expect_usage_error("plot", "missing the results database file (DB)", NULL, NULL, NULL, NULL);
    expect_usage_error("compare", "missing the results database files (DB...)", "--format", "svg", NULL, NULL);
    expect_usage_error("export", "missing the database file (DB)", "--table", "runs", NULL, NULL);
    expect_usage_error("merge", "missing the output database (OUT.db)", NULL, NULL, NULL, NULL);
    expect_usage_error("merge", "missing the input databases (IN.db...)", "out.db", NULL, NULL, NULL);

    expect_usage_error("run", "only one SCENARIO, got a second: b.ini", "a.ini", "b.ini", NULL, NULL);
    expect_usage_error("report", "only one DB, got a second: b.db", "a.db", "--json", "b.db", NULL);
    expect_usage_error("plot", "only one DB, got a second: b.db", "a.db", "b.db", NULL, NULL);
    expect_usage_error("export", "only one DB, got a second: b.db", "a.db", "b.db", "--table", "runs");
    expect_usage_error("sweep", "only one SCENARIO, got a second: 'b c.ini'", "a.ini", "b c.ini", NULL, NULL);
    expect_usage_error("keys", "unexpected argument x: the command takes none", "x", NULL, NULL, NULL);
    expect_usage_error("version", "unexpected argument x: the command takes none", "x", NULL, NULL, NULL);

    /* After `--`, an argument that starts with '-' is an operand. */
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "report", "--", "-x.db", NULL), 2);
    ck_assert_str_eq(err, "chainsim report: -x.db: no such file\n");
    g_free(err);
    expect_usage_error("report", "only one DB, got a second: --json", "a.db", "--", "--json", NULL);

    /* Required options are named as such. */
    expect_usage_error("sweep", "missing --seeds A..B", "x.ini", "--out", "x.db", NULL);
    expect_usage_error("export", "say what to export: --table NAME or --view NAME", "x.db", NULL, NULL, NULL);
}
END_TEST

/* Options are recognised in every spelling, also glued short values. */
START_TEST(test_sweep_spellings)
{
    char *dir = tu_tmpdir();
    char *scen = tu_source("scenarios/quickstart.ini");
    char *db = g_build_filename(dir, "s.db", NULL);
    char *jobs = g_build_filename(dir, "jobs.txt", NULL);
    static const char *const forms[][2] = { { "-j3", NULL }, { "-j", "3" }, { "--jobs", "3" }, { "--jobs=3", NULL } };
    for (size_t i = 0; i < G_N_ELEMENTS(forms); i++) {
        char *out = NULL, *err = NULL;
        int rc = tu_chainsim(&out, &err, "sweep", scen, "--grid=network.nodes=10,20", "--seeds", "1..2", "--out", db,
                             "--emit-jobs", jobs, forms[i][0], forms[i][1], NULL);
        ck_assert_msg(rc == 0, "%s %s: exit %d\n%s", forms[i][0], forms[i][1] ? forms[i][1] : "", rc, err);
        ck_assert_contains(out, "parallel -j 3 < ");
        ck_assert_contains(out, "4 run commands");
        g_free(out);
        g_free(err);
    }
    ck_assert(!g_file_test(db, G_FILE_TEST_EXISTS));
    g_free(jobs);
    g_free(db);
    g_free(scen);
    g_free(dir);
}
END_TEST

/* ---- cli_parse() in-process ------------------------------------------- */

typedef struct parsed {
    bool flag;
    const char *text;
    GPtrArray *texts;
    int64_t run;
    int choice;
    int custom_calls;
} parsed_t;

static bool count_custom(void *dest, const char *value, char **why)
{
    parsed_t *p = dest;
    if (strcmp(value, "no") == 0) {
        *why = g_strdup("expected anything but no");
        return false;
    }
    p->custom_calls++;
    return true;
}

static const char *const test_choices[] = { "red", "green", "blue", NULL };

static const cli_command_t test_cli = {
    .name = "test",
    .usage = "IN... [options]",
    .about = "A command for the tests.\n",
    .operands = (const cli_operand_t[]){ { "IN", "the inputs", CLI_MANY }, { NULL, NULL, CLI_ONE } },
    .exits = "0 success\n",
};

/* Parses args (NULL-terminated) into *p; returns cli_parse()'s status and
 * the operands joined by '|' in *ops (g_free). */
static int parse(parsed_t *p, char **ops, char **args)
{
    memset(p, 0, sizeof *p);
    p->texts = g_ptr_array_new_with_free_func(g_free);
    p->choice = -1;
    const cli_option_t opts[] = {
        { "flag", 'f', CLI_FLAG, &p->flag, NULL, "a flag", NULL, NULL },
        { "text", 't', CLI_TEXT, &p->text, "T", "a text", NULL, NULL },
        { "texts", 0, CLI_TEXTS, p->texts, "T", "texts", NULL, NULL },
        { "run", 0, CLI_RUN_ID, &p->run, "ID", "a run", NULL, NULL },
        { "color", 'c', CLI_CHOICE, &p->choice, "C", "a colour", test_choices, NULL },
        { "custom", 0, CLI_CUSTOM, p, "X", "custom", NULL, count_custom },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    char **operands = NULL;
    int rc = cli_parse(&test_cli, opts, (int)g_strv_length(args), args, &operands);
    *ops = operands ? g_strjoinv("|", operands) : NULL;
    g_free(operands);
    return rc;
}

START_TEST(test_parse_in_process)
{
    parsed_t p;
    char *ops = NULL;
    char *args[] = { "a", "--texts", "one", "-fcgreen", "b", "--texts=two", "--run=12", "-t", "hello",
                     "--custom", "x", "--custom=y", "--", "-c", "--flag", NULL };
    /* "-fcgreen" is a cluster: -f, then -c green. */
    ck_assert_int_eq(parse(&p, &ops, args), CLI_GO_ON);
    ck_assert_str_eq(ops, "a|b|-c|--flag");
    ck_assert(p.flag);
    ck_assert_int_eq(p.choice, 1);
    ck_assert_int_eq(p.run, 12);
    ck_assert_int_eq(p.custom_calls, 2);
    ck_assert_uint_eq(p.texts->len, 2);
    ck_assert_str_eq(g_ptr_array_index(p.texts, 0), "one");
    ck_assert_str_eq(g_ptr_array_index(p.texts, 1), "two");
    /* CLI_TEXT points into argv. */
    ck_assert_ptr_eq(p.text, args[8]);
    g_free(ops);
    g_ptr_array_unref(p.texts);

    /* A glued value of a short option, and the last of a repeated option. */
    char *glued[] = { "-tabc", "in", "-cred", "-c", "blue", NULL };
    ck_assert_int_eq(parse(&p, &ops, glued), CLI_GO_ON);
    ck_assert_str_eq(p.text, "abc");
    ck_assert_ptr_eq(p.text, glued[0] + 2);
    ck_assert_int_eq(p.choice, 2);
    ck_assert_str_eq(ops, "in");
    g_free(ops);
    g_ptr_array_unref(p.texts);

    /* Errors stop the parse and leave no operands. */
    char *bad[] = { "in", "--custom", "no", NULL };
    ck_assert_int_eq(parse(&p, &ops, bad), CLI_BADINPUT);
    ck_assert_ptr_null(ops);
    g_ptr_array_unref(p.texts);
    char *none[] = { "--flag", NULL };
    ck_assert_int_eq(parse(&p, &ops, none), CLI_BADINPUT);
    g_ptr_array_unref(p.texts);
    char *help[] = { "--help", NULL };
    ck_assert_int_eq(parse(&p, &ops, help), CLI_OK);
    g_ptr_array_unref(p.texts);
}
END_TEST

START_TEST(test_print_help)
{
    const cli_option_t opts[] = {
        { "long-option", 'l', CLI_TEXT, NULL, "VALUE", "first line\nsecond line", NULL, NULL },
        { "x", 0, CLI_FLAG, NULL, NULL, "a flag", NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    const cli_command_t cmd = { .name = "demo",
                                .usage = "A [B]\n  [--x]\nC",
                                .about = "About it.",
                                .notes = "Notes.\n",
                                .exits = "0 fine" };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cli_print_help(f, &cmd, opts);
    fclose(f);
    ck_assert_str_eq(text, "usage: chainsim demo A [B]\n"
                           "                     [--x]\n"
                           "       chainsim demo C\n"
                           "\n"
                           "About it.\n"
                           "\n"
                           "options:\n"
                           "  -l, --long-option VALUE  first line\n"
                           "                           second line\n"
                           "  --x                      a flag\n"
                           "  -h, --help               show this help\n"
                           "\n"
                           "Notes.\n"
                           "\n"
                           "exit status: 0 fine\n");
    free(text);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_help_layout);
    tcase_add_test(tc, test_top_level);
    tcase_add_test(tc, test_help_unknown_command);
    tcase_add_test(tc, test_unknown_option);
    tcase_add_test(tc, test_missing_value);
    tcase_add_test(tc, test_bad_value);
    tcase_add_test(tc, test_operands);
    tcase_add_test(tc, test_sweep_spellings);
    tcase_add_test(tc, test_parse_in_process);
    tcase_add_test(tc, test_print_help);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(cli_suite());
}
