/*
 * evq.h - the event queue: a 4-ary min-heap over a pool of events.
 *
 * Events are ordered by (time_ns, seq); seq is a counter taken at scheduling,
 * so ties are broken by scheduling order and never by address or hash. Events
 * are tagged unions (kind + payload) stored in a pool that grows by doubling
 * and recycles slots through a free list; the heap holds (time, seq, slot)
 * keys so comparisons never touch the pool. Cancellation sets a flag; a
 * cancelled event is discarded when it reaches the top. evq_pop asserts that
 * time never goes backward.
 */
#ifndef CHAINSIM_EVQ_H
#define CHAINSIM_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct evq evq_t;

/* Payload of an event. The meaning of the fields depends on the kind, which
 * the engine defines; the queue never looks inside. */
typedef struct ev_data {
    uint32_t a;  /* usually a node id */
    uint32_t b;  /* usually a peer node id or small index */
    uint32_t c;  /* a small counter (epoch, generation, flags) */
    uint32_t e;  /* another node id (fills what would be padding) */
    uint64_t u;  /* a counter, id or time */
    void *p;     /* a shared object (message, block, ...); not owned */
} ev_data_t;

typedef struct ev {
    uint64_t time_ns;
    uint64_t seq;
    uint32_t kind;
    ev_data_t d;
} ev_t;

/* Handle for cancellation: slot index and generation; 0 is never a valid
 * handle. */
typedef uint64_t ev_handle_t;

/* Creates an empty queue. Never returns NULL (aborts on out of memory).
 * Free with evq_free(). */
evq_t *evq_new(void);
void evq_free(evq_t *q);

/* Schedules an event at time_ns, which must be >= the time of the last popped
 * event (asserted). Returns a handle usable with evq_cancel(). */
ev_handle_t evq_push(evq_t *q, uint64_t time_ns, uint32_t kind, ev_data_t d);

/* Cancels a pending event. Returns false when the handle is stale (the event
 * already ran or was cancelled). */
bool evq_cancel(evq_t *q, ev_handle_t h);

/* Removes the earliest live event into *out; returns false when empty. */
bool evq_pop(evq_t *q, ev_t *out);

/* Like evq_pop, but only an event at or before limit_ns; false otherwise
 * (the queue is unchanged). */
bool evq_pop_until(evq_t *q, uint64_t limit_ns, ev_t *out);

/* Time of the earliest live event, or UINT64_MAX when empty. */
uint64_t evq_peek_time(evq_t *q);

/* Number of live (not cancelled) pending events. */
size_t evq_len(const evq_t *q);

/* Time of the last popped event (0 before the first pop). */
uint64_t evq_now(const evq_t *q);

/* Total events scheduled so far (the next seq value). */
uint64_t evq_scheduled(const evq_t *q);

#endif
