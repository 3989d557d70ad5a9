/*
 * scenario.h - scenario files: GLib key files with units, validated against
 * a schema before anything runs.
 *
 * A scenario has fixed groups ([scenario], [network], [broadcast], [record])
 * whose keys all have defaults, and any number of timed event groups named
 * [event NAME], each with `at` and `type`. Unknown groups and keys are errors.
 * `--set group.key=value` overrides are applied on top of the file before
 * validation. Every error names the file and line (or the --set argument), the
 * group and key, the bad value and what was expected.
 *
 * The loaded scenario_t is plain data: sim/ reads its fields directly.
 */
#ifndef CHAINSIM_SCENARIO_H
#define CHAINSIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SCENARIO_MAX_NODES 1000000u
#define SCENARIO_MAX_REGIONS 8
#define SCENARIO_MAX_CDF 64
/* A scenario name becomes the results file name results/NAME.db (with
 * SQLite's -journal and -wal files beside it): at most this long, no '/',
 * no control characters, not empty. */
#define SCENARIO_MAX_NAME_BYTES 200

/* The longest simulated time: 100 years of 365 days. Every time a scenario
 * gives, and every sum or product of them the simulator computes (an event
 * and its restart delay, the last broadcast, a round of producers, the cost
 * of checking the largest block...), stays within it, so no time overflows
 * 64 bits or goes negative as an SQLite integer (2^63 ns is about 292 years). */
#define SCENARIO_MAX_TIME_NS UINT64_C(3153600000000000000)
#define SCENARIO_MAX_TIME_TEXT "876000h (100 years)"
/* The smallest nonzero workload rate: one transaction per 1000 hours, so the
 * gaps drawn around 1/rate (at most about 37 times the mean) stay within the
 * limit. */
#define SCENARIO_MIN_TX_RATE_PER_S (0.001 / 3600.0)

#include "core/keys.h"
#include "sim/net/profile.h"

typedef enum { TOPO_RANDOM_OUTDEGREE, TOPO_RANDOM_REGULAR, TOPO_FULL_MESH, TOPO_SMALL_WORLD } topology_t;
typedef enum { LAT_CONSTANT, LAT_UNIFORM, LAT_PARETO, LAT_LOGNORMAL } latency_dist_t;
typedef enum { UPQ_PER_NODE, UPQ_PER_LINK } upload_queue_t;
typedef enum { RELAY_PUSH, RELAY_ANNOUNCE } relay_t;
typedef enum { DETAIL_SUMMARY, DETAIL_MESSAGES, DETAIL_ARRIVALS } detail_t;
typedef enum { CONS_NONE, CONS_POW, CONS_POS, CONS_DPOS } consensus_kind_t;
typedef enum { HASH_EQUAL, HASH_EXPONENTIAL, HASH_LIST, HASH_NORMAL } hashpower_t;
typedef enum { UPLINK_SENT, UPLINK_ARRIVED } uplink_release_t;
typedef enum { BLOCKRELAY_COMPACT, BLOCKRELAY_FULL } block_relay_t;

#define SCENARIO_MAX_SHARES 256

typedef enum {
    FAULT_PARTITION,
    FAULT_HEAL,
    FAULT_LATENCY,
    FAULT_LOSS,
    FAULT_CRASH,
    FAULT_RESTART,
    /* node-level events, applied by the node layer through net_on_script */
    FAULT_FORK, /* the given nodes each produce a block now, on their own tips */
    FAULT_SEND, /* one scripted transaction submitted to one node */
} fault_kind_t;

/* Which nonce a scripted transaction uses. */
typedef enum {
    SEND_NONCE_NEXT,  /* the sender's next nonce (the workload's counter, advanced) */
    SEND_NONCE_REUSE, /* the nonce of the sender's previous transaction: a conflicting spend */
    SEND_NONCE_GIVEN, /* the number in `nonce` */
} send_nonce_t;

typedef enum { PART_BY_IDS, PART_BY_REGIONS, PART_BY_FRACTION } partition_by_t;

/* A range of node ids [lo, hi], inclusive. */
typedef struct id_range {
    uint32_t lo, hi;
} id_range_t;

/* One timed event group ([event NAME]). Lists are owned by the scenario. */
typedef struct fault {
    char *name;
    fault_kind_t kind;
    uint64_t at_ns;
    int line; /* line of the group header in the file, 0 if from --set */
    /* partition */
    partition_by_t by;
    uint32_t ngroups;
    /* by ids: ranges per group (group_of_range[i] says which group range i is in) */
    id_range_t *ranges;
    uint32_t *group_of_range;
    uint32_t nranges;
    /* by regions: region bit mask per group; by fraction: ppm per group */
    uint32_t *group_regions;
    uint32_t *group_fraction_ppm;
    /* latency / loss, optionally between two regions (-1 = all) */
    int region_a, region_b;
    uint64_t scale_ppm; /* latency multiplier, 1e6 = unchanged */
    uint64_t add_ns;
    uint32_t loss_ppm;
    /* crash / restart */
    id_range_t *nodes;
    uint32_t nnodes_ranges;
    uint64_t down_ns; /* crash: restart automatically after this, 0 = stay down */
    /* fork: `nodes` above. send: */
    uint32_t send_node, send_from, send_to; /* node id; sender and recipient account numbers */
    uint64_t send_amount, send_fee, send_nonce;
    send_nonce_t send_nonce_mode;
} fault_t;

/* Kinds of [adversary NAME] groups. */
typedef enum { ADV_SELFISH, ADV_DOUBLE_SPEND, ADV_WITHHOLD, ADV_EQUIVOCATE, ADV_ECLIPSE } adversary_kind_t;

/* Stubborn variants of selfish mining (Nayak et al.), bits of stubborn. */
enum { STUBBORN_LEAD = 1, STUBBORN_EQUAL_FORK = 2, STUBBORN_TRAIL = 4 };

/* One adversary group ([adversary NAME]). Lists are owned by the scenario. */
typedef struct adversary_spec {
    char *name;
    adversary_kind_t kind;
    int line;                /* line of the group header, 0 if from --set */
    id_range_t *nodes;       /* the nodes it controls, when given by id */
    uint32_t nnodes_ranges;
    uint32_t count;          /* else this many nodes, drawn from a seeded stream of their own */
    uint32_t share_ppm;      /* pow: share of the hash power; pos/dpos: of the stake (0 = as the nodes have) */
    uint64_t start_ns, stop_ns; /* active in [start, stop); stop UINT64_MAX = to the end */
    int32_t gamma_ppm;       /* selfish: share of honest power mining on its block in a tie; -1 = network */
    uint32_t stubborn;       /* selfish: STUBBORN_* bits */
    uint32_t trail_depth;    /* selfish, trail stubborn: blocks behind it keeps mining its branch */
    uint32_t confirmations;  /* double-spend: merchant accepts after this many blocks */
    uint32_t give_up;        /* double-spend: abandon when this many blocks behind (0 = never) */
    uint32_t attempts;       /* double-spend: attempts, one after the other */
    int64_t merchant;        /* double-spend: merchant node, -1 = a random honest node */
    uint64_t amount;         /* double-spend: the payment */
    uint64_t delay_ns;       /* withhold: hold blocks back this long; UINT64_MAX = produce nothing */
    id_range_t *victims;     /* eclipse */
    uint32_t nvictims_ranges;
    uint32_t drop_ppm;       /* eclipse: share of messages to and from victims dropped */
    uint32_t mode;           /* equivocate: EQUIVOCATE_* bits */
} adversary_spec_t;

enum { EQUIVOCATE_BLOCKS = 1, EQUIVOCATE_ATTESTATIONS = 2 };

typedef struct scenario {
    char *path;      /* as given */
    char *text;      /* the file's text, verbatim */
    char *params;    /* resolved parameters, one "group.key = value" a line, sorted */
    char *overrides; /* the --set arguments, one a line */
    char *name;
    char *description;
    uint64_t seed;
    uint64_t duration_ns;
    uint64_t memory_limit_bytes; /* UINT64_MAX = none */

    struct {
        uint32_t nodes;
        net_profile_t profile;
        topology_t topology;
        double outdegree_cdf[SCENARIO_MAX_CDF];
        uint32_t outdegree_cdf_len;
        uint32_t degree;
        uint32_t rewire_ppm;
        latency_dist_t latency;
        uint64_t latency_mean_ns;
        uint64_t latency_floor_ns;
        uint32_t latency_jitter_ppm;
        uint64_t latency_sigma_ppm;
        uint64_t upload_bps;   /* 0 = from the profile */
        uint64_t download_bps; /* 0 = from the profile */
        upload_queue_t upload_queue;
        uint32_t loss_ppm;
        uplink_release_t uplink_release; /* when a transfer frees the sender's upload queue */
        uint64_t control_delay_ns;       /* added to every control message (MSG_F_CONTROL) */
        bool control_queued;             /* control messages wait in the upload queue and use bandwidth */
        uint64_t processing_ns;          /* added to every data transfer on the sender's queue */
    } net;

    struct {
        uint32_t count;
        uint64_t start_ns;
        uint64_t interval_ns;
        uint64_t size_bytes;
        int64_t origin; /* node id, or -1 = a random node per message */
        relay_t relay;
        uint64_t announce_bytes;
        uint64_t request_timeout_ns;
    } broadcast;

    struct {
        detail_t detail;
        uint64_t sample_interval_ns;
    } record;

    struct {
        consensus_kind_t kind;
        uint64_t interval_ns;
        uint32_t miners;          /* 0 = every node */
        hashpower_t hashpower;
        int pos_justification;                 /* 0 at epoch processing (beacon chain), 1 after every block */
        int dpos_irreversibility;              /* 0 single stage, 1 two stages (EOSIO 1.x) */
        int dpos_order;                        /* 0 sorted (EOSIO), 1 shuffled every round */
        uint64_t hashpower_mean, hashpower_sd; /* HASH_NORMAL: per miner, floored at 1 */
        uint32_t share_ppm[SCENARIO_MAX_SHARES]; /* HASH_LIST: shares of the first miners */
        uint32_t nshares;
        hashpower_t stake;        /* pos: validators' stake; dpos: delegates' votes */
        uint32_t stake_ppm[SCENARIO_MAX_SHARES];
        uint32_t nstakes;
        uint32_t slots_per_epoch; /* pos */
        uint32_t activation_epochs; /* pos: delay before stake changes count */
        uint32_t producers;       /* dpos: N */
        uint32_t blocks_per_turn; /* dpos: K */
        uint32_t retarget_blocks;
        uint32_t retarget_clamp;
        uint32_t confirmations;
        uint32_t real_bits;
        uint64_t max_block_bytes;
        uint32_t min_block_txs;
        uint32_t max_blocks;
        uint64_t reward;
        uint64_t padding_bytes;
    } consensus;

    struct {
        uint32_t accounts;
        uint64_t balance;
    } ledger;

    struct {
        double rate_per_s;
        uint64_t start_ns;
        uint64_t stop_ns; /* 0 = until the end */
        uint64_t amount_min, amount_max;
        uint64_t fee_min, fee_max;
        uint32_t invalid_ppm;
        uint32_t staking_ppm;
    } workload;

    struct {
        uint32_t capacity;
        uint64_t min_fee;
        uint64_t max_tx_bytes;
        uint32_t nonce_window;
        double rate_limit_per_s; /* per sender; 0 = none */
        uint32_t rate_burst;
        char *blacklist;         /* as written: account numbers and addresses */
        uint32_t *blacklist_accounts;
        uint32_t nblacklist_accounts;
        addr_t *blacklist_addrs;
        uint32_t nblacklist_addrs;
    } mempool;

    struct {
        block_relay_t block;
        bool push;
        uint64_t tx_interval_ns;
        uint64_t inv_bytes;
        uint32_t compact_fail_ppm;
        uint64_t request_timeout_ns;
        uint32_t compact_nodes_ppm;   /* share of nodes with compact relay */
        int32_t compact_missing_ppm;  /* share of the padding fetched after a failed rebuild; -1 = the measured table */
    } relay;

    struct {
        uint64_t verify_sig_ns;
        uint64_t per_tx_ns;
        uint64_t per_kb_ns;
        uint64_t header_ns;
    } cpu;

    fault_t *faults; /* sorted by (at_ns, file order) */
    uint32_t nfaults;

    struct adversary_spec *adversaries; /* [adversary NAME] groups, in file order */
    uint32_t nadversaries;
} scenario_t;

/* Loads and validates path with the given overrides ("group.key=value").
 * On success returns a scenario to free with scenario_free(). On failure
 * returns NULL and sets *errors to a newly allocated message (one error a
 * line; free with g_free()). */
scenario_t *scenario_load(const char *path, char *const *overrides, int noverrides, char **errors);

/* Same as scenario_load but from text in memory; path is used in messages. */
scenario_t *scenario_load_text(const char *path, const char *text, char *const *overrides,
                               int noverrides, char **errors);

/* Same as scenario_load but from len bytes in memory, which need not end
 * with a NUL (a NUL byte inside is an error, as in a file); path is used in
 * messages and for the default name. scenario_load reads the file and calls
 * this. */
scenario_t *scenario_load_data(const char *path, const char *data, size_t len, char *const *overrides,
                               int noverrides, char **errors);

void scenario_free(scenario_t *sc);

/* An estimate of the peak memory a run of sc needs, in bytes (see the
 * comment in scenario.c for the terms; calibrated on measured runs, within
 * about -20 % to +60 % of their peak RSS). scenario_load refuses a
 * scenario whose estimate is above sc->memory_limit_bytes
 * ([scenario] memory_limit). */
uint64_t scenario_memory_estimate_bytes(const scenario_t *sc);

/* "estimated memory 17.7 MB (limit 16.7 GB)", for check and run to print.
 * Free with g_free. */
char *scenario_memory_text(const scenario_t *sc);

/* The machine's physical memory (sysconf), the default memory limit;
 * UINT64_MAX when unknown. */
uint64_t scenario_physical_memory_bytes(void);

/* Prints every group and key with its type, default and meaning. */
void scenario_print_keys(FILE *out);

/* Names used in files and results. */
const char *scenario_fault_kind_name(fault_kind_t k);
const char *scenario_adversary_kind_name(adversary_kind_t k);

#endif
