/*
 * sim.c - the event loop of one run.
 *
 * sim_new builds the nodes and the network, records them, and schedules the
 * scenario's timed events and workload. sim_run pops events in (time, seq)
 * order until the queue is empty, the scenario's duration is reached or a
 * stop is requested, dispatching each by kind. Every processed event is
 * appended to the trace (fixed-width little-endian records, hashed in 4 KiB
 * blocks); the digest is the BLAKE2b-256 of the trace followed by the final
 * state (per broadcast, the nodes reached).
 *
 * The layers register their event kinds with the engine and their message
 * kinds with the network as they are set up; this file only wires them in
 * order (engine, network, protocols), runs the loop and ends the digest.
 *
 * The wall clock is read only for the progress line and for run metadata.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/scenario/units.h"
#include "sim/sim_int.h"

sim_t *sim_new(const scenario_t *sc, record_t *rec)
{
    hash_init();
    sim_t *s = g_new0(sim_t, 1);
    s->sc = sc;
    s->rec = rec;
    engine_init(&s->eng);
    net_init(&s->net, &s->eng, sc, rec);
    proto_init(&s->proto, &s->eng, &s->net, sc, rec);
    return s;
}

void sim_free(sim_t *s)
{
    if (!s)
        return;
    engine_clear(&s->eng); /* first: queued deliveries free their owned messages */
    proto_clear(&s->proto);
    net_clear(&s->net);
    g_free(s);
}

/* The digest: the engine's trace of every processed event, then the end
 * time and event count, then each layer's final state. */
static void finish_digest(sim_t *s)
{
    engine_trace_u64(&s->eng, s->eng.now_ns);
    engine_trace_u64(&s->eng, s->eng.events);
    proto_trace_final(&s->proto);
    engine_digest(&s->eng, s->digest_hex);
}

const char *sim_digest(const sim_t *s)
{
    return s->digest_hex;
}

uint64_t sim_events(const sim_t *s)
{
    return s->eng.events;
}

const char *sim_error(const sim_t *s)
{
    return s->eng.error;
}

/* ---------- the loop ---------- */

static void progress(sim_t *s, FILE *out, gint64 start_us, bool final)
{
    if (final) {
        fprintf(out, "\r\033[K");
        fflush(out);
        return;
    }
    double wall_s = (double)(g_get_monotonic_time() - start_us) / 1e6;
    double frac = (double)s->eng.now_ns / (double)s->sc->duration_ns;
    double evps = wall_s > 0 ? (double)s->eng.events / wall_s : 0;
    char now[32], eta[32];
    units_human_ns(s->eng.now_ns, now, sizeof now);
    if (frac > 0.001)
        snprintf(eta, sizeof eta, "%.0fs", wall_s / frac - wall_s);
    else
        snprintf(eta, sizeof eta, "?");
    fprintf(out, "\r\033[Ksim %s  %5.1f%%  %.2f M events/s  eta %s (at most)", now, 100.0 * frac, evps / 1e6,
            eta);
    fflush(out);
}

static bool record_stats(sim_t *s)
{
    if (!s->rec)
        return true;
    return net_record_stats(&s->net) && proto_record(&s->proto);
}

bool sim_step(sim_t *s)
{
    return sim_step_until(s, UINT64_MAX);
}

bool sim_step_until(sim_t *s, uint64_t limit_ns)
{
    return engine_step_until(&s->eng, limit_ns);
}

sim_status_t sim_run(sim_t *s, const sim_opts_t *opts)
{
    engine_t *e = &s->eng;
    const uint64_t end_ns = s->sc->duration_ns;
    gint64 start_us = g_get_monotonic_time(), last_us = start_us;
    sim_status_t status = SIM_COMPLETE;

    while (!e->failed) {
        if (opts && opts->stop && *opts->stop) {
            status = SIM_INTERRUPTED;
            break;
        }
        if (!engine_step_until(e, end_ns))
            break;
        if (opts && opts->progress && (e->events & 8191) == 0) {
            gint64 t = g_get_monotonic_time();
            if (t - last_us > 250000) {
                progress(s, opts->progress, start_us, false);
                last_us = t;
            }
        }
    }
    if (opts && opts->progress)
        progress(s, opts->progress, start_us, true);
    if (evq_error(e->q)) /* a push failed (out of memory): the loop stopped */
        engine_fail(e, "%s", evq_error(e->q));
    if (status == SIM_COMPLETE && !e->failed && evq_len(e->q) > 0)
        e->now_ns = end_ns; /* ran to the time limit */
    finish_digest(s);

    if (e->failed)
        status = SIM_FAILED;
    if (s->rec) {
        if (!record_stats(s))
            engine_fail(e, "%s", record_error(s->rec));
        if (e->failed)
            status = SIM_FAILED;
        const char *st = status == SIM_COMPLETE ? "complete" : status == SIM_INTERRUPTED ? "interrupted" : "failed";
        const char *why = e->error ? e->error : status == SIM_INTERRUPTED ? "stopped by a signal" : NULL;
        if (!record_finish(s->rec, st, why, e->now_ns, e->events, s->digest_hex))
            engine_fail(e, "%s", record_error(s->rec));
        if (e->failed)
            status = SIM_FAILED;
    }
    return status;
}

/* ---------- summary ---------- */

void sim_print_summary(const sim_t *s, FILE *out)
{
    const scenario_t *sc = s->sc;
    static const char *const topo[] = { "random-outdegree", "random-regular", "full-mesh", "small-world" };
    char buf[32];
    fprintf(out, "scenario %s: %u nodes, %u links (%s, %s profile), seed %" G_GUINT64_FORMAT "\n", sc->name,
            s->net.nnodes, s->net.nlinks, topo[sc->net.topology], s->net.profile->name, sc->seed);
    fprintf(out, "simulated %s, %" G_GUINT64_FORMAT " events\n", units_human_ns(s->eng.now_ns, buf, sizeof buf),
            s->eng.events);
    net_print_summary(&s->net, out);
    proto_print_summary(&s->proto, out);
}
