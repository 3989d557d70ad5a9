/*
 * broadcast.h - the network study: one message at a time flooded to every
 * node, to measure the network model's propagation on its own.
 */
#ifndef CHAINSIM_BROADCAST_H
#define CHAINSIM_BROADCAST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/node/proto.h"

/* Registers the study's event and message kinds and schedules its
 * broadcasts. */
void bcast_init(proto_t *s);
void bcast_free(proto_t *s);
void bcast_start(proto_t *s, uint32_t index);
void bcast_receive(proto_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m);
/* Time until frac_ppm of all nodes had broadcast b; UINT64_MAX if never. */
uint64_t bcast_reach_ns(const proto_t *s, const bcast_t *b, uint32_t frac_ppm);
/* Writes the broadcasts (and arrivals at that detail); false on error. */
bool bcast_record(proto_t *s);
/* Appends each broadcast's reach to the trace. */
void bcast_trace_final(proto_t *s);
void bcast_print_summary(const proto_t *s, FILE *out);

#endif
