/*
 * fuzz_scenario.c - libFuzzer driver for the scenario parser
 * (scenario_load_data, sim/scenario/scenario.c).
 *
 * Input: scenario text, optionally followed by a NUL byte and --set
 * arguments separated by NUL bytes ("text\0network.nodes=5\0event x.at=1s").
 *
 * Besides not crashing, leaking or tripping a sanitizer, every input must
 * satisfy:
 *   - a scenario or errors, never both nor neither; every error line starts
 *     with the file name or "--set " and ends the message with a newline;
 *   - no GLib warning or critical (they abort: g_log_set_always_fatal), and
 *     no GKeyFile message reaches the user (the line scan must refuse first);
 *   - an accepted scenario loads again to the same resolved parameters, and
 *     its resolved parameters, given back as --set arguments to an empty
 *     file, load to the same parameters (file and --set follow one rule);
 *   - every time it holds is within SCENARIO_MAX_TIME_NS.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario/scenario.h"

#define FUZZ_PATH "fuzz.ini"

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_scenario: property broken: %s\n%s\n", what, detail ? detail : "");
    abort();
}

static void check_errors(const char *errors)
{
    if (!errors || !*errors)
        fail("a refused scenario without errors", NULL);
    if (errors[strlen(errors) - 1] != '\n')
        fail("errors do not end with a newline", errors);
    char **lines = g_strsplit(errors, "\n", -1);
    for (int i = 0; lines[i] && lines[i + 1]; i++) {
        const char *l = lines[i];
        if (!g_str_has_prefix(l, FUZZ_PATH) && !g_str_has_prefix(l, "--set "))
            fail("an error line names neither the file nor a --set argument", errors);
        /* "fuzz.ini:N: " is followed by our [group] or "line", never by
         * GKeyFile's own message (which means the line scan let through
         * what GKeyFile refuses) */
        if (g_str_has_prefix(l, FUZZ_PATH ":")) {
            const char *p = l + strlen(FUZZ_PATH ":");
            while (g_ascii_isdigit(*p))
                p++;
            if (g_str_has_prefix(p, ": Key file") || g_str_has_prefix(p, ": Invalid"))
                fail("a GKeyFile message reached the user", errors);
        }
    }
    g_strfreev(lines);
}

static void check_times(const scenario_t *sc)
{
    const uint64_t max = SCENARIO_MAX_TIME_NS;
    if (sc->duration_ns > max || sc->broadcast.start_ns > max || sc->broadcast.interval_ns > max ||
        sc->consensus.interval_ns > max || sc->workload.start_ns > max || sc->workload.stop_ns > max ||
        sc->record.sample_interval_ns > max || sc->relay.tx_interval_ns > max)
        fail("a time beyond SCENARIO_MAX_TIME_NS was accepted", sc->params);
    for (uint32_t i = 0; i < sc->nfaults; i++)
        if (sc->faults[i].at_ns > sc->duration_ns || sc->faults[i].down_ns > max - sc->faults[i].at_ns ||
            sc->faults[i].add_ns > max)
            fail("an event time beyond the limit was accepted", sc->params);
}

/* The resolved parameters as --set arguments; an empty name stays unset so
 * that it defaults from the file name again. */
static GPtrArray *params_as_sets(const char *params)
{
    GPtrArray *sets = g_ptr_array_new_with_free_func(g_free);
    char **lines = g_strsplit(params, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        char *eq = strstr(lines[i], " = ");
        if (!eq)
            continue;
        if (strcmp(lines[i], "scenario.name = ") == 0)
            continue;
        g_ptr_array_add(sets, g_strdup_printf("%.*s=%s", (int)(eq - lines[i]), lines[i], eq + 3));
    }
    g_strfreev(lines);
    return sets;
}

static int log_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!log_ready) {
        g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
        log_ready = 1;
    }
    const char *text = (const char *)data;
    const uint8_t *nul = memchr(data, '\0', size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    GPtrArray *sets = g_ptr_array_new_with_free_func(g_free);
    if (nul) {
        const char *p = (const char *)nul + 1, *end = (const char *)data + size;
        while (p < end) {
            const char *q = memchr(p, '\0', (size_t)(end - p));
            size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
            g_ptr_array_add(sets, g_strndup(p, n));
            p += n + 1;
        }
    }

    char *errors = NULL;
    scenario_t *sc = scenario_load_data(FUZZ_PATH, text, text_len, (char *const *)sets->pdata, (int)sets->len,
                                        &errors);
    if (!sc) {
        check_errors(errors);
    } else {
        if (errors)
            fail("a scenario and errors", errors);
        check_times(sc);
        char *again_errors = NULL;
        scenario_t *again = scenario_load_data(FUZZ_PATH, text, text_len, (char *const *)sets->pdata,
                                               (int)sets->len, &again_errors);
        if (!again || strcmp(again->params, sc->params) != 0)
            fail("loading twice gave another result", again_errors);
        scenario_free(again);

        GPtrArray *back = params_as_sets(sc->params);
        char *back_errors = NULL;
        scenario_t *rt = scenario_load_data(FUZZ_PATH, "", 0, (char *const *)back->pdata, (int)back->len,
                                            &back_errors);
        if (!rt)
            fail("the resolved parameters, given back as --set arguments, are refused", back_errors);
        if (strcmp(rt->params, sc->params) != 0) {
            char *both = g_strdup_printf("first:\n%s\nback:\n%s", sc->params, rt->params);
            fail("the resolved parameters do not round-trip through --set", both);
        }
        scenario_free(rt);
        g_ptr_array_free(back, TRUE);
        scenario_free(sc);
    }
    g_free(errors);
    g_ptr_array_free(sets, TRUE);
    return 0;
}
