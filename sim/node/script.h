/*
 * script.h - forced forks and scripted transactions ([event] type = fork,
 * type = send), applied at their time by the node layer.
 */
#ifndef CHAINSIM_SCRIPT_H
#define CHAINSIM_SCRIPT_H

#include <glib.h>
#include <stdint.h>

#include "sim/node/proto.h"

/* The net_script_fn of the node layer: applies fork or send event f (ctx is
 * the proto_t), appends what it did to detail, returns the blocks made or
 * the transactions admitted. */
uint32_t script_apply(void *ctx, const fault_t *f, GString *detail);

#endif
