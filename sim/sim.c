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
 * The wall clock is read only for the progress line and for run metadata.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim_int.h"

void sim_fail(sim_t *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    s->error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    s->failed = true;
}

static void record_topology(sim_t *s)
{
    if (!s->rec)
        return;
    for (uint32_t i = 0; i < s->nnodes && !s->failed; i++) {
        const node_t *nd = &s->nodes[i];
        if (!record_node(s->rec, i, s->profile->region[nd->region], nd->upload_bps, nd->download_bps,
                         nd->adj_len))
            sim_fail(s, "%s", record_error(s->rec));
    }
    for (uint32_t l = 0; l < s->nlinks && !s->failed; l++) {
        const link_t *k = &s->links[l];
        if (!record_link(s->rec, l, k->a, k->b,
                         s->lat_mean_ns[s->nodes[k->a].region][s->nodes[k->b].region]))
            sim_fail(s, "%s", record_error(s->rec));
    }
    if (!s->failed && !record_flush(s->rec))
        sim_fail(s, "%s", record_error(s->rec));
}

sim_t *sim_new(const scenario_t *sc, record_t *rec)
{
    hash_init();
    sim_t *s = g_new0(sim_t, 1);
    s->sc = sc;
    s->profile = profile_get(sc->net.profile);
    s->rec = rec;
    s->q = evq_new();
    s->nnodes = sc->net.nodes;
    s->nodes = g_new0(node_t, s->nnodes);
    rng_stream(&s->workload_rng, sc->seed, RNG_WORKLOAD, 0);
    rng_stream(&s->fault_rng, sc->seed, RNG_FAULTS, 0);
    hasher_begin(&s->trace);
    net_build(s);
    record_topology(s);
    fault_schedule(s);
    bcast_schedule(s);
    chain_init(s);
    return s;
}

void sim_free(sim_t *s)
{
    if (!s)
        return;
    ev_t ev; /* owned messages still in flight */
    while (evq_pop(s->q, &ev))
        if (ev.kind == EV_DELIVER)
            msg_free_owned(ev.d.p);
    chain_free(s);
    bcast_free(s);
    net_free(s);
    g_free(s->nodes);
    evq_free(s->q);
    g_free(s->error);
    g_free(s);
}

/* ---------- trace and digest ---------- */

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* One trace record per processed event: an 8-byte fingerprint of the event
 * (time, event kind, message kind, the two node/link fields and the payload
 * id: message, block or broadcast number), mixed with the splitmix64
 * finalizer. The digest is BLAKE2b-256 over these records in order; any
 * divergence of the run changes them. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void sim_trace_bytes(sim_t *s, const uint8_t *rec, size_t n)
{
    if (s->trace_len + n > sizeof s->trace_buf) {
        hasher_update(&s->trace, s->trace_buf, s->trace_len);
        s->trace_len = 0;
    }
    memcpy(s->trace_buf + s->trace_len, rec, n);
    s->trace_len += n;
}

static void trace_event(sim_t *s, const ev_t *ev)
{
    uint64_t payload = ev->d.u;
    uint64_t msg_kind = 0xff;
    if (ev->kind == EV_DELIVER) {
        const msg_t *m = ev->d.p;
        payload = m->id;
        msg_kind = m->kind;
    } else if (ev->kind == EV_CHECKED) {
        payload = ((const sblock_t *)ev->d.p)->b->index;
    }
    uint64_t h = mix64(ev->time_ns);
    h = mix64(h ^ ((uint64_t)ev->kind << 56 | msg_kind << 48 | (payload & 0xffffffffffffull)));
    h = mix64(h ^ ((uint64_t)ev->d.a << 32 | ev->d.b));
    uint8_t rec[8];
    put_u64(rec, h);
    sim_trace_bytes(s, rec, sizeof rec);
}

static void finish_digest(sim_t *s)
{
    uint8_t rec[16];
    put_u64(rec, s->now_ns);
    put_u64(rec + 8, s->events);
    sim_trace_bytes(s, rec, sizeof rec);
    for (uint32_t i = 0; i < s->nbcasts; i++) {
        put_u32(rec, i);
        put_u32(rec + 4, s->bcasts[i].reached);
        sim_trace_bytes(s, rec, 8);
    }
    chain_trace_final(s);
    hasher_update(&s->trace, s->trace_buf, s->trace_len);
    s->trace_len = 0;
    hash32_t h;
    hasher_end(&s->trace, &h);
    hash_to_hex(&h, s->digest_hex);
}

const char *sim_digest(const sim_t *s)
{
    return s->digest_hex;
}

uint64_t sim_events(const sim_t *s)
{
    return s->events;
}

const char *sim_error(const sim_t *s)
{
    return s->error;
}

static const char *human(uint64_t ns, char *buf, size_t n);

/* ---------- the loop ---------- */

static void dispatch(sim_t *s, const ev_t *ev)
{
    switch (ev->kind) {
    case EV_DELIVER: {
        const msg_t *m = ev->d.p;
        if (net_accept(s, ev)) {
            switch (m->kind) {
            case MSG_BCAST_DATA:
            case MSG_BCAST_INV:
            case MSG_BCAST_GETDATA:
                bcast_receive(s, ev->d.a, ev->d.e, ev->d.b, m);
                break;
            case MSG_TX_INV:
            case MSG_TX_GETDATA:
            case MSG_TX:
                txrelay_receive(s, ev->d.a, ev->d.e, ev->d.b, m);
                break;
            default:
                chain_receive(s, ev->d.a, ev->d.e, ev->d.b, m);
                break;
            }
        }
        msg_free_owned(m);
        break;
    }
    case EV_MINE:
        chain_mine(s, ev->d.a, ev->d.c);
        break;
    case EV_CHECKED:
        chain_checked(s, ev->d.a, ev->d.b, ev->d.p);
        break;
    case EV_TX_SUBMIT:
        txrelay_submit(s);
        break;
    case EV_TX_FLUSH:
        txrelay_flush(s, ev->d.a);
        break;
    case EV_SAMPLE:
        chain_sample(s);
        break;
    case EV_ATTEST:
        chain_attest(s, ev->d.u);
        break;
    case EV_FAULT:
        fault_apply(s, ev->d.a);
        break;
    case EV_RESTART:
        fault_restart(s, ev->d.a);
        break;
    case EV_BROADCAST:
        bcast_start(s, (uint32_t)ev->d.u);
        break;
    default:
        g_assert_not_reached();
    }
}

static void progress(sim_t *s, FILE *out, gint64 start_us, bool final)
{
    if (final) {
        fprintf(out, "\r\033[K");
        fflush(out);
        return;
    }
    double wall_s = (double)(g_get_monotonic_time() - start_us) / 1e6;
    double frac = (double)s->now_ns / (double)s->sc->duration_ns;
    double evps = wall_s > 0 ? (double)s->events / wall_s : 0;
    char now[32], eta[32];
    human(s->now_ns, now, sizeof now);
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
    for (int k = 0; k < MSG_KIND_COUNT; k++) {
        const msg_stats_t *m = &s->stats[k];
        if (!m->sent)
            continue;
        record_msg_stats_t r = { msg_kind_names[k], m->sent, m->bytes_sent, m->delivered, m->lost,
                                 m->dropped_partition, m->dropped_down, m->in_flight };
        if (!record_msg_stats(s->rec, &r))
            return false;
    }
    return bcast_record(s) && chain_record(s);
}

bool sim_step(sim_t *s)
{
    return sim_step_until(s, UINT64_MAX);
}

bool sim_step_until(sim_t *s, uint64_t limit_ns)
{
    ev_t ev;
    if (!evq_pop_until(s->q, limit_ns, &ev))
        return false; /* the queue asserts that time never goes backward */
    s->now_ns = ev.time_ns;
    s->events++;
    trace_event(s, &ev);
    dispatch(s, &ev);
    return true;
}

sim_status_t sim_run(sim_t *s, const sim_opts_t *opts)
{
    const uint64_t end_ns = s->sc->duration_ns;
    gint64 start_us = g_get_monotonic_time(), last_us = start_us;
    sim_status_t status = SIM_COMPLETE;

    while (!s->failed) {
        if (opts && opts->stop && *opts->stop) {
            status = SIM_INTERRUPTED;
            break;
        }
        if (!sim_step_until(s, end_ns))
            break;
        if (opts && opts->progress && (s->events & 8191) == 0) {
            gint64 t = g_get_monotonic_time();
            if (t - last_us > 250000) {
                progress(s, opts->progress, start_us, false);
                last_us = t;
            }
        }
    }
    if (opts && opts->progress)
        progress(s, opts->progress, start_us, true);
    if (status == SIM_COMPLETE && !s->failed && evq_len(s->q) > 0)
        s->now_ns = end_ns; /* ran to the time limit */
    finish_digest(s);

    if (evq_error(s->q)) /* a push failed (out of memory): the loop stopped */
        sim_fail(s, "%s", evq_error(s->q));
    if (s->failed)
        status = SIM_FAILED;
    if (s->rec) {
        if (!record_stats(s))
            sim_fail(s, "%s", record_error(s->rec));
        if (s->failed)
            status = SIM_FAILED;
        const char *st = status == SIM_COMPLETE ? "complete" : status == SIM_INTERRUPTED ? "interrupted" : "failed";
        const char *why = s->error ? s->error : status == SIM_INTERRUPTED ? "stopped by a signal" : NULL;
        if (!record_finish(s->rec, st, why, s->now_ns, s->events, s->digest_hex))
            sim_fail(s, "%s", record_error(s->rec));
        if (s->failed)
            status = SIM_FAILED;
    }
    return status;
}

/* ---------- summary ---------- */

/* A duration rounded for reading: "3.050 s", "824.3 ms", "12.0 us". */
static const char *human(uint64_t ns, char *buf, size_t n)
{
    if (ns >= 1000000000ull)
        snprintf(buf, n, "%.3f s", (double)ns / 1e9);
    else if (ns >= 1000000ull)
        snprintf(buf, n, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, n, "%.1f us", (double)ns / 1e3);
    return buf;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Median over broadcasts of the time to reach frac_ppm of the nodes;
 * *count gets how many broadcasts reached it. */
static uint64_t median_reach(const sim_t *s, uint32_t frac_ppm, uint32_t *count)
{
    uint64_t *v = g_new(uint64_t, s->nbcasts ? s->nbcasts : 1);
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->nbcasts; i++) {
        uint64_t t = bcast_reach_ns(s, &s->bcasts[i], frac_ppm);
        if (t != UINT64_MAX)
            v[k++] = t;
    }
    *count = k;
    uint64_t m = UINT64_MAX;
    if (k) {
        qsort(v, k, sizeof *v, cmp_u64);
        m = v[(k - 1) / 2];
    }
    g_free(v);
    return m;
}

void sim_print_summary(const sim_t *s, FILE *out)
{
    const scenario_t *sc = s->sc;
    static const char *const topo[] = { "random-outdegree", "random-regular", "full-mesh", "small-world" };
    char buf[32];
    fprintf(out, "scenario %s: %u nodes, %u links (%s, %s profile), seed %" G_GUINT64_FORMAT "\n", sc->name,
            s->nnodes, s->nlinks, topo[sc->net.topology], s->profile->name, sc->seed);
    fprintf(out, "simulated %s, %" G_GUINT64_FORMAT " events\n", human(s->now_ns, buf, sizeof buf),
            s->events);
    fprintf(out, "%-10s %12s %12s %10s %10s %10s %14s\n", "messages", "sent", "delivered", "lost", "partition",
            "down", "bytes");
    for (int k = 0; k < MSG_KIND_COUNT; k++) {
        const msg_stats_t *m = &s->stats[k];
        if (!m->sent)
            continue;
        fprintf(out, "%-10s %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
                " %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT "\n",
                msg_kind_names[k], m->sent, m->delivered, m->lost, m->dropped_partition, m->dropped_down,
                m->bytes_sent);
    }
    if (s->faults_applied)
        fprintf(out, "timed events applied: %u\n", s->faults_applied);
    chain_print_summary(s, out);
    if (s->nbcasts) {
        uint32_t all = 0;
        for (uint32_t i = 0; i < s->nbcasts; i++)
            all += s->bcasts[i].reached == s->nnodes;
        fprintf(out, "broadcasts: %u of %" G_GUINT64_FORMAT " B, %u reached every node\n", s->nbcasts,
                sc->broadcast.size_bytes, all);
        fprintf(out, "propagation, median over broadcasts of the time to reach:\n");
        static const uint32_t fr[] = { 500000, 900000, 1000000 };
        for (int i = 0; i < 3; i++) {
            uint32_t k;
            uint64_t t = median_reach(s, fr[i], &k);
            fprintf(out, "  %3u%% of nodes  %s  (%u broadcasts got there)\n", fr[i] / 10000,
                    t == UINT64_MAX ? "never" : human(t, buf, sizeof buf), k);
        }
    }
}
