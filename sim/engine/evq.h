/*
 * evq.h - the event queue: a 4-ary min-heap over a pool of events.
 *
 * Events are ordered by (time_ns, seq); seq is a counter taken at scheduling,
 * so ties are broken by scheduling order and never by address or hash. Events
 * are tagged unions (kind + payload) stored in a pool that grows by doubling
 * and recycles slots through a free list; the heap holds (time, order, slot)
 * keys so comparisons never touch the pool. Cancellation sets a flag; a
 * cancelled event is discarded when it reaches the top. evq_pop asserts that
 * time never goes backward.
 *
 * The queue grows as far as memory allows (up to EVQ_PENDING_MAX pending
 * events, far more than a machine's memory holds). When memory runs out a
 * push fails cleanly: it returns 0, and the queue is failed (evq_error()):
 * further pushes return 0 and evq_pop_until() returns false, so a run loop
 * stops at its next step and can report the message; evq_pop() still hands
 * out the pending events so that their payloads can be freed.
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

/* Event kinds must stay below this (the queue uses the two values above). */
#define EVQ_KIND_LIMIT (UINT32_MAX - 1)

/* The most pending (or cancelled, not yet discarded) events: slot indices
 * stay below 2^31. At 64 bytes each that is 128 GiB. */
#define EVQ_PENDING_MAX ((size_t)1 << 31)
#define EVQ_SLOT_BITS_MAX 31

/* Limits of a queue. evq_new() uses EVQ_LIMITS_DEFAULT; tests give small
 * ones to reach the growth paths without gigabytes of memory. */
typedef struct evq_limits {
    /* Width of the slot field of a heap key at the start (1 to
     * EVQ_SLOT_BITS_MAX); it grows with the pool. */
    unsigned slot_bits;
    /* Renumber the keys' order numbers after this many pushes (counted
     * from the number of keys at the last renumbering); 0 = only when they
     * run out, after about 2^(64 - slot_bits) pushes. */
    uint64_t renumber_at;
    /* Pending events at most (1 to EVQ_PENDING_MAX); a push beyond fails
     * as if memory had run out. */
    size_t max_pending;
} evq_limits_t;

#define EVQ_LIMITS_DEFAULT ((evq_limits_t){ .slot_bits = 24, .renumber_at = 0, .max_pending = EVQ_PENDING_MAX })

/* Creates an empty queue. Never returns NULL (aborts on out of memory for
 * its first few hundred bytes). Free with evq_free(). */
evq_t *evq_new(void);
evq_t *evq_new_limited(const evq_limits_t *lim);
void evq_free(evq_t *q);

/* Schedules an event of kind (< EVQ_KIND_LIMIT) at time_ns, which must be
 * >= the time of the last popped event (both asserted). Returns a handle
 * usable with evq_cancel(), or 0 when the event cannot be stored (out of
 * memory, or max_pending reached): the queue is then failed, see above, and
 * the caller still owns the payload. */
ev_handle_t evq_push(evq_t *q, uint64_t time_ns, uint32_t kind, ev_data_t d);

/* Why the queue failed ("event queue: out of memory ..."), or NULL. Owned by
 * the queue. */
const char *evq_error(const evq_t *q);

/* Cancels a pending event. Returns false when the handle is stale (the event
 * already ran or was cancelled). */
bool evq_cancel(evq_t *q, ev_handle_t h);

/* Removes the earliest live event into *out; returns false when empty. */
bool evq_pop(evq_t *q, ev_t *out);

/* Like evq_pop, but only an event at or before limit_ns; false otherwise
 * (the queue is unchanged), and false once the queue has failed. */
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
