/*
 * sim_int.h - the layout of a run, shared by the modules of sim/ (engine,
 * network, faults, workloads) and by white-box tests. Not for core/.
 *
 * Ownership: the sim owns the queue, nodes, links, adjacency, message objects
 * (in `msgs`) and workload state; the scenario and recorder are borrowed.
 */
#ifndef CHAINSIM_SIM_INT_H
#define CHAINSIM_SIM_INT_H

#include <glib.h>

#include "core/hash.h"
#include "sim/evq.h"
#include "sim/rng.h"
#include "sim/sim.h"

/* Event kinds. Stable: they enter the digest. */
enum ev_kind {
    EV_DELIVER = 1,   /* a = to, b = from, c = sender epoch, u = transfer start ns, p = msg */
    EV_FAULT = 2,     /* a = index into scenario faults */
    EV_RESTART = 3,   /* a = index of the crash fault whose nodes restart */
    EV_BROADCAST = 4, /* u = broadcast index */
};

/* Message kinds; index into the per-kind statistics. */
enum msg_kind {
    MSG_BCAST_DATA,
    MSG_BCAST_INV,
    MSG_BCAST_GETDATA,
    MSG_KIND_COUNT
};

/* A message: immutable once sent, shared by pointer among every delivery. */
typedef struct msg {
    uint32_t kind;
    uint32_t size_bytes;
    uint64_t id;
    void *obj; /* the payload object (not owned by the message) */
} msg_t;

typedef struct node {
    uint32_t id;
    uint8_t region;
    bool up;
    uint16_t group;           /* partition group; messages cross only within a group */
    uint32_t epoch;           /* incremented at each crash */
    uint64_t crashed_at_ns;
    uint64_t upload_bps, download_bps;
    uint64_t up_busy_until_ns; /* per-node upload queue: when the last queued transfer ends */
    uint32_t adj_off, adj_len; /* this node's slice of sim.adj_peer / adj_link */
    rng_t rng;                 /* the node's own stream (latency and loss draws) */
} node_t;

typedef struct link {
    uint32_t a, b;
    uint64_t busy_until_ns[2]; /* per-link upload queues: [0] a->b, [1] b->a */
} link_t;

typedef struct msg_stats {
    uint64_t sent, bytes_sent, delivered, lost, dropped_partition, dropped_down;
} msg_stats_t;

/* One broadcast of the network study workload. */
typedef struct bcast {
    msg_t data, inv, req;
    uint32_t origin;
    uint64_t created_ns;
    uint64_t *arrival_ns;  /* per node; UINT64_MAX = not yet */
    uint64_t *requested_ns; /* per node: when it last asked for the message; UINT64_MAX = never */
    uint32_t reached;
} bcast_t;

struct sim {
    const scenario_t *sc;
    const profile_t *profile;
    record_t *rec;
    evq_t *q;
    uint64_t now_ns;
    uint64_t events;

    uint32_t nnodes;
    node_t *nodes;
    link_t *links;
    uint32_t nlinks;
    uint32_t *adj_peer; /* CSR adjacency: peers of node i at [adj_off, adj_off + adj_len) */
    uint32_t *adj_link;

    /* latency model, per region pair */
    uint64_t lat_mean_ns[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    uint64_t lat_scale_ppm[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    uint64_t lat_add_ns[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    uint32_t loss_ppm[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    bool partitioned;

    msg_stats_t stats[MSG_KIND_COUNT];

    rng_t workload_rng;
    rng_t fault_rng;
    bcast_t *bcasts;
    uint32_t nbcasts; /* created so far */
    uint32_t faults_applied;

    hasher_t trace;
    uint8_t trace_buf[4096];
    size_t trace_len;
    char digest_hex[2 * HASH_BYTES + 1];
    char *error;
    bool failed;
};

extern const char *const msg_kind_names[MSG_KIND_COUNT];

/* net.c */
void net_build(sim_t *s);
void net_free(sim_t *s);
/* Hands m to the network from -> to over link; schedules its delivery unless
 * the sender is down, the two are partitioned, or the message is lost. */
void net_send(sim_t *s, uint32_t from, uint32_t to, uint32_t link, const msg_t *m);
/* Decides whether a delivery event may reach its receiver now; counts drops. */
bool net_accept(sim_t *s, const ev_t *ev);
/* Serialization time of size_bytes at bandwidth_bps, rounded up. */
uint64_t net_transfer_ns(uint64_t size_bytes, uint64_t bandwidth_bps);
/* One latency draw from node `from` to `to`, modifiers applied. */
uint64_t net_latency_ns(sim_t *s, uint32_t from, uint32_t to);

/* fault.c */
void fault_schedule(sim_t *s);
void fault_apply(sim_t *s, uint32_t index);
void fault_restart(sim_t *s, uint32_t index);

/* broadcast.c */
void bcast_schedule(sim_t *s);
void bcast_start(sim_t *s, uint32_t index);
void bcast_receive(sim_t *s, uint32_t to, uint32_t link, const msg_t *m);
bool bcast_record(sim_t *s);
void bcast_free(sim_t *s);
/* Time until frac_ppm of all nodes had broadcast b; UINT64_MAX if never. */
uint64_t bcast_reach_ns(const sim_t *s, const bcast_t *b, uint32_t frac_ppm);

/* sim.c */
void sim_fail(sim_t *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
