/*
 * pow.c - Nakamoto proof of work behind the consensus interface (see pow.h).
 *
 * Difficulty arithmetic is integer (128-bit intermediates); only the
 * exponential delay uses floating point, from the caller's uniform draw.
 */
#include "core/consensus/pow.h"

#include <glib.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

typedef struct pow {
    consensus_t base;
    pow_cfg_t cfg;
    uint64_t *hashrate; /* owned copy */
} pow_t;

static pow_t *as_pow(consensus_t *c)
{
    return (pow_t *)c;
}

uint64_t pow_genesis_difficulty(const pow_cfg_t *cfg)
{
    unsigned __int128 d = (unsigned __int128)cfg->total_hashrate * cfg->interval_ns / 1000000000u;
    if (d == 0)
        d = 1;
    return d > UINT64_MAX / 4 ? UINT64_MAX / 4 : (uint64_t)d;
}

static const block_t *ancestor_at(const block_t *b, uint64_t height)
{
    while (b && b->h.height > height)
        b = b->parent;
    return b;
}

uint64_t pow_next_difficulty(consensus_t *c, const block_t *parent)
{
    const pow_cfg_t *cfg = &as_pow(c)->cfg;
    uint64_t old = parent->h.difficulty;
    uint64_t height = parent->h.height + 1;
    if (cfg->retarget_blocks == 0 || height % cfg->retarget_blocks != 0)
        return old;
    uint64_t from = parent->h.height > cfg->retarget_blocks ? parent->h.height - cfg->retarget_blocks : 0;
    const block_t *anc = ancestor_at(parent, from);
    uint64_t intervals = parent->h.height - anc->h.height;
    if (intervals == 0)
        return old;
    uint64_t span_ns = parent->h.time_ns > anc->h.time_ns ? parent->h.time_ns - anc->h.time_ns : 1;
    unsigned __int128 expected_ns = (unsigned __int128)intervals * cfg->interval_ns;
    unsigned __int128 lo = old / cfg->retarget_clamp, hi = (unsigned __int128)old * cfg->retarget_clamp;
    unsigned __int128 d = (unsigned __int128)old * expected_ns / span_ns;
    if (d < lo)
        d = lo;
    if (d > hi)
        d = hi;
    if (d == 0)
        d = 1;
    return d > UINT64_MAX / 4 ? UINT64_MAX / 4 : (uint64_t)d;
}

uint32_t pow_hash_zero_bits(const block_t *b)
{
    uint8_t buf[BLOCK_HEADER_FIXED_BYTES + 1024];
    uint8_t *enc = buf;
    size_t need = BLOCK_HEADER_FIXED_BYTES + b->h.extra_len;
    if (need > sizeof buf)
        enc = g_malloc(need);
    size_t len = block_header_encode(&b->h, enc, need);
    uint8_t h1[32], h2[32];
    crypto_hash_sha256(h1, enc, len);
    crypto_hash_sha256(h2, h1, sizeof h1);
    if (enc != buf)
        g_free(enc);
    uint32_t bits = 0;
    for (int i = 0; i < 32; i++) {
        if (h2[i] == 0) {
            bits += 8;
            continue;
        }
        for (int k = 7; k >= 0 && !(h2[i] >> k & 1); k--)
            bits++;
        break;
    }
    return bits;
}

static uint64_t pow_next_ns(consensus_t *c, uint32_t node, const block_t *tip, uint64_t now_ns, double unit)
{
    pow_t *p = as_pow(c);
    if (node >= p->cfg.nnodes || p->hashrate[node] == 0)
        return UINT64_MAX;
    double mean_s = (double)pow_next_difficulty(c, tip) / (double)p->hashrate[node];
    double delay_ns = -log(unit) * mean_s * 1e9;
    if (delay_ns > 1e18)
        return UINT64_MAX;
    return now_ns + (uint64_t)llround(delay_ns);
}

static uint64_t pow_schedule_key(consensus_t *c, const block_t *tip)
{
    return pow_next_difficulty(c, tip);
}

static void pow_prepare(consensus_t *c, block_t *b)
{
    pow_t *p = as_pow(c);
    b->h.difficulty = pow_next_difficulty(c, b->parent);
    b->h.nonce = 0;
    if (p->cfg.real_bits)
        while (pow_hash_zero_bits(b) < p->cfg.real_bits)
            b->h.nonce++;
}

static void pow_sign(consensus_t *c, block_t *b, const keypair_t *kp)
{
    (void)c;
    (void)b;
    (void)kp;
}

static bool pow_check(consensus_t *c, const block_t *b, const char **why)
{
    pow_t *p = as_pow(c);
    if (!b->parent) {
        *why = "no parent";
        return false;
    }
    if (b->h.difficulty != pow_next_difficulty(c, b->parent)) {
        *why = "wrong difficulty";
        return false;
    }
    if (b->h.time_ns < b->parent->h.time_ns) {
        *why = "timestamp before the parent's";
        return false;
    }
    if (p->cfg.real_bits && pow_hash_zero_bits(b) < p->cfg.real_bits) {
        *why = "proof of work does not meet the target";
        return false;
    }
    return true;
}

static int pow_compare(consensus_t *c, const block_t *a, const block_t *b)
{
    (void)c;
    return a->work > b->work ? 1 : a->work < b->work ? -1 : 0;
}

static const block_t *pow_final(consensus_t *c, const block_t *tip)
{
    uint32_t k = as_pow(c)->cfg.confirmations;
    uint64_t h = tip->h.height + 1 >= k ? tip->h.height + 1 - k : 0;
    return ancestor_at(tip, h);
}

static void pow_free_block(consensus_t *c, block_t *b)
{
    (void)c;
    (void)b;
}

static void pow_destroy(consensus_t *c)
{
    pow_t *p = as_pow(c);
    g_free(p->hashrate);
    g_free(p);
}

static const consensus_ops_t pow_ops = {
    .name = "pow",
    .next_ns = pow_next_ns,
    .schedule_key = pow_schedule_key,
    .prepare = pow_prepare,
    .sign = pow_sign,
    .check = pow_check,
    .compare = pow_compare,
    .final = pow_final,
    .free_block = pow_free_block,
    .destroy = pow_destroy,
};

consensus_t *pow_new(const pow_cfg_t *cfg)
{
    pow_t *p = g_new0(pow_t, 1);
    p->base.ops = &pow_ops;
    p->cfg = *cfg;
    if (p->cfg.retarget_clamp < 1)
        p->cfg.retarget_clamp = 1;
    if (p->cfg.confirmations < 1)
        p->cfg.confirmations = 1;
    p->hashrate = g_new0(uint64_t, cfg->nnodes ? cfg->nnodes : 1);
    if (cfg->hashrate)
        memcpy(p->hashrate, cfg->hashrate, sizeof(uint64_t) * cfg->nnodes);
    p->cfg.hashrate = p->hashrate;
    return &p->base;
}
