/*
 * stored.c - a recorded run loaded to be run again (replay, state, trace,
 * the SimBlock export): its run row and its scenario, rebuilt from the
 * stored text, path, overrides and seed.
 */
#include "analysis/stored.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "analysis/cli.h"
#include "sim/scenario/units.h"

int stored_load(const char *cmd, const char *path, int64_t *run_id, runinfo_t *ri, scenario_t **sc)
{
    sqlite3 *db = NULL;
    *sc = NULL;
    memset(ri, 0, sizeof *ri);
    int rc = runinfo_open(cmd, path, &db);
    if (!rc)
        rc = runinfo_pick(cmd, db, path, run_id);
    if (!rc)
        rc = runinfo_load(cmd, db, path, *run_id, ri);
    sqlite3_close(db);
    if (rc)
        return rc;
    if (!ri->scenario_text || !ri->scenario_path) {
        fprintf(stderr, "chainsim %s: %s: run %" G_GINT64_FORMAT " has no scenario text to run again\n", cmd, path,
                *run_id);
        return CLI_BADINPUT;
    }
    if (g_strcmp0(ri->version, CHAINSIM_VERSION) != 0)
        fprintf(stderr, "chainsim %s: note: run %" G_GINT64_FORMAT " was recorded by chainsim %s; this is chainsim %s, "
                "whose behaviour may differ\n", cmd, *run_id, ri->version ? ri->version : "(unknown)", CHAINSIM_VERSION);
    char **sets = g_strsplit(ri->overrides ? ri->overrides : "", "\n", -1);
    GPtrArray *ov = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; sets[i]; i++)
        if (*sets[i])
            g_ptr_array_add(ov, g_strdup(sets[i]));
    g_strfreev(sets);
    char *errors = NULL;
    *sc = scenario_load_text(ri->scenario_path, ri->scenario_text, (char *const *)ov->pdata, (int)ov->len, &errors);
    if (*sc && (*sc)->seed != ri->seed) { /* a seed given outside the overrides: pin it */
        scenario_free(*sc);
        g_ptr_array_add(ov, g_strdup_printf("scenario.seed=%" G_GUINT64_FORMAT, ri->seed));
        *sc = scenario_load_text(ri->scenario_path, ri->scenario_text, (char *const *)ov->pdata, (int)ov->len,
                                 &errors);
    }
    g_ptr_array_free(ov, TRUE);
    if (!*sc) {
        fputs(errors ? errors : "", stderr);
        fprintf(stderr, "chainsim %s: %s: the scenario of run %" G_GINT64_FORMAT " is not valid for this chainsim; "
                "nothing was run\n", cmd, path, *run_id);
        g_free(errors);
        return CLI_BADINPUT;
    }
    if (ri->params && strcmp(ri->params, (*sc)->params) != 0) {
        char **was = g_strsplit(ri->params, "\n", -1), **now = g_strsplit((*sc)->params, "\n", -1);
        fprintf(stderr, "chainsim %s: note: the parameters resolved now differ from the recorded ones:\n", cmd);
        int shown = 0;
        for (int i = 0; was[i] && shown < 5; i++)
            if (!g_strv_contains((const char *const *)now, was[i]) && *was[i]) {
                fprintf(stderr, "  recorded: %s\n", was[i]);
                shown++;
            }
        for (int i = 0; now[i] && shown < 10; i++)
            if (!g_strv_contains((const char *const *)was, now[i]) && *now[i]) {
                fprintf(stderr, "  now:      %s\n", now[i]);
                shown++;
            }
        g_strfreev(was);
        g_strfreev(now);
    }
    return CLI_GO_ON;
}

/* A time option (--until, --at): a duration with a unit, e.g. 90s. */
bool stored_check_time(void *dest, const char *value, char **why)
{
    if (!units_parse_duration(value, dest)) {
        *why = g_strdup("expected a simulated time with a unit, e.g. 90s, 1.5m or 2500ms");
        return false;
    }
    return true;
}

/* --node N: a node id, checked against the run once it is read. */
bool stored_check_node(void *dest, const char *value, char **why)
{
    uint64_t v;
    if (!units_parse_uint(value, &v) || v >= SCENARIO_MAX_NODES) {
        *why = g_strdup_printf("expected a node id, a whole number from 0 to %u", SCENARIO_MAX_NODES - 1);
        return false;
    }
    *(uint64_t *)dest = v;
    return true;
}
