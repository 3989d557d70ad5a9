/*
 * evq.c - the event queue: a 4-ary min-heap of keys over a pool of events.
 *
 * Layout. Two arrays, both grown by doubling with realloc:
 *   - the pool, an array of slots. A slot holds an event's kind and payload,
 *     a generation counter and a state (FREE, LIVE or CANCELLED). Free slots
 *     form a LIFO free list threaded through next_free, so a recycled slot is
 *     usually still in cache.
 *   - the heap, an array of keys {time_ns, seq, slot}. It is a 4-ary min-heap
 *     ordered by (time_ns, seq): the children of index i are 4i+1 .. 4i+4.
 *     Comparisons read only the keys, never the pool. A 4-ary heap is half as
 *     deep as a binary one and its four children sit side by side in memory,
 *     which makes it faster for the push/pop mix of a simulator.
 *
 * Order. seq is taken from a counter at every push and is never reused, so
 * (time_ns, seq) is a total order over all events ever scheduled: pop order
 * does not depend on addresses, slot numbers or the history of the heap's
 * shape, and events at equal times run in scheduling order.
 *
 * Handles. A handle is ((uint64_t)generation << 32) | (slot + 1); it is never
 * 0. Freeing a slot increments its generation, so a handle to an event that
 * already ran or was discarded no longer matches. (A generation wraps after
 * 2^32 reuses of the same slot; a handle kept that long could alias.)
 *
 * Cancellation is lazy: evq_cancel marks the slot CANCELLED and decrements
 * the live count; the key stays in the heap and its slot is freed when it
 * reaches the top (evq_pop, evq_peek_time). When cancelled keys come to
 * outnumber live ones, the heap is compacted (dead keys removed, then
 * rebuilt bottom-up), so memory stays bounded by about twice the live count.
 *
 * Invariants:
 *   - heap_len == live + dead; every key in the heap names a slot that is
 *     LIVE or CANCELLED, and every such slot is named by exactly one key;
 *   - heap[parent(i)] < heap[i] in (time_ns, seq) order;
 *   - every key's time_ns >= now_ns (push asserts it), so popped times never
 *     go backward (pop asserts it as well).
 *
 * Assertions stay on in every build (EVQ_ASSERT ignores NDEBUG): a bug in the
 * engine must stop the run, not make it silently nondeterministic.
 */
#include "sim/engine/evq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVQ_ASSERT(c)                                                        \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__,  \
                    __LINE__, __func__, #c);                                 \
            abort();                                                         \
        }                                                                    \
    } while (0)

#if defined(__GNUC__)
#define EVQ_LIKELY(x) __builtin_expect(!!(x), 1)
#define EVQ_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define EVQ_PREFETCH(p) __builtin_prefetch(p)
#else
#define EVQ_PREFETCH(p) ((void)(p))
#define EVQ_LIKELY(x) (x)
#define EVQ_UNLIKELY(x) (x)
#endif

#define EVQ_CAP_INITIAL 64u
/* Slot indices must fit in the low 32 bits of a handle as slot + 1. */
#define EVQ_CAP_MAX ((size_t)1 << 24) /* slots fit the key's 24 bits */
#define EVQ_NO_SLOT UINT32_MAX
/* Compaction is not worth it for tiny heaps. */
#define EVQ_COMPACT_MIN_LEN 256u

enum evq_slot_state {
    SLOT_FREE = 0,
    SLOT_LIVE = 1,
    SLOT_CANCELLED = 2,
};

typedef struct evq_slot {
    ev_data_t d;
    uint32_t kind;
    uint32_t gen;       /* incremented every time the slot is freed */
    uint32_t next_free; /* free-list link while FREE, else unused */
    uint32_t state;     /* enum evq_slot_state */
} evq_slot_t;

/* 16 bytes, so the four children of a node share one 64-byte cache line
 * when the heap is aligned (see evq_new): seqslot holds the scheduling
 * sequence number in its high 40 bits and the pool slot in its low 24. Since
 * sequence numbers are unique, comparing seqslot compares seq. */
#define EVQ_SLOT_BITS 24
#define EVQ_SLOT_MASK ((1u << EVQ_SLOT_BITS) - 1)
typedef struct evq_key {
    uint64_t time_ns;
    uint64_t seqslot;
} evq_key_t;

static inline uint32_t key_slot(evq_key_t k)
{
    return (uint32_t)(k.seqslot & EVQ_SLOT_MASK);
}

static inline uint64_t key_seq(evq_key_t k)
{
    return k.seqslot >> EVQ_SLOT_BITS;
}

struct evq {
    evq_key_t *heap;
    size_t heap_len;
    size_t heap_cap;

    evq_slot_t *pool;
    size_t pool_cap;
    uint32_t free_head; /* EVQ_NO_SLOT when the free list is empty */

    size_t live; /* pending, not cancelled */
    size_t dead; /* cancelled, still in the heap */

    uint64_t now_ns;   /* time of the last popped event */
    uint64_t next_seq; /* seq of the next push */
};

/* realloc that aborts on failure; n * size must not overflow (checked). */
static void *evq_xrealloc(void *p, size_t n, size_t size)
{
    EVQ_ASSERT(size != 0 && n <= SIZE_MAX / size);
    void *r = realloc(p, n * size);
    if (r == NULL) {
        fprintf(stderr, "evq: out of memory (%zu bytes)\n", n * size);
        abort();
    }
    return r;
}

static inline bool evq_key_less(const evq_key_t *a, const evq_key_t *b)
{
    return a->time_ns < b->time_ns ||
           (a->time_ns == b->time_ns && a->seqslot < b->seqslot);
}

/* Threads slots [from, to) onto the free list so that the lowest index is
 * handed out first. */
static void evq_pool_link_free(evq_t *q, size_t from, size_t to)
{
    for (size_t i = to; i > from; i--) {
        evq_slot_t *s = &q->pool[i - 1];
        s->gen = 0;
        s->state = SLOT_FREE;
        s->next_free = q->free_head;
        q->free_head = (uint32_t)(i - 1);
    }
}

static void evq_pool_grow(evq_t *q)
{
    EVQ_ASSERT(q->pool_cap < EVQ_CAP_MAX);
    size_t cap = q->pool_cap * 2;
    if (cap > EVQ_CAP_MAX)
        cap = EVQ_CAP_MAX;
    q->pool = evq_xrealloc(q->pool, cap, sizeof q->pool[0]);
    evq_pool_link_free(q, q->pool_cap, cap);
    q->pool_cap = cap;
}

static inline uint32_t evq_slot_alloc(evq_t *q)
{
    if (EVQ_UNLIKELY(q->free_head == EVQ_NO_SLOT))
        evq_pool_grow(q);
    uint32_t i = q->free_head;
    q->free_head = q->pool[i].next_free;
    return i;
}

static inline void evq_slot_free(evq_t *q, uint32_t i)
{
    evq_slot_t *s = &q->pool[i];
    s->gen++;
    s->state = SLOT_FREE;
    s->next_free = q->free_head;
    q->free_head = i;
}

/* Moves key k up from the hole at index i until its parent is not greater,
 * then stores it. */
static inline void evq_sift_up(evq_key_t *heap, size_t i, evq_key_t k)
{
    while (i > 0) {
        size_t parent = (i - 1) >> 2;
        if (!evq_key_less(&k, &heap[parent]))
            break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = k;
}

/* Moves key k down from the hole at index i (heap of length len) until no
 * child is smaller, then stores it. */
static inline void evq_sift_down(evq_key_t *heap, size_t len, size_t i,
                                 evq_key_t k)
{
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= len)
            break;
        size_t m = c;
        if (EVQ_LIKELY(c + 3 < len)) {
            /* All four children exist: a branch-light tournament. */
            size_t m01 = evq_key_less(&heap[c + 1], &heap[c]) ? c + 1 : c;
            size_t m23 =
                evq_key_less(&heap[c + 3], &heap[c + 2]) ? c + 3 : c + 2;
            m = evq_key_less(&heap[m23], &heap[m01]) ? m23 : m01;
        } else {
            for (size_t j = c + 1; j < len; j++)
                if (evq_key_less(&heap[j], &heap[m]))
                    m = j;
        }
        if (!evq_key_less(&heap[m], &k))
            break;
        heap[i] = heap[m];
        i = m;
    }
    heap[i] = k;
}

/* Removes the top key (the heap must not be empty). */
static inline void evq_heap_remove_top(evq_t *q)
{
    size_t len = --q->heap_len;
    if (len > 0)
        evq_sift_down(q->heap, len, 0, q->heap[len]);
}

/* Drops cancelled keys from the heap and rebuilds it bottom-up (Floyd). The
 * pop order is unchanged because (time_ns, seq) is a total order. */
static void evq_compact(evq_t *q)
{
    size_t n = 0;
    for (size_t i = 0; i < q->heap_len; i++) {
        evq_key_t k = q->heap[i];
        if (q->pool[key_slot(k)].state == SLOT_CANCELLED)
            evq_slot_free(q, key_slot(k));
        else
            q->heap[n++] = k;
    }
    EVQ_ASSERT(n == q->live);
    q->heap_len = n;
    q->dead = 0;
    if (n > 1) {
        /* Sift down every internal node, from the last one, the parent of
         * n - 1, back to the root. */
        size_t last_parent = (n - 2) / 4;
        for (size_t i = last_parent + 1; i-- > 0;)
            evq_sift_down(q->heap, n, i, q->heap[i]);
    }
}

/* Frees cancelled keys at the top until the top is live or the heap empty. */
static inline void evq_skip_cancelled(evq_t *q)
{
    while (q->heap_len > 0) {
        uint32_t slot = key_slot(q->heap[0]);
        if (EVQ_LIKELY(q->pool[slot].state == SLOT_LIVE))
            return;
        EVQ_ASSERT(q->pool[slot].state == SLOT_CANCELLED && q->dead > 0);
        evq_heap_remove_top(q);
        evq_slot_free(q, slot);
        q->dead--;
    }
}

evq_t *evq_new(void)
{
    evq_t *q = evq_xrealloc(NULL, 1, sizeof *q);
    memset(q, 0, sizeof *q);
    q->heap_cap = EVQ_CAP_INITIAL;
    q->heap = evq_xrealloc(NULL, q->heap_cap, sizeof q->heap[0]);
    q->pool_cap = EVQ_CAP_INITIAL;
    q->pool = evq_xrealloc(NULL, q->pool_cap, sizeof q->pool[0]);
    q->free_head = EVQ_NO_SLOT;
    evq_pool_link_free(q, 0, q->pool_cap);
    return q;
}

/* Frees the queue; pending payloads are not owned and are left alone. */
void evq_free(evq_t *q)
{
    if (q == NULL)
        return;
    free(q->heap);
    free(q->pool);
    free(q);
}

ev_handle_t evq_push(evq_t *q, uint64_t time_ns, uint32_t kind, ev_data_t d)
{
    EVQ_ASSERT(time_ns >= q->now_ns);

    uint32_t slot = evq_slot_alloc(q);
    evq_slot_t *s = &q->pool[slot];
    s->d = d;
    s->kind = kind;
    s->state = SLOT_LIVE;

    if (EVQ_UNLIKELY(q->heap_len == q->heap_cap)) {
        EVQ_ASSERT(q->heap_cap < EVQ_CAP_MAX);
        q->heap_cap *= 2;
        q->heap = evq_xrealloc(q->heap, q->heap_cap, sizeof q->heap[0]);
    }
    EVQ_ASSERT(slot <= EVQ_SLOT_MASK && q->next_seq < (1ull << (64 - EVQ_SLOT_BITS)));
    evq_key_t k = {.time_ns = time_ns, .seqslot = q->next_seq++ << EVQ_SLOT_BITS | slot};
    evq_sift_up(q->heap, q->heap_len++, k);
    q->live++;

    return ((uint64_t)s->gen << 32) | ((uint64_t)slot + 1);
}

bool evq_cancel(evq_t *q, ev_handle_t h)
{
    uint64_t slot_plus_1 = h & 0xffffffffu;
    uint32_t gen = (uint32_t)(h >> 32);
    if (slot_plus_1 == 0 || slot_plus_1 > q->pool_cap)
        return false;
    evq_slot_t *s = &q->pool[slot_plus_1 - 1];
    if (s->gen != gen || s->state != SLOT_LIVE)
        return false;

    s->state = SLOT_CANCELLED;
    q->live--;
    q->dead++;
    if (q->dead > q->live && q->heap_len >= EVQ_COMPACT_MIN_LEN)
        evq_compact(q);
    return true;
}

bool evq_pop(evq_t *q, ev_t *out)
{
    return evq_pop_until(q, UINT64_MAX, out);
}

bool evq_pop_until(evq_t *q, uint64_t limit_ns, ev_t *out)
{
    evq_skip_cancelled(q);
    if (q->heap_len == 0 || q->heap[0].time_ns > limit_ns)
        return false;

    evq_key_t top = q->heap[0];
    evq_heap_remove_top(q);
    EVQ_ASSERT(top.time_ns >= q->now_ns);
    q->now_ns = top.time_ns;

    evq_slot_t *s = &q->pool[key_slot(top)];
    out->time_ns = top.time_ns;
    out->seq = key_seq(top);
    out->kind = s->kind;
    out->d = s->d;
    evq_slot_free(q, key_slot(top));
    q->live--;
    /* The next pop reads the new top's slot; start loading it now. */
    if (q->heap_len > 0)
        EVQ_PREFETCH(&q->pool[key_slot(q->heap[0])]);
    return true;
}

uint64_t evq_peek_time(evq_t *q)
{
    evq_skip_cancelled(q);
    return q->heap_len > 0 ? q->heap[0].time_ns : UINT64_MAX;
}

size_t evq_len(const evq_t *q)
{
    return q->live;
}

uint64_t evq_now(const evq_t *q)
{
    return q->now_ns;
}

uint64_t evq_scheduled(const evq_t *q)
{
    return q->next_seq;
}
