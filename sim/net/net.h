/*
 * net.h - the network of one run: nodes placed in regions, links, latency,
 * bandwidth, upload queues, loss, partitions, crashes, and the delivery of
 * messages (net.c), and the timed network faults of the scenario (fault.c).
 *
 * The network carries messages without knowing what they mean. Each
 * protocol registers its message kinds with net_on_kind(): a name for the
 * statistics, the function that receives a delivered message, and the
 * function that frees a message the network owns (MSG_F_OWNED) once it is
 * delivered or dropped. A node that restarts is announced through the one
 * handler registered with net_on_restart(); the node-level events of the
 * scenario (forced forks, scripted transactions) are handed, in their place
 * among the network's own, to the one handler registered with
 * net_on_script(). The network never names a protocol.
 *
 * Ownership: the network owns nodes, links, adjacency and owned messages in
 * flight; the engine, scenario and recorder are borrowed.
 */
#ifndef CHAINSIM_NET_H
#define CHAINSIM_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/engine/rng.h"
#include "sim/net/profile.h"
#include "sim/record/record.h"
#include "sim/scenario/scenario.h"

/* Event kinds of the network layer (stable: they enter the digest). */
enum {
    EV_DELIVER = 1, /* a = to, b = link, c = sender epoch, e = from, u = transfer start ns, p = msg */
    EV_FAULT = 2,   /* a = index into scenario faults */
    EV_RESTART = 3, /* a = index of the crash fault whose nodes restart */
};

#define NET_MAX_KINDS 32

/* A message: immutable once sent. Shared ones are delivered to many nodes
 * and live as long as their object; owned ones (MSG_F_OWNED) go to one
 * receiver and are freed through their kind's free function after delivery
 * or when dropped. */
#define MSG_F_OWNED 1u
/* A control message (an announcement or a request, not data): it gets
 * network.control_delay and, without network.control_queued, leaves at
 * once without using the upload queue; data transfers get network.processing. */
#define MSG_F_CONTROL 2u
typedef struct msg {
    uint16_t kind;
    uint16_t flags;
    uint32_t size_bytes;
    uint64_t id;
    void *obj; /* the payload object */
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
    uint32_t adj_off, adj_len; /* this node's slice of net.adj_peer / adj_link */
    rng_t rng;                 /* the node's own stream (latency and loss draws) */
} node_t;

typedef struct link {
    uint32_t a, b;
} link_t;

typedef struct msg_stats {
    uint64_t sent, bytes_sent, delivered, lost, dropped_partition, dropped_down;
    uint64_t in_flight; /* scheduled deliveries not yet processed */
} msg_stats_t;

/* Receives a delivered message at node `to` from `from` over `link`. */
typedef void (*net_receive_fn)(void *ctx, uint32_t to, uint32_t from, uint32_t link, const msg_t *m);
/* Frees an owned message. */
typedef void (*net_free_fn)(const msg_t *m);
/* Tells a layer above that node `node` came back up. */
typedef void (*net_node_fn)(void *ctx, uint32_t node);
/* Applies node-level event f now, appends what it did to detail (one line,
 * for the faults table) and returns how many nodes it affected. */
typedef uint32_t (*net_script_fn)(void *ctx, const fault_t *f, GString *detail);

/* What became of a message handed to net_send. */
typedef enum { NET_SENT, NET_DROPPED_PARTITION, NET_LOST } net_send_outcome_t;

/* An optional observer of the network, for tools that replay a run (a trace
 * of one node, an export of block flows); NULL in a normal run. Every
 * function may be NULL. Observers read; they never change the run. */
typedef struct net_tap {
    void *ctx;
    /* m was handed to the network from -> to; when sent, its transfer starts
     * at start_ns and it arrives at arrive_ns (if nothing drops it then) */
    void (*sent)(void *ctx, uint32_t from, uint32_t to, const msg_t *m, net_send_outcome_t outcome,
                 uint64_t start_ns, uint64_t arrive_ns);
    /* m reached `to` from `from` now (its transfer began at start_ns); called
     * before the receiver handles it */
    void (*received)(void *ctx, uint32_t to, uint32_t from, const msg_t *m, uint64_t start_ns);
    /* the scenario event f was applied now; kind and detail as in the faults
     * table (kind "restart" for the automatic end of a crash) */
    void (*fault)(void *ctx, const fault_t *f, const char *kind, const char *detail);
} net_tap_t;

typedef struct net_kind {
    const char *name;
    net_receive_fn receive;
    net_free_fn free;
    void *ctx;
} net_kind_t;

typedef struct net {
    engine_t *eng;
    const scenario_t *sc;
    const profile_t *profile;
    record_t *rec;

    uint32_t nnodes;
    node_t *nodes;
    link_t *links;
    uint64_t *link_busy_ns; /* upload_queue = per-link: [2l] a->b, [2l+1] b->a, when the last transfer ends */
    uint32_t nlinks;
    uint32_t *adj_peer; /* CSR adjacency: peers of node i at [adj_off, adj_off + adj_len) */
    uint32_t *adj_link;

    /* latency model, per region pair */
    uint64_t lat_mean_ns[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    uint64_t lat_scale_ppm[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    uint64_t lat_add_ns[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];
    uint32_t loss_ppm[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS];

    msg_stats_t stats[NET_MAX_KINDS];
    net_kind_t kinds[NET_MAX_KINDS];

    rng_t fault_rng;
    uint32_t faults_applied;
    net_node_fn on_restart;
    void *on_restart_ctx;
    net_script_fn on_script;
    void *on_script_ctx;
    const net_tap_t *tap; /* NULL but in replays that observe */
} net_t;

/* Builds the nodes and the topology of sc into n, records them (a failed
 * write fails the run through the engine) and registers the delivery event.
 * Release with net_clear(). */
void net_init(net_t *n, engine_t *eng, const scenario_t *sc, record_t *rec);
void net_clear(net_t *n);

/* Registers message kind `kind` (< NET_MAX_KINDS) once (asserted); free may
 * be NULL when the kind never sends owned messages. */
void net_on_kind(net_t *n, uint16_t kind, const char *name, net_receive_fn receive, net_free_fn free, void *ctx);
/* Registers the one handler told of node restarts. */
void net_on_restart(net_t *n, net_node_fn fn, void *ctx);
/* Registers the one handler that applies node-level events (fork, send). */
void net_on_script(net_t *n, net_script_fn fn, void *ctx);
/* Sets the observer (borrowed; NULL removes it). */
void net_set_tap(net_t *n, const net_tap_t *tap);

/* Hands m to the network from -> to over link; schedules its delivery unless
 * the sender is down, the two are partitioned, or the message is lost (an
 * owned message not delivered is freed). */
void net_send(net_t *n, uint32_t from, uint32_t to, uint32_t link, const msg_t *m);
/* Decides whether a delivery event may reach its receiver now; counts drops. */
bool net_accept(net_t *n, const ev_t *ev);
/* Serialization time of size_bytes at bandwidth_bps, rounded up. */
uint64_t net_transfer_ns(uint64_t size_bytes, uint64_t bandwidth_bps);
/* One latency draw from node `from` to `to`, modifiers applied. */
uint64_t net_latency_ns(net_t *n, uint32_t from, uint32_t to);

/* Writes the message statistics; false on a write error. */
bool net_record_stats(net_t *n);
/* Prints the message statistics table. */
void net_print_summary(const net_t *n, FILE *out);

/* fault.c: schedules the scenario's timed events; applying one records it. */
void fault_schedule(net_t *n);
void fault_apply(net_t *n, uint32_t index);
void fault_restart(net_t *n, uint32_t index);

#endif
