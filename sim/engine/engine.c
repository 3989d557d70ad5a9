/*
 * engine.c - dispatch, trace and failure of one run (see engine.h).
 *
 * A trace record is the 8-byte fingerprint of an event: the time, the kind,
 * the sub-kind and payload id, and the a/b fields, mixed with the splitmix64
 * finalizer. Records are buffered and hashed in 4 KiB blocks.
 */
#include <stdarg.h>
#include <string.h>

#include "sim/engine/engine.h"

void engine_init(engine_t *e)
{
    memset(e, 0, sizeof *e);
    e->q = evq_new();
    hasher_begin(&e->trace);
}

void engine_discard(engine_t *e, const ev_t *ev)
{
    const engine_kind_t *k = &e->kinds[ev->kind];
    if (k->discard)
        k->discard(k->ctx, ev);
}

void engine_clear(engine_t *e)
{
    if (!e->q)
        return;
    ev_t ev;
    while (evq_pop(e->q, &ev))
        engine_discard(e, &ev);
    evq_free(e->q);
    e->q = NULL;
    g_free(e->error);
    e->error = NULL;
}

void engine_on(engine_t *e, uint32_t kind, engine_run_fn run, engine_trace_fn trace, engine_discard_fn discard,
               void *ctx)
{
    g_assert(kind > 0 && kind < ENGINE_MAX_KINDS);
    g_assert(run && !e->kinds[kind].run);
    e->kinds[kind] = (engine_kind_t){ .run = run, .trace = trace, .discard = discard, .ctx = ctx };
}

void engine_fail(engine_t *e, const char *fmt, ...)
{
    if (e->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    e->error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    e->failed = true;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void engine_trace_bytes(engine_t *e, const uint8_t *rec, size_t n)
{
    if (e->trace_len + n > sizeof e->trace_buf) {
        hasher_update(&e->trace, e->trace_buf, e->trace_len);
        e->trace_len = 0;
    }
    memcpy(e->trace_buf + e->trace_len, rec, n);
    e->trace_len += n;
}

void engine_trace_u64(engine_t *e, uint64_t v)
{
    uint8_t rec[8];
    put_u64(rec, v);
    engine_trace_bytes(e, rec, sizeof rec);
}

bool engine_step_until(engine_t *e, uint64_t limit_ns)
{
    ev_t ev;
    if (!evq_pop_until(e->q, limit_ns, &ev))
        return false; /* the queue asserts that time never goes backward */
    e->now_ns = ev.time_ns;
    e->events++;
    const engine_kind_t *k = &e->kinds[ev.kind];
    g_assert(k->run);
    uint64_t sub = 0xff, payload = k->trace ? k->trace(&ev, &sub) : ev.d.u;
    uint64_t h = mix64(ev.time_ns);
    h = mix64(h ^ ((uint64_t)ev.kind << 56 | sub << 48 | (payload & 0xffffffffffffull)));
    h = mix64(h ^ ((uint64_t)ev.d.a << 32 | ev.d.b));
    engine_trace_u64(e, h);
    k->run(k->ctx, &ev);
    return true;
}

void engine_digest(engine_t *e, char hex[2 * HASH_BYTES + 1])
{
    hasher_update(&e->trace, e->trace_buf, e->trace_len);
    e->trace_len = 0;
    hash32_t h;
    hasher_end(&e->trace, &h);
    hash_to_hex(&h, hex);
}
