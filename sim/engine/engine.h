/*
 * engine.h - the event engine of one run: the queue, the clock, dispatch by
 * event kind, the failure flag and the trace that makes the run digest.
 *
 * The engine knows nothing of nodes, messages or blocks. Each layer above
 * registers the event kinds it owns with engine_on(): the function that runs
 * an event of that kind, optionally the function that names the event's
 * payload in the trace, and optionally the function that releases an event
 * still queued when the run ends. Adding a protocol adds rows to this table,
 * never a case to a switch here.
 *
 * Every processed event is appended to the trace as an 8-byte fingerprint of
 * (time, kind, sub-kind, the a/b fields, the payload id); the digest is the
 * BLAKE2b-256 of the trace, to which layers append their final state with
 * engine_trace_bytes(). Event kind numbers are stable: they enter the digest.
 *
 * Failures found while running (an SQLite write that failed, an impossible
 * state reached through input) are reported with engine_fail(): the first
 * message is kept and the run stops at the next event.
 */
#ifndef CHAINSIM_ENGINE_H
#define CHAINSIM_ENGINE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/hash.h"
#include "sim/engine/evq.h"

#define ENGINE_MAX_KINDS 16

/* Runs one event of a registered kind. */
typedef void (*engine_run_fn)(void *ctx, const ev_t *ev);
/* Names the event's payload for the trace: returns its id and sets *sub
 * (a sub-kind, e.g. the message kind; 0xff when none). Without one, the
 * payload id is ev->d.u and the sub-kind 0xff. */
typedef uint64_t (*engine_trace_fn)(const ev_t *ev, uint64_t *sub);
/* Releases what an event still in the queue at the end of the run owns. */
typedef void (*engine_discard_fn)(void *ctx, const ev_t *ev);

typedef struct engine_kind {
    engine_run_fn run;
    engine_trace_fn trace;
    engine_discard_fn discard;
    void *ctx;
} engine_kind_t;

typedef struct engine {
    evq_t *q;
    uint64_t now_ns;   /* time of the event being processed */
    uint64_t events;   /* events processed so far */
    engine_kind_t kinds[ENGINE_MAX_KINDS];
    hasher_t trace;
    size_t trace_len;
    uint8_t trace_buf[4096];
    char *error;       /* the first failure; owned */
    bool failed;
} engine_t;

/* Initialises e with an empty queue. Release with engine_clear(). */
void engine_init(engine_t *e);
/* Discards the events still queued (through their kinds' discard
 * functions) and frees what the engine owns. */
void engine_clear(engine_t *e);

/* Registers the functions of event kind `kind` (1 .. ENGINE_MAX_KINDS-1);
 * a kind is registered once (asserted). trace and discard may be NULL. */
void engine_on(engine_t *e, uint32_t kind, engine_run_fn run, engine_trace_fn trace, engine_discard_fn discard,
               void *ctx);

/* Schedules an event of a registered kind at at_ns (>= now). */
static inline ev_handle_t engine_at(engine_t *e, uint64_t at_ns, uint32_t kind, ev_data_t d)
{
    return evq_push(e->q, at_ns, kind, d);
}

/* Processes the next event if it is at or before limit_ns: advances the
 * clock, traces it and runs it. Returns false when there is none. */
bool engine_step_until(engine_t *e, uint64_t limit_ns);

/* Drops an event taken off the queue without running it, releasing what it
 * owns (white-box tests that steer a run by hand). */
void engine_discard(engine_t *e, const ev_t *ev);

/* Appends n bytes to the trace. */
void engine_trace_bytes(engine_t *e, const uint8_t *rec, size_t n);
/* Appends v as 8 little-endian bytes. */
void engine_trace_u64(engine_t *e, uint64_t v);

/* Ends the trace and writes the digest as 64 hex characters and a NUL. */
void engine_digest(engine_t *e, char hex[2 * HASH_BYTES + 1]);

/* Marks the run failed with a message (the first one is kept). */
void engine_fail(engine_t *e, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
