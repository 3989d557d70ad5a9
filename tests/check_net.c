/*
 * check_net.c - the network model: bandwidth and queueing arithmetic, latency
 * draws and modifiers, loss, partitions and heals, crashes, topologies,
 * placement, and per-node stream independence.
 */
#include <check.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "tests/testutil.h"

#define MS 1000000ull
#define S 1000000000ull

static sim_t *make(const char *text, scenario_t **scp)
{
    char *errors = NULL;
    scenario_t *sc = tu_load(text, &errors, NULL);
    ck_assert_msg(sc != NULL, "%s", errors ? errors : "");
    *scp = sc;
    return sim_new(sc, NULL);
}

static void destroy(sim_t *s, scenario_t *sc)
{
    sim_free(s);
    scenario_free(sc);
}

/* A three-node full mesh: one region, constant 100 ms latency, 8 Mbit/s. */
static const char *mesh3 =
    "[network]\nnodes = 3\nprofile = uniform\ntopology = full-mesh\nlatency = constant\n"
    "latency_mean = 100ms\nupload = 8Mbit/s\ndownload = 8Mbit/s\n%s\n%s";

static sim_t *make_mesh3(const char *extra_net, const char *events, scenario_t **sc)
{
    char *text = g_strdup_printf(mesh3, extra_net, events);
    sim_t *s = make(text, sc);
    g_free(text);
    ck_assert_uint_eq(s->net.nlinks, 3);
    return s;
}

static uint32_t link_between(sim_t *s, uint32_t a, uint32_t b)
{
    for (uint32_t l = 0; l < s->net.nlinks; l++)
        if ((s->net.links[l].a == a && s->net.links[l].b == b) || (s->net.links[l].a == b && s->net.links[l].b == a))
            return l;
    ck_abort_msg("no link %u-%u", a, b);
    return 0;
}

static msg_t big = { .kind = MSG_BCAST_DATA, .size_bytes = 1000000, .id = 1 };
static msg_t small = { .kind = MSG_BCAST_INV, .size_bytes = 100, .id = 2 };

static void send(sim_t *s, uint32_t a, uint32_t b, const msg_t *m)
{
    net_send(&s->net, a, b, link_between(s, a, b), m);
}

/* Pops the next delivery; returns its time and receiver, and whether the
 * network accepted it. Applies fault events met on the way. */
static bool next_delivery(sim_t *s, uint64_t *t, uint32_t *to)
{
    ev_t ev;
    for (;;) {
        ck_assert_msg(evq_pop(s->eng.q, &ev), "expected a pending delivery");
        s->eng.now_ns = ev.time_ns;
        if (ev.kind == EV_FAULT) {
            fault_apply(&s->net, ev.d.a);
            continue;
        }
        if (ev.kind == EV_RESTART) {
            fault_restart(&s->net, ev.d.a);
            continue;
        }
        ck_assert_int_eq(ev.kind, EV_DELIVER);
        *t = ev.time_ns;
        *to = ev.d.a;
        return net_accept(&s->net, &ev);
    }
}

START_TEST(test_transfer_arithmetic)
{
    ck_assert_uint_eq(net_transfer_ns(1000000, 8000000), 1 * S);
    ck_assert_uint_eq(net_transfer_ns(1, 3), 2666666667ull); /* rounded up */
    ck_assert_uint_eq(net_transfer_ns(535000, 19200000), 222916667ull);
    ck_assert_uint_eq(net_transfer_ns(0, 1000), 0);
    ck_assert_uint_eq(net_transfer_ns(1ull << 40, 1), UINT64_MAX); /* saturates */
}
END_TEST

START_TEST(test_per_node_upload_queue_is_fifo)
{
    scenario_t *sc;
    sim_t *s = make_mesh3("", "", &sc);
    uint64_t t;
    uint32_t to;
    send(s, 0, 1, &big); /* 1 s on the wire, then 100 ms */
    send(s, 0, 2, &big); /* waits for the first */
    ck_assert(next_delivery(s, &t, &to));
    ck_assert_uint_eq(t, 1 * S + 100 * MS);
    ck_assert_uint_eq(to, 1);
    ck_assert(next_delivery(s, &t, &to));
    ck_assert_uint_eq(t, 2 * S + 100 * MS);
    ck_assert_uint_eq(to, 2);
    /* An idle queue starts at once. */
    s->eng.now_ns = 5 * S;
    send(s, 0, 1, &big);
    ck_assert(next_delivery(s, &t, &to));
    ck_assert_uint_eq(t, 6 * S + 100 * MS);
    /* Receivers' download limits: min(up, down). */
    s->net.nodes[2].download_bps = 4000000;
    s->eng.now_ns = 10 * S;
    send(s, 1, 2, &big);
    ck_assert(next_delivery(s, &t, &to));
    ck_assert_uint_eq(t, 12 * S + 100 * MS);
    ck_assert_uint_eq(s->net.stats[MSG_BCAST_DATA].sent, 4);
    ck_assert_uint_eq(s->net.stats[MSG_BCAST_DATA].delivered, 4);
    ck_assert_uint_eq(s->net.stats[MSG_BCAST_DATA].bytes_sent, 4000000);
    destroy(s, sc);
}
END_TEST

/* A queue that would run past the end of time saturates instead of
 * wrapping around to the past. */
START_TEST(test_upload_queue_saturates)
{
    scenario_t *sc;
    sim_t *s = make_mesh3("", "", &sc);
    s->net.nodes[0].up_busy_until_ns = UINT64_MAX - 500 * MS;
    send(s, 0, 1, &big); /* 1 s on the wire: would end past 2^64 ns */
    ck_assert_uint_eq(s->net.nodes[0].up_busy_until_ns, UINT64_MAX);
    ev_t ev;
    ck_assert(evq_pop(s->eng.q, &ev));
    ck_assert_int_eq(ev.kind, EV_DELIVER);
    ck_assert_uint_eq(ev.time_ns, UINT64_MAX); /* never before it was sent */
    engine_discard(&s->eng, &ev);
    destroy(s, sc);
}
END_TEST

START_TEST(test_per_link_upload_queue)
{
    scenario_t *sc;
    sim_t *s = make_mesh3("upload_queue = per-link\n", "", &sc);
    uint64_t t1, t2, t3;
    uint32_t to;
    send(s, 0, 1, &big);
    send(s, 0, 2, &big); /* another link: in parallel */
    send(s, 0, 1, &big); /* same link: after the first */
    send(s, 1, 0, &big); /* other direction of the same link: in parallel */
    ck_assert(next_delivery(s, &t1, &to));
    ck_assert(next_delivery(s, &t2, &to));
    ck_assert(next_delivery(s, &t3, &to));
    ck_assert_uint_eq(t1, 1 * S + 100 * MS);
    ck_assert_uint_eq(t2, 1 * S + 100 * MS);
    ck_assert_uint_eq(t3, 1 * S + 100 * MS);
    ck_assert(next_delivery(s, &t1, &to));
    ck_assert_uint_eq(t1, 2 * S + 100 * MS);
    ck_assert_uint_eq(to, 1);
    destroy(s, sc);
}
END_TEST

START_TEST(test_partition_and_heal)
{
    scenario_t *sc;
    sim_t *s = make_mesh3("", "[event cut]\nat = 10s\ntype = partition\ngroups = 0-1\n"
                              "[event mend]\nat = 20s\ntype = heal\n", &sc);
    uint64_t t;
    uint32_t to;
    const msg_stats_t *st = &s->net.stats[MSG_BCAST_INV];
    /* In flight when the partition starts: dropped on arrival. */
    s->eng.now_ns = 10 * S - 50 * MS;
    send(s, 0, 2, &small);
    ck_assert(!next_delivery(s, &t, &to)); /* the cut (10 s) comes first */
    ck_assert_uint_eq(st->dropped_partition, 1);
    ck_assert_uint_eq(s->net.nodes[0].group, s->net.nodes[1].group);
    ck_assert_uint_ne(s->net.nodes[0].group, s->net.nodes[2].group);
    /* While partitioned: across groups refused when sent, within a group fine. */
    send(s, 0, 2, &small);
    ck_assert_uint_eq(st->dropped_partition, 2);
    ck_assert_uint_eq(evq_len(s->eng.q), 1); /* only the heal is pending */
    send(s, 1, 0, &small);
    ck_assert(next_delivery(s, &t, &to));
    ck_assert_uint_eq(to, 0);
    /* After the heal, across the old line again. */
    s->eng.now_ns = 15 * S;
    ev_t heal;
    ck_assert(evq_pop(s->eng.q, &heal));
    s->eng.now_ns = heal.time_ns;
    fault_apply(&s->net, heal.d.a);
    send(s, 0, 2, &small);
    ck_assert(next_delivery(s, &t, &to));
    ck_assert_uint_eq(to, 2);
    ck_assert_uint_eq(st->sent, 4);
    ck_assert_uint_eq(st->delivered + st->dropped_partition, st->sent);
    ck_assert_uint_eq(s->net.faults_applied, 2);
    destroy(s, sc);
}
END_TEST

START_TEST(test_partition_by_region_and_fraction)
{
    scenario_t *sc;
    sim_t *s = make("[network]\nnodes = 2000\n"
                    "[event a]\nat = 1s\ntype = partition\nby = regions\ngroups = europe; north-america,japan\n"
                    "[event b]\nat = 2s\ntype = partition\nby = fraction\ngroups = 30%; 20%\n", &sc);
    s->eng.now_ns = 1 * S;
    fault_apply(&s->net, 0);
    for (uint32_t i = 0; i < s->net.nnodes; i++) {
        const char *r = s->net.profile->region[s->net.nodes[i].region];
        uint16_t want = strcmp(r, "europe") == 0 ? 1 : strcmp(r, "north-america") == 0 || strcmp(r, "japan") == 0 ? 2 : 3;
        ck_assert_uint_eq(s->net.nodes[i].group, want);
    }
    s->eng.now_ns = 2 * S;
    fault_apply(&s->net, 1);
    uint32_t count[4] = { 0 };
    for (uint32_t i = 0; i < s->net.nnodes; i++)
        count[s->net.nodes[i].group]++;
    ck_assert_uint_eq(count[1], 600);
    ck_assert_uint_eq(count[2], 400);
    ck_assert_uint_eq(count[3], 1000);
    destroy(s, sc);
}
END_TEST

START_TEST(test_crash_and_restart)
{
    scenario_t *sc;
    sim_t *s = make_mesh3("", "[event down]\nat = 500ms\ntype = crash\nnodes = 0\nduration = 10s\n", &sc);
    uint64_t t;
    uint32_t to;
    const msg_stats_t *st = &s->net.stats[MSG_BCAST_DATA];
    send(s, 0, 1, &big); /* on the wire from 0 s: survives the crash */
    send(s, 0, 2, &big); /* would start at 1 s: lost with the crash */
    send(s, 1, 0, &big); /* to the crashed node: dropped */
    ck_assert(next_delivery(s, &t, &to));
    ck_assert_uint_eq(to, 1);
    ck_assert(!next_delivery(s, &t, &to));
    ck_assert(!next_delivery(s, &t, &to));
    ck_assert_uint_eq(st->dropped_down, 2);
    ck_assert(!s->net.nodes[0].up);
    /* Restart after 10 s: reachable again. */
    ev_t ev;
    ck_assert(evq_pop(s->eng.q, &ev));
    ck_assert_int_eq(ev.kind, EV_RESTART);
    ck_assert_uint_eq(ev.time_ns, 10 * S + 500 * MS);
    s->eng.now_ns = ev.time_ns;
    fault_restart(&s->net, ev.d.a);
    ck_assert(s->net.nodes[0].up);
    send(s, 1, 0, &big);
    ck_assert(next_delivery(s, &t, &to));
    ck_assert_uint_eq(st->delivered + st->dropped_down, st->sent);
    destroy(s, sc);
}
END_TEST

START_TEST(test_loss)
{
    scenario_t *sc;
    sim_t *s = make_mesh3("loss = 25%\n", "", &sc);
    const int n = 20000;
    for (int i = 0; i < n; i++)
        send(s, 1, 2, &small);
    const msg_stats_t *st = &s->net.stats[MSG_BCAST_INV];
    ck_assert_uint_eq(evq_len(s->eng.q) + st->lost, n);
    ck_assert_msg(fabs((double)st->lost / n - 0.25) < 0.015, "lost %" G_GUINT64_FORMAT, st->lost);
    destroy(s, sc);
}
END_TEST

START_TEST(test_latency_draws_and_modifiers)
{
    scenario_t *sc;
    sim_t *s = make("[network]\nnodes = 3000\nlatency = pareto\n"
                    "[event slow]\nat = 1s\ntype = latency\nbetween = europe,japan\nscale = 2\nadd = 10ms\n", &sc);
    int eu = -1, jp = -1, na = -1;
    for (uint32_t i = 0; i < s->net.nnodes; i++) {
        const char *r = s->net.profile->region[s->net.nodes[i].region];
        if (!strcmp(r, "europe") && eu < 0) eu = (int)i;
        if (!strcmp(r, "japan") && jp < 0) jp = (int)i;
        if (!strcmp(r, "north-america") && na < 0) na = (int)i;
    }
    ck_assert(eu >= 0 && jp >= 0 && na >= 0);
    const int n = 200000;
    double sum = 0;
    uint64_t min = UINT64_MAX;
    for (int i = 0; i < n; i++) {
        uint64_t v = net_latency_ns(&s->net, (uint32_t)eu, (uint32_t)na);
        sum += (double)v;
        min = v < min ? v : min;
    }
    double mean_ms = sum / n / 1e6;
    ck_assert_msg(fabs(mean_ms - 124.0) < 124.0 * 0.02, "pareto mean %.2f ms, want 124", mean_ms);
    ck_assert_uint_ge(min, 119 * MS);
    fault_apply(&s->net, 0);
    sum = 0;
    for (int i = 0; i < n; i++)
        sum += (double)net_latency_ns(&s->net, (uint32_t)jp, (uint32_t)eu);
    mean_ms = sum / n / 1e6;
    ck_assert_msg(fabs(mean_ms - (252.0 * 2 + 10)) < 514 * 0.02, "modified mean %.2f ms, want 514", mean_ms);
    sum = 0;
    for (int i = 0; i < n; i++)
        sum += (double)net_latency_ns(&s->net, (uint32_t)eu, (uint32_t)na);
    ck_assert_msg(fabs(sum / n / 1e6 - 124.0) < 124.0 * 0.02, "other pairs must be unchanged");
    destroy(s, sc);

    s = make("[network]\nnodes = 10\nprofile = uniform\nlatency = lognormal\nlatency_mean = 80ms\n", &sc);
    sum = 0;
    for (int i = 0; i < n; i++)
        sum += (double)net_latency_ns(&s->net, 0, 1);
    ck_assert_msg(fabs(sum / n / 1e6 - 80.0) < 80 * 0.02, "lognormal mean %.2f", sum / n / 1e6);
    destroy(s, sc);

    s = make("[network]\nnodes = 10\nprofile = uniform\nlatency = uniform\nlatency_mean = 80ms\n"
             "latency_jitter = 50%\n", &sc);
    sum = 0;
    for (int i = 0; i < n; i++) {
        uint64_t v = net_latency_ns(&s->net, 0, 1);
        ck_assert(v >= 40 * MS && v <= 120 * MS);
        sum += (double)v;
    }
    ck_assert_msg(fabs(sum / n / 1e6 - 80.0) < 80 * 0.01, "uniform mean %.2f", sum / n / 1e6);
    destroy(s, sc);
}
END_TEST

static void assert_simple_graph(sim_t *s)
{
    GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    for (uint32_t l = 0; l < s->net.nlinks; l++) {
        uint32_t a = s->net.links[l].a, b = s->net.links[l].b;
        ck_assert_uint_ne(a, b);
        int64_t *k = g_new(int64_t, 1);
        *k = a < b ? (int64_t)a << 32 | b : (int64_t)b << 32 | a;
        ck_assert_msg(!g_hash_table_contains(seen, k), "duplicate link %u-%u", a, b);
        g_hash_table_add(seen, k);
    }
    g_hash_table_destroy(seen);
    uint64_t total = 0;
    for (uint32_t i = 0; i < s->net.nnodes; i++)
        total += s->net.nodes[i].adj_len;
    ck_assert_uint_eq(total, 2ull * s->net.nlinks);
}

START_TEST(test_topologies)
{
    scenario_t *sc;
    sim_t *s = make("[network]\nnodes = 1000\ntopology = random-regular\ndegree = 7\n", &sc);
    assert_simple_graph(s);
    for (uint32_t i = 0; i < s->net.nnodes; i++)
        ck_assert_uint_eq(s->net.nodes[i].adj_len, 7);
    /* rewired: not the circulant any more */
    uint32_t far = 0;
    for (uint32_t l = 0; l < s->net.nlinks; l++) {
        uint32_t d = s->net.links[l].a > s->net.links[l].b ? s->net.links[l].a - s->net.links[l].b : s->net.links[l].b - s->net.links[l].a;
        far += d > 10 && d < 990;
    }
    ck_assert_uint_gt(far, s->net.nlinks / 2);
    destroy(s, sc);

    s = make("[network]\nnodes = 50\ntopology = full-mesh\n", &sc);
    assert_simple_graph(s);
    ck_assert_uint_eq(s->net.nlinks, 50 * 49 / 2);
    destroy(s, sc);

    s = make("[network]\nnodes = 1000\ntopology = small-world\ndegree = 6\nrewire = 0.2\n", &sc);
    assert_simple_graph(s);
    ck_assert_uint_eq(s->net.nlinks, 3000);
    destroy(s, sc);

    s = make("[network]\nnodes = 5000\n", &sc);
    assert_simple_graph(s);
    double mean = 0, prev = 0;
    for (int k = 0; k < 20; k++) {
        mean += (k + 1) * (profile_bitcoin_outdegree_cdf[k] - prev);
        prev = profile_bitcoin_outdegree_cdf[k];
    }
    double got = (double)s->net.nlinks / s->net.nnodes;
    ck_assert_msg(fabs(got - mean) < mean * 0.03, "outbound mean %.2f, table mean %.2f", got, mean);
    destroy(s, sc);
}
END_TEST

START_TEST(test_placement_shares)
{
    scenario_t *sc;
    sim_t *s = make("[network]\nnodes = 40000\ntopology = random-regular\ndegree = 2\n", &sc);
    uint32_t count[PROFILE_MAX_REGIONS] = { 0 };
    for (uint32_t i = 0; i < s->net.nnodes; i++)
        count[s->net.nodes[i].region]++;
    for (int r = 0; r < s->net.profile->nregions; r++) {
        double share = (double)count[r] / s->net.nnodes, want = s->net.profile->share_ppm[r] / 1e6;
        ck_assert_msg(fabs(share - want) < 0.01, "%s: %.4f, want %.4f", s->net.profile->region[r], share, want);
    }
    ck_assert_uint_eq(s->net.nodes[0].upload_bps, s->net.profile->upload_bps[s->net.nodes[0].region]);
    destroy(s, sc);
}
END_TEST

/* Adding nodes does not change another node's region or random stream. */
START_TEST(test_node_streams_independent)
{
    scenario_t *sc1, *sc2;
    sim_t *a = make("[network]\nnodes = 10\ntopology = full-mesh\n", &sc1);
    sim_t *b = make("[network]\nnodes = 20\ntopology = full-mesh\n", &sc2);
    for (uint32_t i = 0; i < 10; i++) {
        ck_assert_uint_eq(a->net.nodes[i].region, b->net.nodes[i].region);
        ck_assert_uint_eq(rng_next(&a->net.nodes[i].rng), rng_next(&b->net.nodes[i].rng));
    }
    destroy(a, sc1);
    destroy(b, sc2);
}
END_TEST

START_TEST(test_topology_deterministic)
{
    scenario_t *sc1, *sc2, *sc3;
    sim_t *a = make("[network]\nnodes = 500\n", &sc1);
    sim_t *b = make("[network]\nnodes = 500\n", &sc2);
    sim_t *c = make("[scenario]\nseed = 2\n[network]\nnodes = 500\n", &sc3);
    ck_assert_uint_eq(a->net.nlinks, b->net.nlinks);
    ck_assert_int_eq(memcmp(a->net.links, b->net.links, a->net.nlinks * sizeof(link_t)), 0);
    ck_assert(a->net.nlinks != c->net.nlinks || memcmp(a->net.links, c->net.links, a->net.nlinks * sizeof(link_t)) != 0);
    destroy(a, sc1);
    destroy(b, sc2);
    destroy(c, sc3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_transfer_arithmetic);
    tcase_add_test(tc, test_per_node_upload_queue_is_fifo);
    tcase_add_test(tc, test_upload_queue_saturates);
    tcase_add_test(tc, test_per_link_upload_queue);
    tcase_add_test(tc, test_partition_and_heal);
    tcase_add_test(tc, test_partition_by_region_and_fraction);
    tcase_add_test(tc, test_crash_and_restart);
    tcase_add_test(tc, test_loss);
    tcase_add_test(tc, test_latency_draws_and_modifiers);
    tcase_add_test(tc, test_topologies);
    tcase_add_test(tc, test_placement_shares);
    tcase_add_test(tc, test_node_streams_independent);
    tcase_add_test(tc, test_topology_deterministic);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
