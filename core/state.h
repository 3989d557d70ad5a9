/*
 * state.h - account state as a tree of immutable versions shared by nodes.
 *
 * The state after a block is a pure function of the block and its parent's
 * state, so it is computed once and shared: each version holds only the
 * accounts its block changed (the delta, with their values before and after:
 * the undo data), and a pointer to its parent version. Some versions also
 * hold a full copy of all accounts (a snapshot): one whenever the deltas
 * since the last snapshot hold a quarter as many changes as there are
 * accounts, and at least every STATE_SNAPSHOT_EVERY levels, so a lookup
 * walks at most that many deltas, and one or two when blocks change many
 * accounts. A node's state is the
 * version of its tip block; a reorganisation is a change of version (the
 * deltas of the versions left and entered are the undo and redo data).
 *
 * Versions are reference-counted; a child holds a reference to its parent.
 * A version is mutable from state_child() until state_seal(), then immutable.
 */
#ifndef CHAINSIM_STATE_H
#define CHAINSIM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/keys.h"

#define STATE_SNAPSHOT_EVERY 64

typedef struct account {
    uint64_t balance;
    uint64_t nonce; /* number of transactions sent so far */
} account_t;

typedef struct state_change {
    addr_t addr;
    account_t before, after;
} state_change_t;

typedef struct state state_t;

/* The genesis state (depth 0) with n allocations; addresses may repeat (the
 * balances add up). refs = 1; sealed. */
state_t *state_genesis(const addr_t *addrs, const uint64_t *balances, size_t n);

/* A new mutable version on top of parent (which must be sealed); refs = 1. */
state_t *state_child(state_t *parent);

/* The account at addr (a zero account when never touched). */
account_t state_get(const state_t *s, const addr_t *addr);

/* Sets an account in a mutable version. */
void state_set(state_t *s, const addr_t *addr, account_t acct);

void state_seal(state_t *s);

/* The changes of this version against its parent, sorted by address;
 * valid while s lives. */
const state_change_t *state_delta(const state_t *s, size_t *n);

/* A number that no other version of this process has, for memoising
 * lookups per version; 0 while s is mutable (its accounts may change). */
uint64_t state_serial(const state_t *s);

/* How many versions from sealed s up to the nearest one holding a snapshot
 * (0 when s holds one): a lookup searches at most that many deltas. Always
 * below STATE_SNAPSHOT_EVERY. */
uint32_t state_snapshot_distance(const state_t *s);

uint32_t state_depth(const state_t *s);
const state_t *state_parent(const state_t *s);

/* Sum of all balances (for conservation checks). */
uint64_t state_total(const state_t *s);

/* Number of accounts that exist (non-zero balance or nonce). */
size_t state_accounts(const state_t *s);

state_t *state_ref(state_t *s);
void state_unref(state_t *s);

#endif
