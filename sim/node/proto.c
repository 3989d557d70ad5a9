/*
 * proto.c - the life cycle of the protocol layer and its node-level
 * interface (see proto.h).
 *
 * proto_init registers the protocols in a fixed order (transaction gossip,
 * the broadcast study, the block protocol); the order in which they schedule
 * their first events is part of the run's digest.
 */
#include <string.h>

#include "sim/node/proto.h"
#include "sim/node/adversary.h"
#include "sim/node/broadcast.h"
#include "sim/node/chain.h"
#include "sim/node/forklog.h"
#include "sim/node/script.h"
#include "sim/node/txrelay.h"

void proto_node_restarted(void *ctx, uint32_t node)
{
    chain_node_up(ctx, node);
}

void proto_init(proto_t *s, engine_t *eng, net_t *net, const scenario_t *sc, record_t *rec)
{
    memset(s, 0, sizeof *s);
    s->eng = eng;
    s->net = net;
    s->sc = sc;
    s->rec = rec;
    rng_stream(&s->workload_rng, sc->seed, RNG_WORKLOAD, 0);
    net_on_restart(net, proto_node_restarted, s);
    net_on_script(net, script_apply, s);
    txrelay_init(s);
    bcast_init(s);
    adversary_init(s);
    chain_init(s);
}

void proto_clear(proto_t *s)
{
    chain_free(s);
    adversary_free(s);
    bcast_free(s);
}

void proto_trace_final(proto_t *s)
{
    bcast_trace_final(s);
    chain_trace_final(s);
}

bool proto_record(proto_t *s)
{
    return bcast_record(s) && chain_record(s) && adversary_record(s) && forklog_record(s);
}

void proto_print_summary(const proto_t *s, FILE *out)
{
    chain_print_summary(s, out);
    adversary_print_summary(s, out);
    bcast_print_summary(s, out);
}
