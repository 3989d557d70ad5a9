/*
 * check_scenario.c - scenario files: defaults, units, overrides, events, and
 * the errors for bad input (each names the line, group, key and value).
 */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario/scenario.h"
#include "tests/testutil.h"

/* Asserts that loading text fails with an error containing every needle. */
static void expect_error(const char *text, const char *set, const char *const *needles)
{
    char *errors = NULL;
    scenario_t *sc = set ? tu_load(text, &errors, set, NULL) : tu_load(text, &errors, NULL);
    ck_assert_msg(sc == NULL, "expected an error for:\n%s", text);
    ck_assert_ptr_nonnull(errors);
    for (int i = 0; needles[i]; i++)
        ck_assert_msg(strstr(errors, needles[i]) != NULL, "error \"%s\" lacks \"%s\"", errors, needles[i]);
    g_free(errors);
}

#define EXPECT(text, set, ...) expect_error(text, set, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_defaults)
{
    char *errors = NULL;
    scenario_t *sc = tu_load("[scenario]\nname = t\n", &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_str_eq(sc->name, "t");
    ck_assert_uint_eq(sc->seed, 1);
    ck_assert_uint_eq(sc->duration_ns, 3600ull * 1000000000ull);
    ck_assert_uint_eq(sc->net.nodes, 1000);
    ck_assert_int_eq(sc->net.profile, PROFILE_BITCOIN_2019);
    ck_assert_int_eq(sc->net.topology, TOPO_RANDOM_OUTDEGREE);
    ck_assert_uint_eq(sc->net.outdegree_cdf_len, 20);
    ck_assert_int_eq(sc->net.latency, LAT_PARETO);
    ck_assert_uint_eq(sc->net.latency_floor_ns, 5000000);
    ck_assert_uint_eq(sc->net.upload_bps, 0);
    ck_assert_int_eq(sc->broadcast.origin, -1);
    ck_assert_uint_eq(sc->broadcast.announce_bytes, 61);
    ck_assert_uint_eq(sc->nfaults, 0);
    ck_assert_ptr_nonnull(strstr(sc->params, "network.nodes = 1000\n"));
    ck_assert_ptr_nonnull(strstr(sc->params, "broadcast.size = 1KB\n"));
    scenario_free(sc);
}
END_TEST

START_TEST(test_units_and_values)
{
    const char *text =
        "# comment\n"
        "[scenario]\nduration = 1.5m\nseed = 42\n"
        "[network]\nnodes = 20\nupload = 2.5Mbit/s\ndownload = 100kbit/s\nloss = 1%\n"
        "latency = uniform\nlatency_jitter = 25%\ntopology = random-regular\ndegree = 4\n"
        "outdegree_cdf = 0.5, 0.9, 1\n"
        "[broadcast]\ncount = 3\nsize = 1.5KiB\ninterval = 250ms\norigin = 7\nrelay = push\n";
    char *errors = NULL;
    scenario_t *sc = tu_load(text, &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_uint_eq(sc->duration_ns, 90ull * 1000000000ull);
    ck_assert_uint_eq(sc->seed, 42);
    ck_assert_uint_eq(sc->net.nodes, 20);
    ck_assert_uint_eq(sc->net.upload_bps, 2500000);
    ck_assert_uint_eq(sc->net.download_bps, 100000);
    ck_assert_uint_eq(sc->net.loss_ppm, 10000);
    ck_assert_uint_eq(sc->net.latency_jitter_ppm, 250000);
    ck_assert_int_eq(sc->net.latency, LAT_UNIFORM);
    ck_assert_uint_eq(sc->net.outdegree_cdf_len, 3);
    ck_assert(sc->net.outdegree_cdf[1] == 0.9);
    ck_assert_uint_eq(sc->broadcast.size_bytes, 1536);
    ck_assert_uint_eq(sc->broadcast.interval_ns, 250000000);
    ck_assert_int_eq(sc->broadcast.origin, 7);
    ck_assert_int_eq(sc->broadcast.relay, RELAY_PUSH);
    ck_assert_str_eq(sc->name, "test"); /* from test.ini */
    scenario_free(sc);
}
END_TEST

START_TEST(test_overrides)
{
    char *errors = NULL;
    scenario_t *sc = tu_load("[network]\nnodes = 20\n", &errors, "network.nodes=500", "scenario.seed=9",
                             "event cut.at=5s", "event cut.type=heal", NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_uint_eq(sc->net.nodes, 500);
    ck_assert_uint_eq(sc->seed, 9);
    ck_assert_uint_eq(sc->nfaults, 1);
    ck_assert_str_eq(sc->faults[0].name, "cut");
    ck_assert_ptr_nonnull(strstr(sc->params, "network.nodes = 500\n"));
    ck_assert_ptr_nonnull(strstr(sc->overrides, "network.nodes=500\n"));
    scenario_free(sc);

    EXPECT("[network]\nnodes = 20\n", "network.nodes=lots", "--set network.nodes=lots", "[network] nodes",
           "\"lots\"", "whole number");
    EXPECT("[network]\n", "network.bogus=1", "--set network.bogus=1", "unknown key", "nodes");
    EXPECT("[network]\n", "nodes=5", "--set nodes=5", "group.key=value");
    EXPECT("[network]\n", "nosuch.key=5", "--set nosuch.key=5", "unknown group");
}
END_TEST

/* A --set group or key name the key file cannot hold is refused, naming the
 * argument; it used to be dropped with a GLib-CRITICAL line while the run
 * went on and recorded it in runs.overrides as applied. */
START_TEST(test_set_bad_names)
{
    EXPECT("[network]\n", "net]work.nodes=5", "--set net]work.nodes=5", "group name", "net]work");
    EXPECT("[network]\n", "net[work.nodes=5", "--set net[work.nodes=5", "group name");
    /* control characters and bad bytes are shown escaped, so a message stays one line */
    EXPECT("[network]\n", "net\nwork.nodes=5", "--set net\\nwork.nodes=5", "group name \"net\\nwork\"");
    /* one line per error: the group name itself was printed with its
     * newline (found by fuzz_scenario) */
    char *errors = NULL;
    ck_assert_ptr_null(tu_load("[network]\n", &errors, "a\nb.c\nd.key=5", "x.k\ney=1", NULL));
    int nl = 0;
    for (const char *p = errors; *p; p++)
        nl += *p == '\n';
    ck_assert_msg(nl == 2, "two errors on more than two lines:\n%s", errors);
    g_free(errors);
    /* a file name with a newline does not break the lines either */
    ck_assert_ptr_null(scenario_load_text("a\nb.ini", "[network]\nnodes = x\n", NULL, 0, &errors));
    ck_assert_msg(g_str_has_prefix(errors, "a\\nb.ini:2:") && strchr(errors, '\n')[1] == '\0', "%s", errors);
    g_free(errors);
    EXPECT("[network]\n", "network.no[des=5", "--set network.no[des=5", "key name", "no[des");
    EXPECT("[network]\n", "network.no]des=5", "--set network.no]des=5", "key name");
    EXPECT("[network]\n", "network.no\ndes=5", "--set network.no\\ndes=5", "key name");
    EXPECT("[network]\n", "network.nodes=5\n6", "--set network.nodes=5\\n6", "control character");
    EXPECT("[network]\n", "network.nodes=\xff", "--set network.nodes=\\xff", "UTF-8");

    char *tmp = tu_tmpdir();
    char *ini = tu_write(tmp, "ok.ini", "[network]\nnodes = 10\n");
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "check", ini, "--set", "net]work.nodes=5", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "--set net]work.nodes=5"));
    ck_assert_ptr_null(strstr(err, "CRITICAL"));
    g_free(err);
    g_free(ini);
    g_free(tmp);
}
END_TEST

/* name and description are taken literally: a backslash is a backslash (it
 * used to start a key-file escape: "my\\run" became "my" CR "un" and
 * "C:\\data\\x" became empty). A name that would make a bad results file
 * name is refused. */
START_TEST(test_name_literal_and_valid)
{
    char *errors = NULL;
    scenario_t *sc = tu_load("[scenario]\nname = my\\run\ndescription = C:\\data\\x\n", &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_str_eq(sc->name, "my\\run");
    ck_assert_str_eq(sc->description, "C:\\data\\x");
    ck_assert_ptr_nonnull(strstr(sc->params, "scenario.name = my\\run\n"));
    scenario_free(sc);
    sc = tu_load("[scenario]\nname = a\\\n", &errors, "scenario.description=tab\\t and \\s", NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_str_eq(sc->name, "a\\");
    ck_assert_str_eq(sc->description, "tab\\t and \\s");
    scenario_free(sc);

    EXPECT("[scenario]\nname = runs/a\n", NULL, "test.ini:2:", "[scenario] name", "'/'");
    EXPECT("[scenario]\nname = a\tb\n", NULL, "test.ini:2:", "[scenario] name", "control character");
    EXPECT("[scenario]\nname =\n", NULL, "test.ini:2:", "[scenario] name", "empty");
    EXPECT("[scenario]\n", "scenario.name=", "--set scenario.name=", "empty");
    EXPECT("[scenario]\n", "scenario.name=a/b", "--set scenario.name=a/b", "'/'");
    char long_name[300];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    char *text = g_strdup_printf("[scenario]\nname = %s\n", long_name);
    EXPECT(text, NULL, "test.ini:2:", "too long");
    g_free(text);

    /* the default name comes from the file name and is checked the same way */
    char *e = NULL;
    sc = scenario_load_text("dir/.ini", "[network]\n", NULL, 0, &e);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strstr(e, "[scenario] name") && strstr(e, "empty"), "%s", e);
    g_free(e);
    sc = scenario_load_text("dir/a\rb.ini", "[network]\n", NULL, 0, &e);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strstr(e, "control character"), "%s", e);
    g_free(e);
}
END_TEST

/* Errors about a group that only --set created name the --set argument, not
 * the scenario file. */
START_TEST(test_set_group_errors_name_argument)
{
    EXPECT("[network]\n", "event x.at=1s", "--set event x.at=1s: [event x] type", "missing");
    EXPECT("[network]\n", "event x.type=crash", "--set event x.type=crash: [event x] at", "missing");
    /* a file group keeps its line */
    EXPECT("[network]\n[event x]\nat = 1s\n", "event x.at=2s", "test.ini:2: [event x] type", "missing");
}
END_TEST

/* Syntax GKeyFile refuses (or silently takes as a translation) is reported
 * with its line; a UTF-8 byte-order mark is skipped; a UTF-16 one is named. */
START_TEST(test_syntax_errors_have_lines)
{
    char *errors = NULL;
    scenario_t *sc = NULL;
    EXPECT("[network]\nnodes = 5\nno[des = 5\n", NULL, "test.ini:3:", "no[des", "key name");
    EXPECT("[network]\nno]des = 5\n", NULL, "test.ini:2:", "no]des", "key name");
    /* "nodes[x]" used to be taken as a translation of nodes and ignored */
    EXPECT("[network]\nnodes[x] = 5\n", NULL, "test.ini:2:", "nodes[x]", "key name");
    EXPECT("[network]\n\x01x = 5\n", NULL, "test.ini:2:", "\\x01x", "key name");
    /* values: control characters are refused as they are in --set values (a
     * tab is fine, and so is the carriage return of a CRLF line end) */
    EXPECT("[scenario]\ndescription = a\rb\n", NULL, "test.ini:2:", "a\\rb", "control character");
    sc = tu_load("[scenario]\r\ndescription = a\tb\r\n", &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_str_eq(sc->description, "a\tb");
    scenario_free(sc);

    sc = tu_load("\xef\xbb\xbf[network]\nnodes = 5\n", &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_uint_eq(sc->net.nodes, 5);
    scenario_free(sc);
    sc = tu_load("\xef\xbb\xbf# comment\n[network]\nnodes = x\n", &errors, NULL);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strstr(errors, "test.ini:3:"), "%s", errors);
    g_free(errors);
    EXPECT("\xff\xfe[\0", NULL, "UTF-16", "UTF-8");
    EXPECT("[network]\n\xef\xbb\xbfnodes = 5\n", NULL, "test.ini:2:", "byte-order mark");
}
END_TEST

/* A value too large, or finer than its smallest unit, is named as such. */
START_TEST(test_value_reasons)
{
    EXPECT("[scenario]\nduration = 1.5ns\n", NULL, "test.ini:2:", "[scenario] duration", "finer than 1 ns");
    EXPECT("[scenario]\nduration = 99999999999999999999s\n", NULL, "test.ini:2:", "too large");
    EXPECT("[network]\nnodes = 99999999999999999999\n", NULL, "test.ini:2:", "too large", "2 to 1000000");
    EXPECT("[broadcast]\nsize = 0.5B\n", NULL, "test.ini:2:", "whole number of bytes");
    EXPECT("[broadcast]\nsize = 99999999999GB\n", NULL, "test.ini:2:", "too large");
    EXPECT("[network]\nupload = 0.5bit/s\n", NULL, "test.ini:2:", "whole number of bit/s");
    EXPECT("[network]\nloss = 0.0000001\n", NULL, "test.ini:2:", "finer than 1 ppm");
    EXPECT("[network]\nloss = 2\n", NULL, "test.ini:2:", "more than 1");
    EXPECT("[event x]\nat = 0.1ns\ntype = heal\n", NULL, "test.ini:2:", "finer than 1 ns");
    EXPECT("[scenario]\nduration = 600\n", NULL, "test.ini:2:", "duration with a unit");
}
END_TEST

/* Simulated time has a limit (100 years) and no time the scenario implies
 * may pass it: an event near 2^64 ns used to abort the run (the restart
 * wrapped around), a duration above 2^63 ns ended 'complete' with a wrong
 * end time. */
START_TEST(test_time_limits)
{
    EXPECT("[scenario]\nduration = 10000000000s\n", NULL, "test.ini:2:", "[scenario] duration", "too large",
           "876000h (100 years)");
    EXPECT("[scenario]\nduration = 876001h\n", NULL, "test.ini:2:", "too large");
    EXPECT("[scenario]\nduration = 18446744073709551615ns\n", NULL, "[scenario] duration", "too large");
    EXPECT("[event c]\nat = 18446744073709551000ns\ntype = crash\nnodes = 1\nduration = 1s\n", NULL,
           "test.ini:2: [event c] at", "too large", "876000h");
    EXPECT("[scenario]\nduration = 876000h\n[network]\nnodes = 10\n"
           "[event c]\nat = 875000h\ntype = crash\nnodes = 1\nduration = 2000h\n",
           NULL, "test.ini:9: [event c] duration = \"2000h\"", "restart", "876000h (100 years)",
           "3153600000000000000 ns");
    EXPECT("[event c]\nat = 1s\ntype = latency\nadd = 900000h\n", NULL, "[event c] add", "too large");
    EXPECT("[relay]\nrequest_timeout = 900000h\n", NULL, "[relay] request_timeout", "too large");
    EXPECT("[broadcast]\ncount = 10000000\ninterval = 1000h\n", NULL, "[broadcast] count", "last message",
           "876000h");
    EXPECT("[consensus]\nkind = pos\nslots_per_epoch = 100000\nblock_interval = 10h\n", NULL,
           "[consensus] slots_per_epoch", "epoch", "876000h");
    EXPECT("[consensus]\nkind = dpos\nproducers = 100000\nblocks_per_turn = 100000\nblock_interval = 1s\n", NULL,
           "[consensus] producers", "round", "876000h");
    EXPECT("[workload]\ntx_rate = 0.0001/h\n", NULL, "[workload] tx_rate", "0.001/h");
    EXPECT("[consensus]\nkind = pow\n[cpu]\nper_kb = 800000h\n", NULL, "[cpu] per_kb", "largest block");
    EXPECT("[consensus]\nkind = pow\n[cpu]\nper_tx = 200h\n", NULL, "[cpu] per_tx", "largest block");
    EXPECT("[workload]\ntx_rate = 100/s\n[cpu]\nverify_sig = 10000h\n", NULL, "[cpu] verify_sig",
           "CPU time", "876000h");
    EXPECT("[network]\nupload = 1bit/s\n[broadcast]\ncount = 1\nsize = 4GiB\n", NULL, "[network] upload",
           "largest message", "1 bit/s");
    EXPECT("[mempool]\nrate_limit = 0.0001/s\n", NULL, "[mempool] rate_limit", "0.001/s");

    /* right at the limit is fine */
    char *errors = NULL;
    scenario_t *sc = tu_load("[scenario]\nduration = 876000h\n[network]\nnodes = 10\n"
                             "[event c]\nat = 875000h\ntype = crash\nnodes = 1\nduration = 1000h\n",
                             &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_uint_eq(sc->duration_ns, SCENARIO_MAX_TIME_NS);
    scenario_free(sc);

    /* the runs that aborted or ended with a wrong time now stop at check */
    char *tmp = tu_tmpdir();
    char *ini = tu_write(tmp, "t.ini", "[scenario]\nduration = 18446744073709551615ns\n[network]\nnodes = 10\n"
                         "profile = uniform\n[event c]\nat = 18446744073709551000ns\ntype = crash\nnodes = 1\n"
                         "duration = 1s\n");
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "check", ini, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "t.ini:2: [scenario] duration"));
    g_free(err);
    g_free(ini);
    g_free(tmp);
}
END_TEST

/* Trailing spaces (which GKeyFile keeps in values) are ignored everywhere:
 * in event values, which refused "heal ", and in the resolved parameters,
 * which kept "6 " (found by fuzz_scenario). */
START_TEST(test_trailing_spaces)
{
    char *errors = NULL;
    scenario_t *sc = tu_load("[network]\nnodes = 20 \t\n[event x]\nat = 1s \ntype = partition \nby = ids  \n"
                             "groups = 0-4 \n", &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_uint_eq(sc->net.nodes, 20);
    ck_assert_int_eq(sc->faults[0].kind, FAULT_PARTITION);
    ck_assert_ptr_nonnull(strstr(sc->params, "network.nodes = 20\n"));
    ck_assert_ptr_nonnull(strstr(sc->params, "event x.type = partition\n"));
    ck_assert_ptr_nonnull(strstr(sc->params, "event x.groups = 0-4\n"));
    scenario_free(sc);
}
END_TEST

/* The memory estimate grows with what costs memory, and a scenario whose
 * estimate is above scenario.memory_limit is refused, saying the estimate,
 * the limit and how to raise it. */
START_TEST(test_memory_estimate)
{
    const char *base = "[network]\nnodes = 1000\n[consensus]\nkind = pow\nblock_interval = 10s\n"
                       "[workload]\ntx_rate = 10/s\n";
    char *errors = NULL;
    scenario_t *a = tu_load(base, &errors, NULL);
    ck_assert_msg(a != NULL, "%s", errors);
    ck_assert_uint_eq(a->memory_limit_bytes, scenario_physical_memory_bytes());
    uint64_t ea = scenario_memory_estimate_bytes(a);
    const char *more[] = { "network.nodes=2000", "workload.tx_rate=20/s", "scenario.duration=2h",
                           "network.topology=full-mesh", "consensus.kind=pos", "ledger.accounts=100000" };
    for (size_t i = 0; i < G_N_ELEMENTS(more); i++) {
        scenario_t *b = tu_load(base, &errors, more[i], NULL);
        ck_assert_msg(b != NULL, "%s: %s", more[i], errors);
        ck_assert_msg(scenario_memory_estimate_bytes(b) > ea, "%s does not raise the estimate", more[i]);
        scenario_free(b);
    }
    char *text = scenario_memory_text(a);
    ck_assert_msg(g_str_has_prefix(text, "estimated memory ") && strstr(text, "(limit "), "%s", text);
    g_free(text);
    scenario_free(a);

    /* a million proof-of-stake validators: every node keeps every validator's vote */
    const char *huge = "[network]\nnodes = 1000000\n[consensus]\nkind = pos\nblock_interval = 12s\n";
    EXPECT(huge, NULL, "[scenario] memory_limit", "estimated", "TB", "more than the limit",
           "physical memory", "--set scenario.memory_limit=");
    scenario_t *h = tu_load(huge, &errors, "scenario.memory_limit=none", NULL);
    ck_assert_msg(h != NULL, "%s", errors);
    ck_assert_uint_eq(h->memory_limit_bytes, UINT64_MAX);
    ck_assert_ptr_nonnull(strstr(h->params, "scenario.memory_limit = none\n"));
    scenario_free(h);
    EXPECT(base, "scenario.memory_limit=1MB", "--set scenario.memory_limit=1MB", "estimated",
           "more than the limit of 1.0 MB");
    h = tu_load(base, &errors, "scenario.memory_limit=1000GB", NULL);
    ck_assert_msg(h != NULL, "%s", errors);
    ck_assert_uint_eq(h->memory_limit_bytes, 1000000000000ull);
    scenario_free(h);
    EXPECT("[scenario]\nmemory_limit = lots\n", NULL, "test.ini:2: [scenario] memory_limit", "physical, none");

    /* check and run refuse it with exit 2, and run creates nothing */
    char *tmp = tu_tmpdir();
    char *ini = tu_write(tmp, "huge.ini", huge);
    char *db = g_build_filename(tmp, "huge.db", NULL);
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "check", ini, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "memory_limit"));
    g_free(err);
    ck_assert_int_eq(tu_chainsim(NULL, &err, "run", ini, "--out", db, NULL), 2);
    ck_assert(!g_file_test(db, G_FILE_TEST_EXISTS));
    g_free(err);
    g_free(db);
    g_free(ini);
    g_free(tmp);
}
END_TEST

START_TEST(test_bad_values_name_line_key_value)
{
    EXPECT("[scenario]\nname = x\n\n[network]\nnodes = abc\n", NULL, "test.ini:5:", "[network] nodes", "\"abc\"",
           "expected a whole number");
    EXPECT("[network]\nnodes = 1\n", NULL, "test.ini:2:", "out of range", "2 to 1000000");
    EXPECT("[scenario]\nduration = 10 parsecs\n", NULL, "test.ini:2:", "[scenario] duration", "\"10 parsecs\"",
           "duration with a unit");
    EXPECT("[scenario]\nduration = 600\n", NULL, "test.ini:2:", "duration with a unit");
    EXPECT("[network]\nupload = 10MB\n", NULL, "test.ini:2:", "[network] upload", "bandwidth");
    EXPECT("[network]\ntopology = star\n", NULL, "test.ini:2:", "[network] topology", "\"star\"",
           "random-outdegree, random-regular, full-mesh, small-world");
    EXPECT("[network]\nloss = 150%\n", NULL, "test.ini:2:", "[network] loss", "probability");
    EXPECT("[network]\noutdegree_cdf = 0.5, 0.4, 1\n", NULL, "test.ini:2:", "outdegree_cdf", "cumulative");
    EXPECT("[broadcast]\nsize = big\n", NULL, "test.ini:2:", "[broadcast] size", "\"big\"", "size with a unit");
    EXPECT("[broadcast]\norigin = 5000\n", NULL, "[broadcast] origin", "no such node");
}
END_TEST

START_TEST(test_structure_errors)
{
    char *errors = NULL;
    scenario_t *sc = NULL;
    EXPECT("[network]\nnodes = 10\nfoo = 3\n", NULL, "test.ini:3:", "[network] foo", "unknown key");
    EXPECT("[scenario]\n\n[netwrk]\nnodes = 10\n", NULL, "test.ini:3:", "[netwrk]", "unknown group");
    EXPECT("[network]\nnodes 10\n", NULL, "test.ini:2:", "nodes 10", "key = value");
    EXPECT("nodes = 10\n", NULL, "test.ini:1:", "outside any group");
    EXPECT("[network]\nnodes = 10\nnodes = 20\n", NULL, "test.ini:3:", "appears twice", "line 2");
    EXPECT("[network]\n[network]\n", NULL, "test.ini:2:", "group appears twice");
    EXPECT("[network\nnodes = 10\n", NULL, "test.ini:1:", "group header");
    EXPECT("[net.work]\n", NULL, "test.ini:1:", "group header");
    /* DEL is a control character to GKeyFile too (found by fuzz_scenario:
     * the error came as GKeyFile's "Invalid group name") */
    EXPECT("[network]\n[netw\x7frk]\n", NULL, "test.ini:2:", "\\x7f", "not a valid group header");
    /* Lines are read as GKeyFile reads them (found by fuzz_scenario): a CRLF
     * file without a final newline loads; other white space after a group
     * header or in a value is refused with its line (GKeyFile refused the
     * header with its own message, and took "5\v" as "5"). */
    sc = tu_load("[scenario]\r\nseed = 3\r\n[network]\r", &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_uint_eq(sc->seed, 3);
    scenario_free(sc);
    EXPECT("[network]\v\nnodes = 5\n", NULL, "test.ini:1:", "not a valid group header");
    EXPECT("[network]\r\r\nnodes = 5\n", NULL, "test.ini:1:", "not a valid group header");
    EXPECT("[network]\nnodes = 5\v\n", NULL, "test.ini:2:", "control character");
    sc = tu_load("  \t[network] \t\n\tnodes\t=\t5 \t\n", &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_uint_eq(sc->net.nodes, 5);
    scenario_free(sc);
    /* a group name does not start or end with a space: "[event x ]" named
     * event "x" in group "event x ", which --set could not reach (found by
     * fuzz_scenario) */
    EXPECT("[event x ]\nat = 1s\ntype = heal\n", NULL, "test.ini:1:", "not a valid group header", "space");
    EXPECT("[ network]\n", NULL, "test.ini:1:", "not a valid group header");
    /* GKeyFile's reserved Encoding key (found by fuzz_scenario) */
    EXPECT("[scenario]\nEncoding = 10m\n", NULL, "test.ini:2: [scenario] Encoding", "unknown key");
    EXPECT("[scenario]\n[network]\nEncoding = UTF-8\n", NULL, "test.ini:3: [network] Encoding", "unknown key");
}
END_TEST

START_TEST(test_events)
{
    const char *text =
        "[scenario]\nduration = 10m\n[network]\nnodes = 100\n"
        "[event b]\nat = 2m\ntype = heal\n"
        "[event a]\nat = 1m\ntype = partition\nby = ids\ngroups = 0-9,20; 30-49\n"
        "[event c]\nat = 3m\ntype = latency\nbetween = europe, japan\nscale = 150%\nadd = 20ms\n"
        "[event d]\nat = 3m\ntype = crash\nnodes = 1,5-7\nduration = 30s\n"
        "[event e]\nat = 4m\ntype = partition\nby = regions\ngroups = europe; north-america,japan\n"
        "[event f]\nat = 5m\ntype = partition\nby = fraction\ngroups = 25%; 0.5\n"
        "[event g]\nat = 6m\ntype = loss\nloss = 0.5%\n";
    char *errors = NULL;
    scenario_t *sc = tu_load(text, &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors);
    ck_assert_uint_eq(sc->nfaults, 7);
    /* sorted by time, then by file order */
    ck_assert_str_eq(sc->faults[0].name, "a");
    ck_assert_str_eq(sc->faults[1].name, "b");
    ck_assert_str_eq(sc->faults[2].name, "c");
    ck_assert_str_eq(sc->faults[3].name, "d");
    const fault_t *a = &sc->faults[0];
    ck_assert_int_eq(a->kind, FAULT_PARTITION);
    ck_assert_uint_eq(a->ngroups, 2);
    ck_assert_uint_eq(a->nranges, 3);
    ck_assert_uint_eq(a->ranges[1].lo, 20);
    ck_assert_uint_eq(a->group_of_range[1], 0);
    ck_assert_uint_eq(a->group_of_range[2], 1);
    const fault_t *c = &sc->faults[2];
    ck_assert_int_eq(c->region_a, 1);
    ck_assert_int_eq(c->region_b, 4);
    ck_assert_uint_eq(c->scale_ppm, 1500000);
    ck_assert_uint_eq(c->add_ns, 20000000);
    const fault_t *d = &sc->faults[3];
    ck_assert_uint_eq(d->nnodes_ranges, 2);
    ck_assert_uint_eq(d->down_ns, 30000000000ull);
    ck_assert_uint_eq(sc->faults[4].group_regions[1], (1u << 0) | (1u << 4));
    ck_assert_uint_eq(sc->faults[5].group_fraction_ppm[0], 250000);
    ck_assert_uint_eq(sc->faults[6].loss_ppm, 5000);
    scenario_free(sc);
}
END_TEST

START_TEST(test_event_errors)
{
    EXPECT("[event x]\ntype = heal\n", NULL, "test.ini:1:", "[event x] at", "missing");
    EXPECT("[event x]\nat = 1s\ntype = explode\n", NULL, "test.ini:3:", "[event x] type", "\"explode\"",
           "partition, heal");
    EXPECT("[event x]\nat = 1s\n", NULL, "[event x] type", "missing");
    EXPECT("[event x]\nat = 1s\ntype = heal\nnodes = 3\n", NULL, "test.ini:4:", "[event x] nodes",
           "not used by events of type heal");
    EXPECT("[event x]\nat = 1s\ntype = crash\nnodes = 3,2000\n", NULL, "test.ini:4:", "[event x] nodes",
           "\"3,2000\"", "out of range");
    EXPECT("[event x]\nat = 1s\ntype = latency\nbetween = europe,mars\nscale = 2\n", NULL, "test.ini:4:",
           "[event x] between", "europe,mars", "north-america");
    EXPECT("[event x]\nat = 1s\ntype = latency\n", NULL, "[event x] scale", "scale, add or both");
    EXPECT("[event x]\nat = soon\ntype = heal\n", NULL, "test.ini:2:", "[event x] at", "\"soon\"");
    EXPECT("[scenario]\nduration = 1m\n[event x]\nat = 2m\ntype = heal\n", NULL, "test.ini:4:",
           "after the end of the run");
    EXPECT("[event x]\nat = 1s\ntype = partition\nby = regions\ngroups = europe; europe\n", NULL,
           "[event x] groups", "two groups");
    EXPECT("[event x]\nat = 1s\ntype = partition\nby = fraction\ngroups = 60%; 50%\n", NULL,
           "[event x] groups", "more than 1");
    EXPECT("[event x]\nat = 1s\ntype = partition\ngroups = 1-x\n", NULL, "[event x] groups", "group 1");
    EXPECT("[event ]\nat = 1s\ntype = heal\n", NULL, "needs a name");
}
END_TEST

START_TEST(test_cross_checks)
{
    EXPECT("[network]\nnodes = 9\ntopology = random-regular\ndegree = 3\n", NULL, "[network] degree", "even");
    EXPECT("[network]\nnodes = 10\ntopology = small-world\ndegree = 3\n", NULL, "[network] degree", "even");
    EXPECT("[network]\nnodes = 6000\ntopology = full-mesh\n", NULL, "[network] topology", "5000");
    EXPECT("[consensus]\nkind = pos\nblock_interval = 1ns\n", NULL, "[consensus] block_interval", "1ms");
    EXPECT("[consensus]\nkind = pow\nminers = 2000\n", NULL, "[consensus] miners", "more miners than nodes");
    EXPECT("[consensus]\nkind = pos\nstake = 0.7,0.7\n", NULL, "[consensus] stake", "at most 1");
    EXPECT("[workload]\namount_min = 10\namount_max = 5\n", NULL, "[workload] amount_max", "smaller than");
    EXPECT("[mempool]\nblacklist = 5000, csnope\n", NULL, "[mempool] blacklist", "csnope");
}
END_TEST

/* Every file in scenarios/ is valid, and `chainsim check` agrees. */
START_TEST(test_presets_valid)
{
    char *dir = tu_source("scenarios");
    GDir *d = g_dir_open(dir, 0, NULL);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (const char *f; (f = g_dir_read_name(d));) {
        if (!g_str_has_suffix(f, ".ini"))
            continue;
        char *path = g_build_filename(dir, f, NULL);
        char *out = NULL, *err = NULL;
        int rc = tu_chainsim(&out, &err, "check", path, NULL);
        ck_assert_msg(rc == 0, "%s: exit %d: %s", f, rc, err);
        ck_assert_ptr_nonnull(strstr(out, "ok"));
        g_free(out);
        g_free(err);
        g_free(path);
        n++;
    }
    g_dir_close(d);
    g_free(dir);
    ck_assert_int_ge(n, 2);
}
END_TEST

START_TEST(test_cli_bad_input_exit_2)
{
    char *tmp = tu_tmpdir();
    char *bad = tu_write(tmp, "bad.ini", "[network]\nnodes = -5\n");
    char *db = g_build_filename(tmp, "out.db", NULL);
    char *err = NULL;
    ck_assert_int_eq(tu_chainsim(NULL, &err, "check", bad, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "bad.ini:2: [network] nodes = \"-5\""));
    g_free(err);
    ck_assert_int_eq(tu_chainsim(NULL, &err, "run", bad, "--out", db, NULL), 2);
    ck_assert_msg(!g_file_test(db, G_FILE_TEST_EXISTS), "a bad scenario must not create a database");
    g_free(err);
    char *missing = g_build_filename(tmp, "nope.ini", NULL);
    ck_assert_int_eq(tu_chainsim(NULL, &err, "check", missing, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "cannot read"));
    g_free(err);
    char *good = tu_source("scenarios/quickstart.ini");
    ck_assert_int_eq(tu_chainsim(NULL, &err, "run", good, "--seed", "x1", "--out", db, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "--seed x1"));
    g_free(err);
    ck_assert_int_eq(tu_chainsim(NULL, &err, "run", good, "--bogus", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "unknown option --bogus"));
    g_free(err);
    ck_assert_int_eq(tu_chainsim(NULL, &err, "frobnicate", NULL), 2);
    g_free(err);
    char *out = NULL;
    ck_assert_int_eq(tu_chainsim(&out, NULL, "--help", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: chainsim"));
    g_free(out);
    ck_assert_int_eq(tu_chainsim(&out, NULL, "run", "--help", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "--set group.key=value"));
    g_free(out);
    ck_assert_int_eq(tu_chainsim(&out, NULL, "--version", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "chainsim " CHAINSIM_VERSION));
    g_free(out);
    ck_assert_int_eq(tu_chainsim(&out, NULL, "keys", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "[network]"));
    ck_assert_ptr_nonnull(strstr(out, "upload_queue"));
    g_free(out);
    g_free(good);
    g_free(missing);
    g_free(tmp);
    g_free(bad);
    g_free(db);
}
END_TEST

/* Every key `chainsim keys` lists is documented in the README. */
START_TEST(test_readme_documents_every_key)
{
    char *readme_path = tu_source("README.md"), *readme = NULL, *keys = NULL;
    ck_assert(g_file_get_contents(readme_path, &readme, NULL, NULL));
    ck_assert_int_eq(tu_chainsim(&keys, NULL, "keys", NULL), 0);
    char **lines = g_strsplit(keys, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        /* key lines are indented by two spaces; their help lines by more */
        if (strncmp(lines[i], "  ", 2) != 0 || !g_ascii_islower(lines[i][2]))
            continue;
        char *l = lines[i] + 2;
        char *key = g_strndup(l, strcspn(l, " "));
        char *needle = g_strdup_printf("`%s`", key);
        ck_assert_msg(strstr(readme, needle) != NULL, "README.md does not document key %s", key);
        g_free(needle);
        g_free(key);
    }
    g_strfreev(lines);
    g_free(keys);
    g_free(readme);
    g_free(readme_path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_units_and_values);
    tcase_add_test(tc, test_overrides);
    tcase_add_test(tc, test_set_bad_names);
    tcase_add_test(tc, test_name_literal_and_valid);
    tcase_add_test(tc, test_set_group_errors_name_argument);
    tcase_add_test(tc, test_syntax_errors_have_lines);
    tcase_add_test(tc, test_value_reasons);
    tcase_add_test(tc, test_time_limits);
    tcase_add_test(tc, test_trailing_spaces);
    tcase_add_test(tc, test_memory_estimate);
    tcase_add_test(tc, test_bad_values_name_line_key_value);
    tcase_add_test(tc, test_structure_errors);
    tcase_add_test(tc, test_events);
    tcase_add_test(tc, test_event_errors);
    tcase_add_test(tc, test_cross_checks);
    tcase_add_test(tc, test_presets_valid);
    tcase_add_test(tc, test_cli_bad_input_exit_2);
    tcase_add_test(tc, test_readme_documents_every_key);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
