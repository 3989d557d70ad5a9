/*
 * inspect.h - a run replayed to a moment, and what one node sees then.
 *
 * A stored run is run again from its scenario text, overrides and seed with
 * no recorder (sim_new(sc, NULL)): nothing is written anywhere. Because a
 * run is deterministic, the state after every event at or before a time T
 * is the state the recorded run had at T, block numbers included (blocks
 * are numbered in creation order), so a node's view can be asked of it:
 * its tip and final block, its mempool, the accounts of its chain.
 */
#ifndef CHAINSIM_INSPECT_H
#define CHAINSIM_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/keys.h"
#include "core/state.h"
#include "sim/net/net.h"
#include "sim/node/proto.h"
#include "sim/sim.h"

/* Processes every event at or before until_ns (and within the scenario's
 * duration), or until *opts->stop. No digest is made and nothing is
 * recorded. Returns SIM_COMPLETE, SIM_INTERRUPTED or SIM_FAILED (message:
 * sim_error()). opts may be NULL. */
sim_status_t inspect_run_until(sim_t *s, uint64_t until_ns, const sim_opts_t *opts);

/* Sets the observers of the replay (borrowed; either may be NULL): the
 * network's tap and the nodes' observer. Set them before the first event. */
void inspect_observe(sim_t *s, const net_tap_t *tap, const proto_observer_t *obs);

/* The region name of node `node` (< inspect_nodes), and how many regions the
 * run's profile has and the name of region r. */
const char *inspect_node_region(const sim_t *s, uint32_t node);
uint32_t inspect_regions(const sim_t *s);
const char *inspect_region_name(const sim_t *s, uint32_t r);
uint32_t inspect_node_region_index(const sim_t *s, uint32_t node);

/* The number of links, and the two ends of link l (a opened it). */
uint32_t inspect_links(const sim_t *s);
void inspect_link(const sim_t *s, uint32_t l, uint32_t *a, uint32_t *b);

/* The name a message kind was registered with (net_on_kind). */
const char *inspect_kind_name(const sim_t *s, uint16_t kind);

/* Simulated time of the last event processed. */
uint64_t inspect_now_ns(const sim_t *s);

/* True when the run has a blockchain (consensus.kind != none). */
bool inspect_has_chain(const sim_t *s);

/* Number of nodes, and of workload accounts (ledger.accounts). */
uint32_t inspect_nodes(const sim_t *s);
uint32_t inspect_accounts(const sim_t *s);

/* The address of workload account number i (< inspect_accounts). */
void inspect_account_addr(const sim_t *s, uint32_t i, addr_t *out);

/* One block as a node sees it. */
typedef struct inspect_block {
    uint32_t index;        /* block_index of the results database */
    char id_hex[65];
    uint64_t height;
    int64_t producer;      /* -1 for genesis */
    uint64_t created_ns;
} inspect_block_t;

/* What node sees at the current moment. */
typedef struct inspect_view {
    uint32_t node;
    bool up;
    inspect_block_t tip;
    inspect_block_t final; /* the latest final block of its chain */
    uint64_t mempool_txs;
    uint64_t accounts;     /* accounts that exist in its tip's state */
    uint64_t total_balance;
} inspect_view_t;

/* Fills *v for node (< inspect_nodes; the run has a chain). */
void inspect_node(const sim_t *s, uint32_t node, inspect_view_t *v);

/* The account at addr in node's tip state. */
account_t inspect_account(const sim_t *s, uint32_t node, const addr_t *addr);

/* What addr is to the run, into buf: "account N" (a workload account),
 * "node N reward" (a node's reward address) or "" (neither). */
void inspect_addr_label(const sim_t *s, const addr_t *addr, char *buf, size_t len);

/* The n largest balances in node's tip state among the workload accounts
 * and the nodes' reward addresses (ties: the lower account, then node),
 * into out[n] (addresses) and bal[n]; returns how many were filled. */
uint32_t inspect_largest(const sim_t *s, uint32_t node, uint32_t n, addr_t *out, account_t *acct);

#endif
