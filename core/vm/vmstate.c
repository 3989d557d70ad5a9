/*
 * vmstate.c - the in-memory world state of vmstate.h.
 *
 * Accounts are a hash table from address to account; each account's storage
 * is a hash table from the 32-byte key to the value. Code lives in a table
 * by Keccak-256 hash with a reference count per account using it, so equal
 * code is stored once. Listings sort their output, never relying on hash
 * table order.
 */
#include "core/vm/vmstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm/keccak.h"

typedef struct vcode {
    uint8_t hash[32];
    uint8_t *bytes;
    size_t len;
    unsigned refs;
} vcode_t;

typedef struct account {
    evm_addr_t addr;
    u256_t balance;
    uint64_t nonce;
    vcode_t *code;       /* NULL: none */
    GHashTable *storage; /* uint8_t[32] key (owned) -> u256_t * (owned) */
} account_t;

struct vmstate {
    GHashTable *accounts; /* evm_addr_t * (in the account) -> account_t *, owned */
    GHashTable *codes;    /* hash (in the vcode) -> vcode_t *, owned */
};

static const uint8_t empty_code_hash[32] = {
    0xc5, 0xd2, 0x46, 0x01, 0x86, 0xf7, 0x23, 0x3c, 0x92, 0x7e, 0x7d, 0xb2, 0xdc, 0xc7, 0x03, 0xc0,
    0xe5, 0x00, 0xb6, 0x53, 0xca, 0x82, 0x27, 0x3b, 0x7b, 0xfa, 0xd8, 0x04, 0x5d, 0x85, 0xa4, 0x70,
};

static guint bytes_hash(const uint8_t *b, size_t n)
{
    guint h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static guint addr_hash(gconstpointer p)
{
    return bytes_hash(p, 20);
}

static gboolean addr_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 20) == 0;
}

static guint key_hash(gconstpointer p)
{
    return bytes_hash(p, 32);
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 32) == 0;
}

static void code_unref(vmstate_t *s, vcode_t *c)
{
    if (c && --c->refs == 0)
        g_hash_table_remove(s->codes, c->hash);
}

static void vcode_free(gpointer p)
{
    vcode_t *c = p;
    g_free(c->bytes);
    g_free(c);
}

static void account_free(gpointer p)
{
    account_t *a = p;
    g_hash_table_destroy(a->storage);
    g_free(a);
}

vmstate_t *vmstate_new(void)
{
    vmstate_t *s = g_new0(vmstate_t, 1);
    s->accounts = g_hash_table_new_full(addr_hash, addr_equal, NULL, account_free);
    s->codes = g_hash_table_new_full(key_hash, key_equal, NULL, vcode_free);
    return s;
}

void vmstate_free(vmstate_t *s)
{
    if (!s)
        return;
    g_hash_table_destroy(s->accounts);
    g_hash_table_destroy(s->codes);
    g_free(s);
}

static account_t *find(vmstate_t *s, const evm_addr_t *a)
{
    return g_hash_table_lookup(s->accounts, a);
}

static account_t *get(vmstate_t *s, const evm_addr_t *a)
{
    account_t *acc = find(s, a);
    if (!acc) {
        acc = g_new0(account_t, 1);
        acc->addr = *a;
        acc->storage = g_hash_table_new_full(key_hash, key_equal, g_free, g_free);
        g_hash_table_insert(s->accounts, &acc->addr, acc);
    }
    return acc;
}

void vmstate_set_balance(vmstate_t *s, const evm_addr_t *a, const u256_t *v)
{
    get(s, a)->balance = *v;
}

void vmstate_set_nonce(vmstate_t *s, const evm_addr_t *a, uint64_t v)
{
    get(s, a)->nonce = v;
}

void vmstate_set_code(vmstate_t *s, const evm_addr_t *a, const uint8_t *code, size_t len)
{
    account_t *acc = get(s, a);
    vcode_t *old = acc->code;
    acc->code = NULL;
    if (len > 0) {
        uint8_t h[32];
        keccak256(code, len, h);
        vcode_t *c = g_hash_table_lookup(s->codes, h);
        if (!c) {
            c = g_new0(vcode_t, 1);
            memcpy(c->hash, h, 32);
            c->bytes = g_memdup2(code, len);
            c->len = len;
            g_hash_table_insert(s->codes, c->hash, c);
        }
        c->refs++;
        acc->code = c;
    }
    code_unref(s, old);
}

void vmstate_set_storage(vmstate_t *s, const evm_addr_t *a, const u256_t *key, const u256_t *v)
{
    account_t *acc = get(s, a);
    uint8_t k[32];
    u256_to_be(key, k);
    if (u256_is_zero(v))
        g_hash_table_remove(acc->storage, k);
    else
        g_hash_table_insert(acc->storage, g_memdup2(k, 32), g_memdup2(v, sizeof *v));
}

bool vmstate_exists(vmstate_t *s, const evm_addr_t *a)
{
    return find(s, a) != NULL;
}

u256_t vmstate_balance(vmstate_t *s, const evm_addr_t *a)
{
    account_t *acc = find(s, a);
    return acc ? acc->balance : u256_from_u64(0);
}

uint64_t vmstate_nonce(vmstate_t *s, const evm_addr_t *a)
{
    account_t *acc = find(s, a);
    return acc ? acc->nonce : 0;
}

u256_t vmstate_storage(vmstate_t *s, const evm_addr_t *a, const u256_t *key)
{
    account_t *acc = find(s, a);
    if (!acc)
        return u256_from_u64(0);
    uint8_t k[32];
    u256_to_be(key, k);
    const u256_t *v = g_hash_table_lookup(acc->storage, k);
    return v ? *v : u256_from_u64(0);
}

const uint8_t *vmstate_code(vmstate_t *s, const evm_addr_t *a, size_t *len)
{
    account_t *acc = find(s, a);
    if (!acc || !acc->code) {
        *len = 0;
        return NULL;
    }
    *len = acc->code->len;
    return acc->code->bytes;
}

static int addr_cmp(const void *x, const void *y)
{
    return memcmp(x, y, 20);
}

evm_addr_t *vmstate_addresses(vmstate_t *s, size_t *n)
{
    *n = g_hash_table_size(s->accounts);
    evm_addr_t *out = g_new(evm_addr_t, *n + 1);
    GHashTableIter it;
    gpointer k, v;
    size_t i = 0;
    g_hash_table_iter_init(&it, s->accounts);
    while (g_hash_table_iter_next(&it, &k, &v))
        out[i++] = ((account_t *)v)->addr;
    qsort(out, *n, sizeof *out, addr_cmp);
    return out;
}

static int key_cmp(const void *x, const void *y)
{
    return memcmp(x, y, 32);
}

size_t vmstate_slots(vmstate_t *s, const evm_addr_t *a, u256_t **keys, u256_t **values)
{
    account_t *acc = find(s, a);
    size_t n = acc ? g_hash_table_size(acc->storage) : 0;
    uint8_t *raw = g_malloc((n + 1) * 32);
    size_t i = 0;
    if (acc) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, acc->storage);
        while (g_hash_table_iter_next(&it, &k, &v))
            memcpy(raw + 32 * i++, k, 32);
    }
    qsort(raw, n, 32, key_cmp);
    *keys = g_new(u256_t, n + 1);
    *values = g_new(u256_t, n + 1);
    for (i = 0; i < n; i++) {
        (*keys)[i] = u256_from_be(raw + 32 * i);
        (*values)[i] = *(const u256_t *)g_hash_table_lookup(acc->storage, raw + 32 * i);
    }
    g_free(raw);
    return n;
}

size_t vmstate_code_count(vmstate_t *s)
{
    return g_hash_table_size(s->codes);
}

/* ---- the host interface ---- */

static bool h_exists(void *ctx, const evm_addr_t *a)
{
    return vmstate_exists(ctx, a);
}

static u256_t h_balance(void *ctx, const evm_addr_t *a)
{
    return vmstate_balance(ctx, a);
}

static void h_set_balance(void *ctx, const evm_addr_t *a, const u256_t *v)
{
    vmstate_set_balance(ctx, a, v);
}

static uint64_t h_nonce(void *ctx, const evm_addr_t *a)
{
    return vmstate_nonce(ctx, a);
}

static void h_set_nonce(void *ctx, const evm_addr_t *a, uint64_t v)
{
    vmstate_set_nonce(ctx, a, v);
}

static void h_code(void *ctx, const evm_addr_t *a, const uint8_t **code, size_t *len, uint8_t hash[32])
{
    account_t *acc = find(ctx, a);
    if (!acc || !acc->code) {
        *code = NULL;
        *len = 0;
        memcpy(hash, empty_code_hash, 32);
        return;
    }
    *code = acc->code->bytes;
    *len = acc->code->len;
    memcpy(hash, acc->code->hash, 32);
}

static void h_set_code(void *ctx, const evm_addr_t *a, const uint8_t *code, size_t len)
{
    vmstate_set_code(ctx, a, code, len);
}

static u256_t h_sload(void *ctx, const evm_addr_t *a, const u256_t *key)
{
    return vmstate_storage(ctx, a, key);
}

static void h_sstore(void *ctx, const evm_addr_t *a, const u256_t *key, const u256_t *v)
{
    vmstate_set_storage(ctx, a, key, v);
}

static void h_remove(void *ctx, const evm_addr_t *a)
{
    vmstate_t *s = ctx;
    account_t *acc = find(s, a);
    if (!acc)
        return;
    vcode_t *c = acc->code;
    g_hash_table_remove(s->accounts, a);
    code_unref(s, c);
}

static void h_block_hash(void *ctx, uint64_t number, uint8_t out[32])
{
    char text[24];
    int n = snprintf(text, sizeof text, "%llu", (unsigned long long)number);
    keccak256((const uint8_t *)text, (size_t)n, out);
}

static const evm_host_t host = {
    h_exists, h_balance, h_set_balance, h_nonce, h_set_nonce, h_code,
    h_set_code, h_sload, h_sstore, h_remove, h_block_hash,
};

const evm_host_t *vmstate_host(void)
{
    return &host;
}
