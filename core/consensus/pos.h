/*
 * pos.h - proof of stake modelled on Ethereum's beacon chain: a RANDAO
 * stake-weighted proposer lottery, Casper FFG justification and finality,
 * slashing of equivocators, and an LMD-GHOST helper for per-node fork choice.
 *
 * Time. Slot s starts at s * slot_ns; the genesis block is slot 0; epoch(s) =
 * s / slots_per_epoch. A block of slot s carries time_ns = s * slot_ns exactly.
 *
 * Validators are the nodes 0..nvalidators-1, with configured stakes and
 * Ed25519 public keys. The beacon state (seeds, slashed set, votes,
 * justified and finalized checkpoints) is a function of the chain: the engine
 * computes it from a block's ancestry once and memoises it in block->cons.
 *
 * Effective stake. Stake and unstake transactions (core/ledger.h) change a
 * validator's stake with a delay of activation_epochs (k). The effective
 * stake of validator v for epoch e on the chain ending at block b is
 * cfg stake[v] + ledger_stake_of(S, v), where S is the state (block->state)
 * of the boundary block: the last block on b's chain with slot < first slot
 * of epoch e - k. There is no extra stake when e <= k (no such block), when
 * the boundary is the genesis block, or when its state is NULL (blocks not
 * applied with ledger_apply_block). So a transaction included in epoch x
 * counts from epoch x + k + 1 on (k whole epochs after the end of epoch x;
 * with k = 0 from the next epoch). Sums saturate at UINT64_MAX. A slashed
 * validator's effective stake is 0. The active stake of epoch e is the sum of
 * the effective stakes of e. Apply a block to the ledger before the engine
 * answers queries about slots or blocks after it (the simulator does: a
 * block is applied before its children are checked). Tables are memoised per
 * boundary block id, shared by all the chains through that block.
 *
 * RANDAO. digest(e) = BLAKE2b chain over the reveals of the blocks of epoch
 * e on the chain, in chain order (d = BLAKE2b(d || reveal) from 32 zero
 * bytes; zero for an epoch without blocks). seed(0), seed(1) come from
 * genesis_seed only; seed(e) = BLAKE2b(seed(e-1) || digest(e-2)). So the
 * schedule of epoch e is fixed when epoch e-2 ends, and a proposer's reveal
 * cannot steer the epoch it proposes in nor the next one.
 *
 * Proposer of slot s on a chain: r = (first 8 bytes, little-endian, of
 * BLAKE2b(seed(epoch(s)) || u64 s)) mod the active stake of epoch(s); the
 * first validator, in index order, whose cumulative effective stake (epoch(s),
 * slashed ones counting 0) exceeds r. Slashed and zero-stake validators are
 * never chosen.
 *
 * Committee: validator v attests once per epoch e, at slot e * slots_per_epoch
 * + (BLAKE2b(seed(e) || u32 v) mod slots_per_epoch). This does not depend on
 * stake (a zero-stake validator may attest; its vote weighs 0).
 *
 * Casper FFG, evaluated per block, after all its evidence and attestations.
 * An included attestation is invalid (the block is invalid) when its
 * validator is unknown, its signature is bad, its slot is not before the
 * block's, its target epoch is not its slot's epoch or its source epoch
 * exceeds its target epoch. A valid one is counted, adding the validator's
 * effective stake for the target epoch to its target's tally, only when: the target epoch is the block's
 * epoch or the one before; the validator is not slashed on the chain; its
 * slot is the validator's committee slot; the source equals the parent
 * chain's justified checkpoint; the target id is the chain's epoch-boundary
 * block of that epoch (last block with slot <= the epoch's first slot); and
 * the validator was not counted for that target epoch yet. A target with
 * 3 x votes >= 2 x the active stake of the target epoch (on the chain, after
 * the block's slashings) and an epoch above the justified one becomes
 * justified; when the previously justified checkpoint is of the epoch just
 * before, it becomes finalized (only this one-epoch rule, no k-finality).
 * Genesis is justified and finalized at epoch 0. Slashing removes the
 * validator's effective stake from the active stake and from the tallies it
 * is in.
 *
 * Slashing evidence is valid when it proves an equivocation (pos_evidence_
 * verify) and its offender is not slashed on the chain yet (as in Ethereum,
 * repeating it makes the block invalid). No surround votes.
 *
 * compare(a, b): a chain that does not contain the other's finalized block
 * loses; (when both fail, the later finalized epoch wins); then the higher
 * justified epoch; then the greater pos_attested_weight (cumulative counted
 * attestation stake, which since a fork point is the attesting stake each
 * branch gathered); then the greater height; 0 when all are equal.
 * final(tip) is the finalized checkpoint's block.
 *
 * next_ns: start of the earliest slot s > tip's slot starting at or after
 * now that the node proposes on tip's chain (with the effective stakes of
 * s's epoch), searching 2 x slots_per_epoch slots; UINT64_MAX otherwise. schedule_key: the tip's identity (first 8
 * bytes of its id) rather than its slot, because sibling tips at the same
 * slot may differ in reveals or slashings and so in schedule.
 *
 * Block extra bytes (little-endian):
 *   reveal (64)                 Ed25519 signature by the proposer over the
 *                               8-byte epoch number of the block's slot
 *   block signature (64)        see "Block signature" below
 *   u32 natts, natts x attestation (POS_ATT_BYTES each, pos_att_encode)
 *   u32 nev, nev x evidence item (u8 kind, then two signed headers of
 *                               POS_SIGNED_HEADER_BYTES for a double
 *                               proposal, or two attestations of
 *                               POS_ATT_BYTES for a double vote)
 * Nothing may follow the last item.
 *
 * Block signature. digest = BLAKE2b-256 of the block's header encoding
 * (block.h) with the 64 signature bytes of extra set to zero (the reveal and
 * everything else included); the proposer signs the 44-byte message
 * u64 slot || u32 proposer || digest. That triple plus the signature is a
 * "signed header" (pos_signed_header_t): it proves on its own that the
 * proposer signed some block content for that slot, which is what
 * double-proposal evidence needs without carrying whole headers.
 *
 * Attestation encoding (POS_ATT_BYTES = 188): u32 validator | u64 slot |
 * 32 head | u64 source epoch | 32 source id | u64 target epoch | 32 target id
 * | 64 signature. The signature covers the first POS_ATT_SIGNED_BYTES (124)
 * bytes. The three signed message kinds have distinct lengths (8, 44, 124),
 * so no signature of one kind verifies as another.
 *
 * Producer sequence (the simulator's): block_new at the slot start, prepare,
 * pos_block_attach (optional), sign, block_seal.
 *
 * Ownership: pos_new copies the stake and key arrays; destroy frees the
 * engine and its effective stake tables. Per-block memos belong to the engine and are released by
 * free_block, which must be called before block_free. A memo refers to
 * ancestor blocks (checkpoints), so ancestors must outlive it (blocks are
 * kept for the whole run). Arrays returned by the accessors belong to the
 * block's memo.
 */
#ifndef CHAINSIM_POS_H
#define CHAINSIM_POS_H

#include "core/consensus.h"

#define POS_REVEAL_BYTES SIG_BYTES
#define POS_EXTRA_MIN_BYTES (2 * SIG_BYTES + 4 + 4)                  /* 136: no attestations, no evidence */
#define POS_ATT_SIGNED_BYTES (4 + 8 + HASH_BYTES + 2 * (8 + HASH_BYTES))   /* 124 */
#define POS_ATT_BYTES (POS_ATT_SIGNED_BYTES + SIG_BYTES)             /* 188 */
#define POS_SIGNED_HEADER_BYTES (4 + 8 + HASH_BYTES + SIG_BYTES)     /* 108 */
#define POS_NO_PROPOSER UINT32_MAX

typedef struct pos_cfg {
    uint32_t nvalidators;                /* validators are nodes 0..nvalidators-1; >= 1 */
    const uint64_t *stake;               /* per validator; copied; the sum must stay below 2^63 */
    const uint8_t (*pubkeys)[PK_BYTES];  /* per validator; copied */
    uint64_t slot_ns;                    /* slot length (Ethereum: 12 s); >= 1 */
    uint32_t slots_per_epoch;            /* Ethereum: 32; >= 1 */
    uint64_t genesis_seed;               /* seeds of epochs 0 and 1 */
    uint32_t max_block_atts;             /* attestations per block; 0 = 2 x nvalidators */
    uint32_t max_block_evidence;         /* evidence items per block; 0 = 16 */
    /* Stake and unstake transactions take effect this many epochs after the
     * epoch in which they were included: one included in epoch x counts from
     * epoch x + activation_epochs + 1 (see "Effective stake"). 0 allowed:
     * from the next epoch. */
    uint32_t activation_epochs;
    /* true: justification and finalization happen at epoch processing, as
     * on the beacon chain: when a chain enters a new epoch, from the
     * attestations its blocks included up to the end of the previous one
     * (a block of epoch e is final at the end of epoch e+2 in the normal
     * case). false: evaluated after every block. */
    bool epoch_processing;
} pos_cfg_t;

/* Returns NULL when cfg is unusable (no validators, NULL arrays, zero slot
 * length or epoch size, stakes summing to 2^63 or more). Free with
 * c->ops->destroy(c). */
consensus_t *pos_new(const pos_cfg_t *cfg);

/* ---------- slots, proposers, committees ---------- */

/* The proposer of `slot` on the chain ending at parent: weighted by the
 * effective stakes of the slot's epoch among the validators not slashed on
 * that chain, from the RANDAO seed of the slot's epoch. POS_NO_PROPOSER when
 * no stake is left. */
uint32_t pos_proposer(consensus_t *c, const block_t *parent, uint64_t slot);

/* The slot of `epoch` in which validator attests on head's chain:
 * epoch start + (BLAKE2b(seed(epoch) || u32 validator) mod slots_per_epoch). */
uint64_t pos_attestation_slot(consensus_t *c, const block_t *head, uint32_t validator, uint64_t epoch);

/* True when validator is not slashed on head's chain and slot is its
 * attestation slot. */
bool pos_is_attester(consensus_t *c, const block_t *head, uint32_t validator, uint64_t slot);

/* ---------- attestations ---------- */

typedef struct pos_checkpoint {
    uint64_t epoch;
    hash32_t id; /* the epoch-boundary block */
} pos_checkpoint_t;

typedef struct pos_att {
    uint32_t validator;
    uint64_t slot;
    hash32_t head;           /* LMD-GHOST vote */
    pos_checkpoint_t source; /* FFG vote: source -> target */
    pos_checkpoint_t target;
    uint8_t sig[SIG_BYTES];
} pos_att_t;

/* Fills out->slot, head, source and target with what an honest validator
 * whose head is `head` votes for at `slot`: head = head's id; target =
 * (epoch(slot), last block with slot <= that epoch's first slot on head's
 * chain); source = head's chain's justified checkpoint. Leaves validator and
 * sig alone. */
void pos_checkpoints(consensus_t *c, const block_t *head, uint64_t slot, pos_att_t *out);

/* Signs att (all fields but sig) with kp into att->sig. */
void pos_att_sign(pos_att_t *att, const keypair_t *kp);

/* True when the validator exists and the signature is its own. */
bool pos_att_verify(consensus_t *c, const pos_att_t *a);

/* Encoding as in the file comment; out has POS_ATT_BYTES. */
void pos_att_encode(const pos_att_t *a, uint8_t out[POS_ATT_BYTES]);

/* ---------- slashing evidence ---------- */

typedef struct pos_signed_header {
    uint32_t proposer;
    uint64_t slot;
    hash32_t digest; /* header digest with the signature zeroed */
    uint8_t sig[SIG_BYTES];
} pos_signed_header_t;

typedef enum pos_evidence_kind {
    POS_EV_DOUBLE_PROPOSAL = 1, /* hdr[0], hdr[1]: same proposer and slot, different digests */
    POS_EV_DOUBLE_VOTE = 2,     /* att[0], att[1]: same validator and target epoch, different targets */
} pos_evidence_kind_t;

typedef struct pos_evidence {
    uint8_t kind; /* pos_evidence_kind_t */
    pos_signed_header_t hdr[2];
    pos_att_t att[2];
} pos_evidence_t;

/* The signed header of a signed block; false when b's extra bytes are
 * malformed. */
bool pos_block_signed_header(consensus_t *c, const block_t *b, pos_signed_header_t *out);

/* Evidence builders (the items are copied; nothing is checked). */
void pos_evidence_double_proposal(pos_evidence_t *out, const pos_signed_header_t *a, const pos_signed_header_t *b);
void pos_evidence_double_vote(pos_evidence_t *out, const pos_att_t *a, const pos_att_t *b);

/* True when ev proves an equivocation on its own (signatures, matching
 * slot or target epoch, differing content). Whether the offender is already
 * slashed is a property of a chain, checked when a block includes ev. */
bool pos_evidence_verify(consensus_t *c, const pos_evidence_t *ev);

/* The validator ev accuses. */
uint32_t pos_evidence_offender(const pos_evidence_t *ev);

/* ---------- block content ---------- */

/* Replaces b's extra bytes with the layout above holding copies of atts and
 * ev (reveal and signature zeroed: call sign afterwards, then block_seal).
 * Must be called before b's memo exists (before check or any query on b). */
void pos_block_attach(consensus_t *c, block_t *b, const pos_att_t *atts, uint32_t natts, const pos_evidence_t *ev,
                      uint32_t nev);

/* The attestations / evidence included in b (decoded once into b's memo;
 * *out stays valid until free_block(b)). 0 and NULL when malformed. */
uint32_t pos_block_attestations(consensus_t *c, const block_t *b, const pos_att_t **out);
uint32_t pos_block_evidence(consensus_t *c, const block_t *b, const pos_evidence_t **out);

/* ---------- the beacon state of the chain ending at b ---------- */

void pos_justified(consensus_t *c, const block_t *b, uint64_t *epoch, hash32_t *id);
void pos_finalized(consensus_t *c, const block_t *b, uint64_t *epoch, hash32_t *id);
uint32_t pos_slashed_count(consensus_t *c, const block_t *b);
bool pos_is_slashed(consensus_t *c, const block_t *b, uint32_t validator);
/* Effective stake, for the epoch of b's slot on b's chain, of the
 * validators not slashed on it. */
uint64_t pos_active_stake(consensus_t *c, const block_t *b);
/* Cumulative stake of the attestations counted on the chain (each validator
 * at most once per target epoch); the third key of compare. */
uint64_t pos_attested_weight(consensus_t *c, const block_t *b);

/* ---------- LMD-GHOST, one per node ----------
 * Weights use the configured stakes, not the effective stakes: the ghost
 * spans many chains and has no single chain state to read them from, so
 * stake and unstake transactions are ignored here (an approximation). Validators the
 * node learns are slashed are removed with pos_ghost_on_slashing. A latest
 * message moves its stake along the tree only between the old and new head
 * up to their common ancestor, so an update costs the length of those two
 * paths; pos_ghost_head costs the depth below the root times the branching.
 * Candidates are only the blocks given to on_block (no viability filter on
 * the branches' justification, unlike Ethereum's filter_block_tree). */

typedef struct pos_ghost pos_ghost_t;

/* An empty block tree for one node. Free with pos_ghost_free. */
pos_ghost_t *pos_ghost_new(consensus_t *c);
void pos_ghost_free(pos_ghost_t *g);

/* Adds a block the node connected (its parent first; a block whose parent
 * was never added starts a tree of its own). Adding twice is a no-op. The
 * ghost does not own blocks; they must outlive it. */
void pos_ghost_on_block(pos_ghost_t *g, const block_t *b);

/* Records a as validator's latest message when its slot is higher than the
 * current one, moving that validator's stake to head_block's branch.
 * Returns false (and changes nothing) when the message is older or equal,
 * head_block was not added with on_block, head_block's id is not a->head,
 * the validator is unknown or was reported by pos_ghost_on_slashing. The
 * signature is not checked here (pos_att_verify). */
bool pos_ghost_on_attestation(pos_ghost_t *g, const pos_att_t *a, const block_t *head_block);

/* Drops the validator's weight and ignores its future messages. */
void pos_ghost_on_slashing(pos_ghost_t *g, uint32_t validator);

/* Descends from justified_root, choosing at each step the child with the
 * greatest weight (stake of validators whose latest head is in its
 * subtree), ties to the greater block id; returns the leaf reached
 * (justified_root itself if it was never added). */
const block_t *pos_ghost_head(pos_ghost_t *g, const block_t *justified_root);

/* Weight of b's subtree (0 when b was never added). */
uint64_t pos_ghost_weight(pos_ghost_t *g, const block_t *b);

#endif
