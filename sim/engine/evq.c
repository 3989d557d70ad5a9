/*
 * evq.c - the event queue: a 4-ary min-heap of keys over a pool of events.
 *
 * Layout. Two arrays, both grown by doubling with realloc:
 *   - the pool, an array of slots. A slot holds an event's kind, payload and
 *     scheduling sequence number, and a generation counter. A free slot has
 *     kind EVQ_KIND_FREE, a cancelled one EVQ_KIND_CANCELLED (so event kinds
 *     stay below both). Free slots form a LIFO free list threaded through
 *     next_free (in place of seq), so a recycled slot is usually still in
 *     cache.
 *   - the heap, an array of 16-byte keys {time_ns, seqslot}. seqslot holds a
 *     key sequence number in its high bits and the pool slot in its low
 *     slot_bits bits. It is a 4-ary min-heap ordered by (time_ns, seqslot):
 *     the children of index i are 4i+1 .. 4i+4. Comparisons read only the
 *     keys, never the pool. A 4-ary heap is half as deep as a binary one and
 *     its four children sit side by side in one cache line, which makes it
 *     faster for the push/pop mix of a simulator.
 *
 * Order. seq is taken from a 64-bit counter at every push and never reused,
 * so (time_ns, seq) is a total order over all events ever scheduled: pop
 * order does not depend on addresses, slot numbers or the history of the
 * heap's shape, and events at equal times run in scheduling order. The key
 * holds a key sequence number instead, which orders the pending keys exactly
 * as their seq do: it is taken from its own counter at every push, so
 * comparing seqslot compares it.
 *
 * Growth. The pool grows as needed, up to EVQ_PENDING_MAX slots (more memory
 * than a machine has) or until realloc fails. When it outgrows the slot
 * field of the keys, slot_bits grows by one and every key in the heap is
 * rewritten with the wider split (O(n), once per doubling); the key
 * sequence numbers then have 64 - slot_bits bits. When the key counter
 * reaches the end of that space, the keys are sorted by (time_ns, seqslot)
 * and renumbered 0, 1, 2, ... in that order (a sorted array is a valid
 * heap): the relative order of pending events is unchanged. With the
 * initial 24 bits this takes 2^40 pushes; at 2^31 slots, still 2^33.
 *
 * Failure. A push that cannot get memory (or would pass the limit) stores
 * nothing, returns 0 and leaves the queue failed with a message
 * (evq_error()); from then on pushes return 0 and evq_pop_until() returns
 * false, so the run loop stops at its next step; evq_pop() still hands out
 * the pending events so their payloads can be freed.
 *
 * Handles. A handle is ((uint64_t)generation << 32) | (slot + 1); it is never
 * 0. Freeing a slot increments its generation, so a handle to an event that
 * already ran or was discarded no longer matches. (A generation wraps after
 * 2^32 reuses of the same slot; a handle kept that long could alias.) Slots
 * stay below 2^31, so slot + 1 always fits the low 32 bits.
 *
 * Cancellation is lazy: evq_cancel marks the slot CANCELLED and decrements
 * the live count; the key stays in the heap and its slot is freed when it
 * reaches the top (evq_pop, evq_peek_time). When cancelled keys come to
 * outnumber live ones, the heap is compacted (dead keys removed, then
 * rebuilt bottom-up), so memory stays bounded by about twice the live count.
 *
 * Invariants:
 *   - heap_len == live + dead; every key in the heap names a slot that is
 *     live or cancelled, and every such slot is named by exactly one key;
 *   - heap[parent(i)] < heap[i] in (time_ns, seqslot) order, and seqslot
 *     order among keys is seq order;
 *   - pool_cap <= 2^slot_bits, and every key sequence number is below
 *     key_seq_next <= 2^(64 - slot_bits);
 *   - every key's time_ns >= now_ns (push asserts it), so popped times never
 *     go backward (pop asserts it as well).
 *
 * Assertions stay on in every build (EVQ_ASSERT ignores NDEBUG): a bug in the
 * engine must stop the run, not make it silently nondeterministic.
 */
#include "sim/engine/evq.h"

#include <stdarg.h>
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
#define EVQ_NO_SLOT UINT32_MAX
/* Compaction is not worth it for tiny heaps. */
#define EVQ_COMPACT_MIN_LEN 256u
/* Kinds of slots that hold no pending event (kinds of events stay below). */
#define EVQ_KIND_CANCELLED EVQ_KIND_LIMIT
#define EVQ_KIND_FREE (EVQ_KIND_LIMIT + 1)

typedef struct evq_slot {
    ev_data_t d;
    union {
        uint64_t seq;       /* pending or cancelled: the event's seq */
        uint32_t next_free; /* free: the free-list link */
    } u;
    uint32_t kind; /* the event's, or EVQ_KIND_CANCELLED or EVQ_KIND_FREE */
    uint32_t gen;  /* incremented every time the slot is freed */
} evq_slot_t;

_Static_assert(sizeof(evq_slot_t) == 48, "a slot is 48 bytes");

/* 16 bytes, so the four children of a node share one 64-byte cache line
 * when the heap is aligned (see evq_new): seqslot holds the key sequence
 * number in its high 64 - slot_bits bits and the pool slot in its low
 * slot_bits. Since key sequence numbers are unique, comparing seqslot
 * compares them. */
typedef struct evq_key {
    uint64_t time_ns;
    uint64_t seqslot;
} evq_key_t;

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

    unsigned slot_bits;     /* width of the slot field of a key */
    uint64_t slot_mask;     /* (1 << slot_bits) - 1 */
    uint64_t key_seq_next;  /* key sequence number of the next push */
    uint64_t key_seq_limit; /* renumber when key_seq_next reaches it */
    uint64_t key_seq_base;  /* key_seq_next after the last renumbering */
    uint64_t renumber_at;   /* evq_limits_t.renumber_at (0 = none) */
    size_t max_pending;     /* pool slots at most */

    char *error;       /* why a push failed; NULL while all is well */
    bool error_static; /* error is a string constant, not malloc'ed */
};

static inline uint32_t key_slot(const evq_t *q, evq_key_t k)
{
    return (uint32_t)(k.seqslot & q->slot_mask);
}

/* realloc that aborts on failure, for the queue's creation only; n * size
 * must not overflow (checked). */
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

/* Marks the queue failed with the message fmt (the first one is kept).
 * Returns false. */
static bool evq_fail(evq_t *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool evq_fail(evq_t *q, const char *fmt, ...)
{
    if (q->error != NULL)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *m = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (m == NULL) {
        /* A message that cannot be allocated still fails the queue. */
        q->error = (char *)"event queue: out of memory";
        q->error_static = true;
        return false;
    }
    va_start(ap, fmt);
    vsnprintf(m, (size_t)n + 1, fmt, ap);
    va_end(ap);
    q->error = m;
    return false;
}

static inline bool evq_key_less(const evq_key_t *a, const evq_key_t *b)
{
    return a->time_ns < b->time_ns ||
           (a->time_ns == b->time_ns && a->seqslot < b->seqslot);
}

static int evq_key_cmp(const void *pa, const void *pb)
{
    const evq_key_t *a = pa, *b = pb;
    return evq_key_less(a, b) ? -1 : evq_key_less(b, a) ? 1 : 0;
}

/* Sets key_seq_limit: the end of the key sequence space for slot_bits, or
 * sooner when the limits ask to renumber sooner. */
static void evq_set_key_seq_limit(evq_t *q)
{
    uint64_t space = (uint64_t)1 << (64 - q->slot_bits);
    q->key_seq_limit = space;
    if (q->renumber_at != 0 && q->renumber_at < space - q->key_seq_base)
        q->key_seq_limit = q->key_seq_base + q->renumber_at;
}

/* Sets slot_bits and what follows from it. */
static void evq_set_slot_bits(evq_t *q, unsigned bits)
{
    EVQ_ASSERT(bits >= 1 && bits <= EVQ_SLOT_BITS_MAX);
    q->slot_bits = bits;
    q->slot_mask = ((uint64_t)1 << bits) - 1;
    evq_set_key_seq_limit(q);
}

/* Renumbers the keys' sequence numbers 0, 1, 2, ... in (time_ns, seqslot)
 * order. The sorted array is a valid heap; the order of the keys is the
 * same as before. */
static void evq_renumber(evq_t *q)
{
    EVQ_ASSERT(q->heap_len < ((uint64_t)1 << (64 - q->slot_bits)));
    qsort(q->heap, q->heap_len, sizeof q->heap[0], evq_key_cmp);
    for (size_t i = 0; i < q->heap_len; i++)
        q->heap[i].seqslot = (uint64_t)i << q->slot_bits | key_slot(q, q->heap[i]);
    q->key_seq_next = q->key_seq_base = q->heap_len;
    evq_set_key_seq_limit(q);
}

/* Makes the slot field of the keys one bit wider, rewriting every key in the
 * heap; their order does not change. */
static void evq_widen_keys(evq_t *q)
{
    unsigned old_bits = q->slot_bits;
    uint64_t old_mask = q->slot_mask;
    if (q->key_seq_next > ((uint64_t)1 << (64 - (old_bits + 1))))
        evq_renumber(q); /* the key sequence numbers must fit one bit less */
    evq_set_slot_bits(q, old_bits + 1);
    for (size_t i = 0; i < q->heap_len; i++) {
        uint64_t k = q->heap[i].seqslot;
        q->heap[i].seqslot = (k >> old_bits) << q->slot_bits | (k & old_mask);
    }
}

/* Threads slots [from, to) onto the free list so that the lowest index is
 * handed out first. */
static void evq_pool_link_free(evq_t *q, size_t from, size_t to)
{
    for (size_t i = to; i > from; i--) {
        evq_slot_t *s = &q->pool[i - 1];
        s->gen = 0;
        s->kind = EVQ_KIND_FREE;
        s->u.next_free = q->free_head;
        q->free_head = (uint32_t)(i - 1);
    }
}

/* Doubles the pool (up to max_pending), widening the keys' slot field when
 * the new slots need it. False, with the queue failed, when it cannot. */
static bool evq_pool_grow(evq_t *q)
{
    size_t cap = q->pool_cap <= q->max_pending / 2 ? q->pool_cap * 2 : q->max_pending;
    if (cap <= q->pool_cap)
        return evq_fail(q, "event queue: more than %zu pending events", q->max_pending);
    evq_slot_t *pool = cap <= SIZE_MAX / sizeof *pool ? realloc(q->pool, cap * sizeof *pool) : NULL;
    if (pool == NULL)
        return evq_fail(q, "event queue: out of memory growing to %zu pending events (%zu MB for the pool)", cap,
                        cap / (1024 * 1024) * sizeof *pool);
    q->pool = pool;
    evq_pool_link_free(q, q->pool_cap, cap);
    q->pool_cap = cap;
    while ((uint64_t)(cap - 1) > q->slot_mask)
        evq_widen_keys(q);
    return true;
}

/* Doubles the heap. False, with the queue failed, when it cannot. */
static bool evq_heap_grow(evq_t *q)
{
    size_t cap = q->heap_cap * 2;
    evq_key_t *heap = cap <= SIZE_MAX / sizeof *heap ? realloc(q->heap, cap * sizeof *heap) : NULL;
    if (heap == NULL)
        return evq_fail(q, "event queue: out of memory growing to %zu pending events (%zu MB for the heap)", cap,
                        cap / (1024 * 1024) * sizeof *heap);
    q->heap = heap;
    q->heap_cap = cap;
    return true;
}

static inline void evq_slot_free(evq_t *q, uint32_t i)
{
    evq_slot_t *s = &q->pool[i];
    s->gen++;
    s->kind = EVQ_KIND_FREE;
    s->u.next_free = q->free_head;
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
        if (q->pool[key_slot(q, k)].kind == EVQ_KIND_CANCELLED)
            evq_slot_free(q, key_slot(q, k));
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
        uint32_t slot = key_slot(q, q->heap[0]);
        if (EVQ_LIKELY(q->pool[slot].kind < EVQ_KIND_CANCELLED))
            return;
        EVQ_ASSERT(q->pool[slot].kind == EVQ_KIND_CANCELLED && q->dead > 0);
        evq_heap_remove_top(q);
        evq_slot_free(q, slot);
        q->dead--;
    }
}

evq_t *evq_new_limited(const evq_limits_t *lim)
{
    EVQ_ASSERT(lim->max_pending >= 1 && lim->max_pending <= EVQ_PENDING_MAX);
    evq_t *q = evq_xrealloc(NULL, 1, sizeof *q);
    memset(q, 0, sizeof *q);
    q->max_pending = lim->max_pending;
    q->renumber_at = lim->renumber_at;
    evq_set_slot_bits(q, lim->slot_bits);
    q->heap_cap = EVQ_CAP_INITIAL;
    q->heap = evq_xrealloc(NULL, q->heap_cap, sizeof q->heap[0]);
    q->pool_cap = EVQ_CAP_INITIAL;
    if (q->pool_cap > q->slot_mask + 1)
        q->pool_cap = (size_t)q->slot_mask + 1;
    if (q->pool_cap > q->max_pending)
        q->pool_cap = q->max_pending;
    q->pool = evq_xrealloc(NULL, q->pool_cap, sizeof q->pool[0]);
    q->free_head = EVQ_NO_SLOT;
    evq_pool_link_free(q, 0, q->pool_cap);
    return q;
}

evq_t *evq_new(void)
{
    const evq_limits_t lim = EVQ_LIMITS_DEFAULT;
    return evq_new_limited(&lim);
}

/* Frees the queue; pending payloads are not owned and are left alone. */
void evq_free(evq_t *q)
{
    if (q == NULL)
        return;
    if (!q->error_static)
        free(q->error);
    free(q->heap);
    free(q->pool);
    free(q);
}

const char *evq_error(const evq_t *q)
{
    return q->error;
}

ev_handle_t evq_push(evq_t *q, uint64_t time_ns, uint32_t kind, ev_data_t d)
{
    EVQ_ASSERT(time_ns >= q->now_ns);
    EVQ_ASSERT(kind < EVQ_KIND_LIMIT);
    if (EVQ_UNLIKELY(q->error != NULL))
        return 0;
    if (EVQ_UNLIKELY(q->free_head == EVQ_NO_SLOT) && !evq_pool_grow(q))
        return 0;
    if (EVQ_UNLIKELY(q->heap_len == q->heap_cap) && !evq_heap_grow(q))
        return 0;
    if (EVQ_UNLIKELY(q->key_seq_next >= q->key_seq_limit))
        evq_renumber(q);

    uint32_t slot = q->free_head;
    evq_slot_t *s = &q->pool[slot];
    q->free_head = s->u.next_free;
    s->d = d;
    s->kind = kind;
    s->u.seq = q->next_seq++;

    evq_key_t k = {.time_ns = time_ns, .seqslot = q->key_seq_next++ << q->slot_bits | slot};
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
    if (s->gen != gen || s->kind >= EVQ_KIND_CANCELLED)
        return false;

    s->kind = EVQ_KIND_CANCELLED;
    q->live--;
    q->dead++;
    if (q->dead > q->live && q->heap_len >= EVQ_COMPACT_MIN_LEN)
        evq_compact(q);
    return true;
}

/* Pops the earliest live event at or before limit_ns into *out. */
static inline bool evq_take(evq_t *q, uint64_t limit_ns, ev_t *out)
{
    evq_skip_cancelled(q);
    if (q->heap_len == 0 || q->heap[0].time_ns > limit_ns)
        return false;

    evq_key_t top = q->heap[0];
    evq_heap_remove_top(q);
    EVQ_ASSERT(top.time_ns >= q->now_ns);
    q->now_ns = top.time_ns;

    uint32_t slot = key_slot(q, top);
    evq_slot_t *s = &q->pool[slot];
    out->time_ns = top.time_ns;
    out->seq = s->u.seq;
    out->kind = s->kind;
    out->d = s->d;
    evq_slot_free(q, slot);
    q->live--;
    /* The next pop reads the new top's slot; start loading it now. */
    if (q->heap_len > 0)
        EVQ_PREFETCH(&q->pool[key_slot(q, q->heap[0])]);
    return true;
}

bool evq_pop_until(evq_t *q, uint64_t limit_ns, ev_t *out)
{
    if (EVQ_UNLIKELY(q->error != NULL))
        return false; /* failed: stop the run loop */
    return evq_take(q, limit_ns, out);
}

bool evq_pop(evq_t *q, ev_t *out)
{
    return evq_take(q, UINT64_MAX, out);
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
