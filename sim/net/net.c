/*
 * net.c - the network model: node placement, topology, latency, bandwidth,
 * upload queues, loss, and the checks a message passes on the way.
 *
 * A message from A to B over a link:
 *   1. is refused at once if A and B are in different partition groups;
 *   2. waits in A's upload queue (per node, or per link direction) and is
 *      serialized at min(A's upload, B's download): the queue is FIFO and is
 *      represented by the time its last transfer ends (busy_until), which is
 *      exact for FIFO service in time order;
 *   3. is lost with the loss probability of the region pair (bandwidth is
 *      still spent);
 *   4. travels for a latency drawn from the region pair's distribution,
 *      then scaled and offset by the current latency modifiers;
 *   5. on arrival is dropped if B is down, if A crashed before the transfer
 *      began, or if a partition now separates them.
 * Every message sent is counted exactly once as delivered, lost,
 * dropped_partition or dropped_down (or is still in flight at the end).
 *
 * Topologies are built from the topology stream into an edge list (with a
 * hash set of edges used only for membership), then into CSR adjacency in
 * link order, so iteration order never depends on hashing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/net/net.h"

uint64_t net_transfer_ns(uint64_t size_bytes, uint64_t bandwidth_bps)
{
    if (size_bytes < (1ull << 31)) /* the common case fits 64-bit arithmetic */
        return (size_bytes * 8000000000ull + bandwidth_bps - 1) / bandwidth_bps;
    unsigned __int128 bits_e9 = (unsigned __int128)size_bytes * 8u * 1000000000u;
    unsigned __int128 t = (bits_e9 + bandwidth_bps - 1) / bandwidth_bps;
    return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

/* ---------- topology ---------- */

typedef struct builder {
    GArray *edges;   /* link_t */
    GHashTable *set; /* (min << 32 | max) -> present */
} builder_t;

static uint64_t edge_key(uint32_t a, uint32_t b)
{
    return a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
}

/* Edge keys are stored in the pointer itself (64-bit platforms). */
G_STATIC_ASSERT(sizeof(gpointer) >= sizeof(uint64_t));

static guint edge_hash(gconstpointer p)
{
    uint64_t k = (uintptr_t)p;
    k ^= k >> 29;
    k *= 0xbf58476d1ce4e5b9ull;
    return (guint)(k ^ (k >> 32));
}

static gpointer key_ptr(uint32_t a, uint32_t b)
{
    return (gpointer)(uintptr_t)edge_key(a, b);
}

static bool has_edge(builder_t *bl, uint32_t a, uint32_t b)
{
    return g_hash_table_contains(bl->set, key_ptr(a, b));
}

static bool add_edge(builder_t *bl, uint32_t a, uint32_t b)
{
    if (a == b || has_edge(bl, a, b))
        return false;
    g_hash_table_add(bl->set, key_ptr(a, b));
    link_t l = { .a = a, .b = b };
    g_array_append_val(bl->edges, l);
    return true;
}

static void del_edge(builder_t *bl, uint32_t a, uint32_t b)
{
    g_hash_table_remove(bl->set, key_ptr(a, b));
}

/* Each node opens k outbound links, k drawn from the cumulative table;
 * inbound links are accepted without limit. */
static void build_outdegree(net_t *net, builder_t *bl, rng_t *r)
{
    const uint32_t n = net->nnodes;
    uint32_t cdf_ppm[SCENARIO_MAX_CDF];
    uint32_t len = net->sc->net.outdegree_cdf_len;
    for (uint32_t i = 0; i < len; i++)
        cdf_ppm[i] = (uint32_t)llround(net->sc->net.outdegree_cdf[i] * 1e6);
    cdf_ppm[len - 1] = 1000000;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)rng_below(r, 1000000);
        uint32_t k = 0;
        while (k < len - 1 && u >= cdf_ppm[k])
            k++;
        k += 1; /* table index 0 is "at most 1 peer" */
        if (k > n - 1)
            k = n - 1;
        uint32_t made = 0;
        for (uint32_t tries = 0; made < k && tries < 64 * k; tries++)
            if (add_edge(bl, i, (uint32_t)rng_below(r, n)))
                made++;
    }
}

/* Degree-preserving random rewiring of a regular circulant graph. */
static void build_regular(net_t *net, builder_t *bl, rng_t *r)
{
    const uint32_t n = net->nnodes, k = net->sc->net.degree;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 1; j <= k / 2; j++)
            add_edge(bl, i, (i + j) % n);
    if (k % 2)
        for (uint32_t i = 0; i < n / 2; i++)
            add_edge(bl, i, i + n / 2);
    link_t *e = (link_t *)bl->edges->data;
    uint32_t m = bl->edges->len;
    if (m < 2)
        return;
    for (uint64_t t = 0; t < 10ull * m; t++) {
        uint32_t x = (uint32_t)rng_below(r, m), y = (uint32_t)rng_below(r, m);
        if (x == y)
            continue;
        uint32_t a = e[x].a, b = e[x].b, c = e[y].a, d = e[y].b;
        if (rng_below(r, 2)) {
            uint32_t tmp = c;
            c = d;
            d = tmp;
        }
        /* (a,b),(c,d) -> (a,c),(b,d) */
        if (a == c || b == d || has_edge(bl, a, c) || has_edge(bl, b, d))
            continue;
        del_edge(bl, a, b);
        del_edge(bl, c, d);
        g_hash_table_add(bl->set, key_ptr(a, c));
        g_hash_table_add(bl->set, key_ptr(b, d));
        e[x] = (link_t){ .a = a, .b = c };
        e[y] = (link_t){ .a = b, .b = d };
    }
}

static void build_mesh(net_t *net, builder_t *bl)
{
    for (uint32_t i = 0; i < net->nnodes; i++)
        for (uint32_t j = i + 1; j < net->nnodes; j++)
            add_edge(bl, i, j);
}

/* Watts-Strogatz: ring lattice, each link's far end rewired with probability p. */
static void build_small_world(net_t *net, builder_t *bl, rng_t *r)
{
    const uint32_t n = net->nnodes, k = net->sc->net.degree;
    for (uint32_t j = 1; j <= k / 2; j++) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t far = (i + j) % n;
            /* rewire by chance, or when an earlier rewiring took this pair */
            if (rng_chance_ppm(r, net->sc->net.rewire_ppm) || has_edge(bl, i, far)) {
                for (int tries = 0; tries < 64; tries++) {
                    uint32_t cand = (uint32_t)rng_below(r, n);
                    if (cand != i && !has_edge(bl, i, cand)) {
                        far = cand;
                        break;
                    }
                }
            }
            add_edge(bl, i, far);
        }
    }
}

static void build_adjacency(net_t *net)
{
    const uint32_t n = net->nnodes;
    uint32_t *deg = g_new0(uint32_t, n);
    for (uint32_t l = 0; l < net->nlinks; l++) {
        deg[net->links[l].a]++;
        deg[net->links[l].b]++;
    }
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        net->nodes[i].adj_off = off;
        net->nodes[i].adj_len = 0;
        off += deg[i];
    }
    net->adj_peer = g_new(uint32_t, off ? off : 1);
    net->adj_link = g_new(uint32_t, off ? off : 1);
    for (uint32_t l = 0; l < net->nlinks; l++) {
        uint32_t ends[2] = { net->links[l].a, net->links[l].b };
        for (int e = 0; e < 2; e++) {
            node_t *nd = &net->nodes[ends[e]];
            uint32_t at = nd->adj_off + nd->adj_len++;
            net->adj_peer[at] = ends[1 - e];
            net->adj_link[at] = l;
        }
    }
    g_free(deg);
}

static void net_build(net_t *net)
{
    const scenario_t *sc = net->sc;
    const profile_t *p = net->profile;
    const uint32_t n = net->nnodes;

    uint64_t share[PROFILE_MAX_REGIONS];
    for (int r = 0; r < p->nregions; r++)
        share[r] = p->share_ppm[r];
    for (uint32_t i = 0; i < n; i++) {
        node_t *nd = &net->nodes[i];
        rng_t pr;
        rng_stream(&pr, sc->seed, RNG_PLACEMENT, i);
        nd->id = i;
        nd->region = (uint8_t)rng_weighted(&pr, share, (size_t)p->nregions);
        nd->up = true;
        nd->upload_bps = sc->net.upload_bps ? sc->net.upload_bps : p->upload_bps[nd->region];
        nd->download_bps = sc->net.download_bps ? sc->net.download_bps : p->download_bps[nd->region];
        rng_stream(&nd->rng, sc->seed, RNG_NODE, i);
    }

    for (int a = 0; a < p->nregions; a++) {
        for (int b = 0; b < p->nregions; b++) {
            net->lat_mean_ns[a][b] = sc->net.profile == PROFILE_UNIFORM ? sc->net.latency_mean_ns
                                                                       : (uint64_t)p->latency_ms[a][b] * 1000000u;
            net->lat_scale_ppm[a][b] = 1000000;
            net->lat_add_ns[a][b] = 0;
            net->loss_ppm[a][b] = sc->net.loss_ppm;
        }
    }

    rng_t tr;
    rng_stream(&tr, sc->seed, RNG_TOPOLOGY, 0);
    builder_t bl = {
        .edges = g_array_new(FALSE, FALSE, sizeof(link_t)),
        .set = g_hash_table_new(edge_hash, g_direct_equal),
    };
    switch (sc->net.topology) {
    case TOPO_RANDOM_OUTDEGREE: build_outdegree(net, &bl, &tr); break;
    case TOPO_RANDOM_REGULAR: build_regular(net, &bl, &tr); break;
    case TOPO_FULL_MESH: build_mesh(net, &bl); break;
    case TOPO_SMALL_WORLD: build_small_world(net, &bl, &tr); break;
    }
    g_hash_table_destroy(bl.set);
    net->nlinks = bl.edges->len;
    net->links = (link_t *)g_array_free(bl.edges, FALSE);
    if (sc->net.upload_queue == UPQ_PER_LINK)
        net->link_busy_ns = g_new0(uint64_t, 2 * (size_t)net->nlinks + 1);
    build_adjacency(net);
}

void net_clear(net_t *net)
{
    g_free(net->nodes);
    g_free(net->links);
    g_free(net->link_busy_ns);
    g_free(net->adj_peer);
    g_free(net->adj_link);
}

/* ---------- latency ---------- */

uint64_t net_latency_ns(net_t *net, uint32_t from, uint32_t to)
{
    node_t *f = &net->nodes[from];
    const int ra = f->region, rb = net->nodes[to].region;
    const uint64_t mean_ns = net->lat_mean_ns[ra][rb];
    const double m = (double)mean_ns;
    double v;
    switch (net->sc->net.latency) {
    case LAT_UNIFORM: {
        double j = (double)net->sc->net.latency_jitter_ppm / 1e6;
        v = m * (1.0 - j) + rng_unit(&f->rng) * 2.0 * j * m;
        break;
    }
    case LAT_PARETO: {
        double floor_ns = (double)net->sc->net.latency_floor_ns;
        v = m > floor_ns ? rng_pareto(&f->rng, m - floor_ns, m / floor_ns) : m;
        break;
    }
    case LAT_LOGNORMAL: {
        double sigma = (double)net->sc->net.latency_sigma_ppm / 1e6;
        v = rng_lognormal(&f->rng, log(m) - sigma * sigma / 2.0, sigma);
        break;
    }
    case LAT_CONSTANT:
    default:
        v = m;
        break;
    }
    /* Cap pathological tail draws at an hour of simulated time. */
    uint64_t ns = v < 3.6e12 ? (uint64_t)llround(v) : 3600000000000ull;
    const uint64_t scale_ppm = net->lat_scale_ppm[ra][rb];
    if (scale_ppm != 1000000)
        ns = (uint64_t)((unsigned __int128)ns * scale_ppm / 1000000u);
    return ns + net->lat_add_ns[ra][rb];
}

/* ---------- sending and receiving ---------- */

static void free_owned(const net_t *net, const msg_t *m)
{
    if (m->flags & MSG_F_OWNED)
        net->kinds[m->kind].free(m);
}

void net_on_kind(net_t *net, uint16_t kind, const char *name, net_receive_fn receive, net_free_fn free, void *ctx)
{
    g_assert(kind < NET_MAX_KINDS && !net->kinds[kind].receive && receive);
    net->kinds[kind] = (net_kind_t){ .name = name, .receive = receive, .free = free, .ctx = ctx };
}

void net_on_restart(net_t *net, net_node_fn fn, void *ctx)
{
    g_assert(!net->on_restart);
    net->on_restart = fn;
    net->on_restart_ctx = ctx;
}

void net_on_script(net_t *net, net_script_fn fn, void *ctx)
{
    g_assert(!net->on_script);
    net->on_script = fn;
    net->on_script_ctx = ctx;
}

void net_set_tap(net_t *net, const net_tap_t *tap)
{
    net->tap = tap;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void net_send(net_t *net, uint32_t from, uint32_t to, uint32_t link, const msg_t *m)
{
    node_t *f = &net->nodes[from], *t = &net->nodes[to];
    msg_stats_t *st = &net->stats[m->kind];
    st->sent++;
    if (f->group != t->group) {
        st->dropped_partition++;
        if (net->tap && net->tap->sent)
            net->tap->sent(net->tap->ctx, from, to, m, NET_DROPPED_PARTITION, 0, 0);
        free_owned(net, m);
        return;
    }
    st->bytes_sent += m->size_bytes;
    const scenario_t *sc = net->sc;
    const bool control = m->flags & MSG_F_CONTROL;
    uint64_t unqueued_ns = 0; /* a control message that skips the queue leaves now */
    uint64_t *busy = &unqueued_ns;
    uint64_t start_ns = net->eng->now_ns, xfer_ns = 0;
    if (!control || sc->net.control_queued) {
        uint64_t bw = f->upload_bps < t->download_bps ? f->upload_bps : t->download_bps;
        xfer_ns = net_transfer_ns(m->size_bytes, bw);
        if (!control)
            xfer_ns = sat_add(xfer_ns, sc->net.processing_ns);
        busy = &f->up_busy_until_ns;
        if (sc->net.upload_queue == UPQ_PER_LINK)
            busy = &net->link_busy_ns[2 * (size_t)link + (net->links[link].a == from ? 0 : 1)];
        start_ns = *busy > net->eng->now_ns ? *busy : net->eng->now_ns;
    }
    /* Saturating: a node that queues more than it can ever send (a tiny
     * bandwidth, a flood) stays busy to the end of time instead of wrapping
     * around to the past. */
    uint64_t sent_ns = sat_add(start_ns, xfer_ns);
    *busy = sent_ns;

    uint32_t loss = net->loss_ppm[f->region][t->region];
    bool lost = loss && rng_chance_ppm(&f->rng, loss);
    uint64_t lat_ns = lost && sc->net.uplink_release == UPLINK_SENT ? 0 : net_latency_ns(net, from, to);
    if (control)
        lat_ns = sat_add(lat_ns, sc->net.control_delay_ns);
    uint64_t at_ns = sat_add(sent_ns, lat_ns);
    if (sc->net.uplink_release == UPLINK_ARRIVED)
        *busy = at_ns; /* the sender's queue waits for the arrival (SimBlock's model) */
    if (lost) {
        st->lost++;
        if (net->tap && net->tap->sent)
            net->tap->sent(net->tap->ctx, from, to, m, NET_LOST, start_ns, 0);
        free_owned(net, m);
        return;
    }
    st->in_flight++;
    if (net->tap && net->tap->sent)
        net->tap->sent(net->tap->ctx, from, to, m, NET_SENT, start_ns, at_ns);
    engine_at(net->eng, at_ns, EV_DELIVER,
             (ev_data_t){ .a = to, .b = link, .c = f->epoch, .e = from, .u = start_ns, .p = (void *)m });
}

bool net_accept(net_t *net, const ev_t *ev)
{
    const msg_t *m = ev->d.p;
    node_t *t = &net->nodes[ev->d.a];
    node_t *f = &net->nodes[ev->d.e];
    msg_stats_t *st = &net->stats[m->kind];
    st->in_flight--;
    if (!t->up || (f->epoch != ev->d.c && f->crashed_at_ns <= ev->d.u)) {
        st->dropped_down++;
        return false;
    }
    if (f->group != t->group) {
        st->dropped_partition++;
        return false;
    }
    st->delivered++;
    return true;
}

/* EV_DELIVER: hands an accepted message to its kind's receiver, then frees
 * it when the network owns it. */
static void deliver(void *ctx, const ev_t *ev)
{
    net_t *net = ctx;
    const msg_t *m = ev->d.p;
    if (net_accept(net, ev)) {
        const net_kind_t *k = &net->kinds[m->kind];
        if (net->tap && net->tap->received)
            net->tap->received(net->tap->ctx, ev->d.a, ev->d.e, m, ev->d.u);
        k->receive(k->ctx, ev->d.a, ev->d.e, ev->d.b, m);
    }
    free_owned(net, m);
}

static uint64_t trace_delivery(const ev_t *ev, uint64_t *sub)
{
    const msg_t *m = ev->d.p;
    *sub = m->kind;
    return m->id;
}

static void discard_delivery(void *ctx, const ev_t *ev)
{
    free_owned(ctx, ev->d.p);
}

/* ---------- recording and summary ---------- */

static void record_topology(net_t *net)
{
    if (!net->rec)
        return;
    bool ok = true;
    for (uint32_t i = 0; i < net->nnodes && ok; i++) {
        const node_t *nd = &net->nodes[i];
        ok = record_node(net->rec, i, net->profile->region[nd->region], nd->upload_bps, nd->download_bps,
                         nd->adj_len);
    }
    for (uint32_t l = 0; l < net->nlinks && ok; l++) {
        const link_t *k = &net->links[l];
        ok = record_link(net->rec, l, k->a, k->b,
                         net->lat_mean_ns[net->nodes[k->a].region][net->nodes[k->b].region]);
    }
    if (!ok || !record_flush(net->rec))
        engine_fail(net->eng, "%s", record_error(net->rec));
}

void net_init(net_t *net, engine_t *eng, const scenario_t *sc, record_t *rec)
{
    memset(net, 0, sizeof *net);
    net->eng = eng;
    net->sc = sc;
    net->rec = rec;
    net->profile = profile_get(sc->net.profile);
    net->nnodes = sc->net.nodes;
    net->nodes = g_new0(node_t, net->nnodes);
    rng_stream(&net->fault_rng, sc->seed, RNG_FAULTS, 0);
    net_build(net);
    record_topology(net);
    engine_on(eng, EV_DELIVER, deliver, trace_delivery, discard_delivery, net);
    fault_schedule(net);
}

bool net_record_stats(net_t *net)
{
    for (int k = 0; k < NET_MAX_KINDS && net->rec; k++) {
        const msg_stats_t *m = &net->stats[k];
        if (!m->sent)
            continue;
        record_msg_stats_t r = { net->kinds[k].name, m->sent, m->bytes_sent, m->delivered, m->lost,
                                 m->dropped_partition, m->dropped_down, m->in_flight };
        if (!record_msg_stats(net->rec, &r))
            return false;
    }
    return true;
}

void net_print_summary(const net_t *net, FILE *out)
{
    fprintf(out, "%-10s %12s %12s %10s %10s %10s %14s\n", "messages", "sent", "delivered", "lost", "partition",
            "down", "bytes");
    for (int k = 0; k < NET_MAX_KINDS; k++) {
        const msg_stats_t *m = &net->stats[k];
        if (!m->sent)
            continue;
        fprintf(out, "%-10s %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
                " %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT "\n",
                net->kinds[k].name, m->sent, m->delivered, m->lost, m->dropped_partition, m->dropped_down,
                m->bytes_sent);
    }
    if (net->faults_applied)
        fprintf(out, "timed events applied: %u\n", net->faults_applied);
}
