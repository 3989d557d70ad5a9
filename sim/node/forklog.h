/*
 * forklog.h - the fork log: every fork of a run, written to the results
 * database at the end of the run from the protocol state as it stands then
 * (the block tree, each block's per-node arrivals, the nodes' tips).
 *
 * Tables (analysis/schema.sql, schema 4): forks, fork_branches,
 * fork_blocks, fork_txs, node_tips, block_marks. The reorganisations a fork
 * caused are the reorgs rows the block protocol wrote as they happened;
 * the views v_fork_reorgs and v_forks (analysis/views.sql) join the two.
 *
 * The log only reads the protocol state: it changes nothing a later event
 * or the run digest could see (it runs after the digest is complete).
 */
#ifndef CHAINSIM_FORKLOG_H
#define CHAINSIM_FORKLOG_H

#include <stdbool.h>

#include "sim/node/proto.h"

/* Writes the fork log of the run to s->rec. Call after chain_record(),
 * which marks the final main chain (sblock_t.main). Returns false on a
 * write error (the message is record_error()); true without a recorder or
 * without consensus. */
bool forklog_record(proto_t *s);

/* The adversary policy that produced sb, for block_marks.adversary: the
 * hook for adversaries, which do not exist yet; always NULL for now. */
const char *forklog_adversary(const proto_t *s, const sblock_t *sb);

#endif
