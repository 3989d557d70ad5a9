/*
 * txrelay.h - the transaction workload and batched transaction gossip.
 */
#ifndef CHAINSIM_TXRELAY_H
#define CHAINSIM_TXRELAY_H

#include <stdint.h>

#include "sim/node/proto.h"

/* Registers the gossip's event and message kinds. */
void txrelay_init(proto_t *s);
/* Frees the gossip's per-node state (after the engine is cleared). */
void txrelay_free(proto_t *s);
/* Schedules the workload's first submission, when it has a rate. */
void txrelay_start(proto_t *s);
/* Moves t (from g_new0; its tx set, owned by the run from now on) into the
 * run's records with the next transaction number and room in the gossip's
 * known sets; returns the number (t itself is freed: use proto_tx). */
uint32_t txrelay_register(proto_t *s, stx_t *t);
/* Submits the workload's next transaction and schedules the one after. */
void txrelay_submit(proto_t *s);
/* Sends node's batched announcements to its peers. */
void txrelay_flush(proto_t *s, uint32_t node);
void txrelay_receive(proto_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m);
/* Admits tx (index ti) at node, counting rejections; queues it for relay. */
void txrelay_admit(proto_t *s, uint32_t node, uint32_t ti, uint32_t from);
/* Marks the transactions of block sb known at node (it has them in a block). */
void txrelay_mark_known(proto_t *s, uint32_t node, const sblock_t *sb);

#endif
