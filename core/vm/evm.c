/*
 * evm.c - the EVM interpreter: frames, gas, calls and creation, the journal.
 *
 * Execution. One C function (run) executes one frame: a loop dispatched by
 * computed goto over the opcode byte. Before each instruction the schedule's
 * tables charge its static gas and check the stack depth it needs (an
 * undefined opcode has an impossible depth, so the same test catches it);
 * handlers then charge dynamic gas (memory, copies, EXP bytes, storage and
 * account access, calls). No allocation happens per instruction: the stack
 * (1024 words per depth) is pooled in the interpreter, memory grows by
 * doubling, and code is padded with 33 zero bytes so PUSH never reads past
 * it and running off the end is STOP. A CALL or CREATE runs the callee's
 * frame by recursion (at most 1024 deep, a few hundred bytes of C stack
 * each).
 *
 * Code analysis. The jump destinations (JUMPDEST bytes not inside PUSH
 * data) are found once per code and kept, with the padded copy, in a table
 * keyed by the code's Keccak-256 hash (at most CACHE_MAX entries; the table
 * is emptied between executions when full). Init code is analysed per
 * creation and not kept.
 *
 * The journal. Every write through the host (balance, nonce, code,
 * storage, an account coming into existence), every account or slot made
 * warm and every self-destruct is recorded with what it replaced. A frame
 * starts at a checkpoint (journal length, log count, refund counter); when
 * it reverts or halts, the entries after the checkpoint are undone in
 * reverse order and the logs after it dropped. So a failed frame undoes
 * exactly its own changes and those of its callees. Self-destructed
 * accounts are removed when the whole execution succeeds.
 *
 * Gas schedules.
 *   homestead: Frontier costs (SLOAD 50, BALANCE / EXTCODE* 20, CALL 40,
 *     SSTORE 20000 / 5000 with a 15000 refund for clearing, EXP 10 + 10 a
 *     byte, SELFDESTRUCT 0 with a 24000 refund, 25000 for a CALL to an
 *     account that does not exist, 9000 to transfer value); a CALL passes
 *     exactly the gas asked for (no 63/64 rule: it came with EIP-150), a
 *     CREATE passes all its gas; code deposit costs 200 a byte and a
 *     creation that cannot pay it fails (EIP-2). Opcodes after DELEGATECALL
 *     (REVERT, RETURNDATA*, STATICCALL, shifts, CREATE2, EXTCODEHASH,
 *     CHAINID, SELFBALANCE, BASEFEE, PUSH0) are invalid.
 *   shanghai: every opcode up to PUSH0 (EIP-3855); EXP 50 a byte (EIP-160);
 *     warm/cold access (EIP-2929: 100 warm, 2600 cold account, 2100 cold
 *     slot; origin, caller, callee, coinbase (EIP-3651) and the precompile
 *     addresses start warm); SSTORE net metering (EIP-2200 with EIP-2929
 *     and EIP-3529 refunds, and the 2300 sentry); calls pass at most all
 *     but 1/64 of the gas left (EIP-150), 25000 for value sent to an empty
 *     account (EIP-161); created contracts start with nonce 1; code at most
 *     24576 bytes (EIP-170) and not starting with 0xEF (EIP-3541); init code
 *     at most 49152 bytes and 2 gas a word (EIP-3860); SELFDESTRUCT 5000,
 *     no refund.
 * Both: memory costs 3 a word plus words^2/512; stack limit 1024; call
 * depth limit 1024; a call's value stipend is 2300. Memory above MEM_LIMIT
 * bytes in one frame is treated as out of gas (it would cost more than
 * 3.4e10 gas), so host memory is bounded by the gas given.
 */
#include "core/vm/evm.h"

#include <glib.h>
#include <string.h>

#include "core/vm/keccak.h"
#include "core/vm/rlp.h"

#define STACK_LIMIT 1024
#define DEPTH_LIMIT 1024
#define MEM_LIMIT (UINT64_C(1) << 27)
#define CACHE_MAX 4096
#define CODE_PAD 33
#define MAX_CODE_SIZE 24576
#define MAX_INITCODE_SIZE 49152
#define CALL_STIPEND 2300

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- schedules ---------------------------------------------------------- */

typedef struct schedule {
    uint16_t cost[256];   /* static gas */
    uint16_t min_sp[256]; /* stack items needed; 0xffff: undefined opcode */
    uint16_t max_sp[256]; /* largest stack size before the opcode runs */
    bool shanghai;
} schedule_t;

static schedule_t schedules[2];

typedef struct opdef {
    uint8_t op, pop, push;
    uint16_t homestead; /* static gas; 0xffff: not in homestead */
    uint16_t shanghai;
} opdef_t;

#define NH 0xffff

static const opdef_t opdefs[] = {
    { 0x00, 0, 0, 0, 0 },     { 0x01, 2, 1, 3, 3 },     { 0x02, 2, 1, 5, 5 },     { 0x03, 2, 1, 3, 3 },
    { 0x04, 2, 1, 5, 5 },     { 0x05, 2, 1, 5, 5 },     { 0x06, 2, 1, 5, 5 },     { 0x07, 2, 1, 5, 5 },
    { 0x08, 3, 1, 8, 8 },     { 0x09, 3, 1, 8, 8 },     { 0x0a, 2, 1, 10, 10 },   { 0x0b, 2, 1, 5, 5 },
    { 0x10, 2, 1, 3, 3 },     { 0x11, 2, 1, 3, 3 },     { 0x12, 2, 1, 3, 3 },     { 0x13, 2, 1, 3, 3 },
    { 0x14, 2, 1, 3, 3 },     { 0x15, 1, 1, 3, 3 },     { 0x16, 2, 1, 3, 3 },     { 0x17, 2, 1, 3, 3 },
    { 0x18, 2, 1, 3, 3 },     { 0x19, 1, 1, 3, 3 },     { 0x1a, 2, 1, 3, 3 },     { 0x1b, 2, 1, NH, 3 },
    { 0x1c, 2, 1, NH, 3 },    { 0x1d, 2, 1, NH, 3 },    { 0x20, 2, 1, 30, 30 },   { 0x30, 0, 1, 2, 2 },
    { 0x31, 1, 1, 20, 0 },    { 0x32, 0, 1, 2, 2 },     { 0x33, 0, 1, 2, 2 },     { 0x34, 0, 1, 2, 2 },
    { 0x35, 1, 1, 3, 3 },     { 0x36, 0, 1, 2, 2 },     { 0x37, 3, 0, 3, 3 },     { 0x38, 0, 1, 2, 2 },
    { 0x39, 3, 0, 3, 3 },     { 0x3a, 0, 1, 2, 2 },     { 0x3b, 1, 1, 20, 0 },    { 0x3c, 4, 0, 20, 0 },
    { 0x3d, 0, 1, NH, 2 },    { 0x3e, 3, 0, NH, 3 },    { 0x3f, 1, 1, NH, 0 },    { 0x40, 1, 1, 20, 20 },
    { 0x41, 0, 1, 2, 2 },     { 0x42, 0, 1, 2, 2 },     { 0x43, 0, 1, 2, 2 },     { 0x44, 0, 1, 2, 2 },
    { 0x45, 0, 1, 2, 2 },     { 0x46, 0, 1, NH, 2 },    { 0x47, 0, 1, NH, 5 },    { 0x48, 0, 1, NH, 2 },
    { 0x50, 1, 0, 2, 2 },     { 0x51, 1, 1, 3, 3 },     { 0x52, 2, 0, 3, 3 },     { 0x53, 2, 0, 3, 3 },
    { 0x54, 1, 1, 50, 0 },    { 0x55, 2, 0, 0, 0 },     { 0x56, 1, 0, 8, 8 },     { 0x57, 2, 0, 10, 10 },
    { 0x58, 0, 1, 2, 2 },     { 0x59, 0, 1, 2, 2 },     { 0x5a, 0, 1, 2, 2 },     { 0x5b, 0, 0, 1, 1 },
    { 0x5f, 0, 1, NH, 2 },    { 0xa0, 2, 0, 375, 375 }, { 0xa1, 3, 0, 750, 750 }, { 0xa2, 4, 0, 1125, 1125 },
    { 0xa3, 5, 0, 1500, 1500 }, { 0xa4, 6, 0, 1875, 1875 }, { 0xf0, 3, 1, 32000, 32000 }, { 0xf1, 7, 1, 40, 0 },
    { 0xf2, 7, 1, 40, 0 },    { 0xf3, 2, 0, 0, 0 },     { 0xf4, 6, 1, 40, 0 },    { 0xf5, 4, 1, NH, 32000 },
    { 0xfa, 6, 1, NH, 0 },    { 0xfd, 2, 0, NH, 0 },    { 0xff, 1, 0, 0, 5000 },
};

static void define(schedule_t *s, unsigned op, unsigned pop, unsigned push, unsigned cost)
{
    s->cost[op] = (uint16_t)cost;
    s->min_sp[op] = (uint16_t)pop;
    s->max_sp[op] = (uint16_t)(push > pop ? STACK_LIMIT - (push - pop) : STACK_LIMIT);
}

static void build_schedules(void)
{
    for (int f = 0; f < 2; f++) {
        schedule_t *s = &schedules[f];
        s->shanghai = f == EVM_SHANGHAI;
        for (int op = 0; op < 256; op++) {
            s->cost[op] = 0;
            s->min_sp[op] = 0xffff;
            s->max_sp[op] = 0;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(opdefs); i++) {
            const opdef_t *d = &opdefs[i];
            unsigned cost = f == EVM_SHANGHAI ? d->shanghai : d->homestead;
            if (cost != NH)
                define(s, d->op, d->pop, d->push, cost);
        }
        for (unsigned n = 1; n <= 32; n++)
            define(s, 0x5f + n, 0, 1, 3);
        for (unsigned n = 1; n <= 16; n++) {
            define(s, 0x7f + n, n, n + 1, 3);
            define(s, 0x8f + n, n + 1, n + 1, 3);
        }
    }
}

static const schedule_t *schedule_of(evm_fork_t fork)
{
    static gsize once = 0;
    if (g_once_init_enter(&once)) {
        build_schedules();
        g_once_init_leave(&once, 1);
    }
    return &schedules[fork == EVM_SHANGHAI ? 1 : 0];
}

/* ---- names ---------------------------------------------------------- */

const char *evm_status_name(evm_status_t s)
{
    switch (s) {
    case EVM_SUCCESS: return "success";
    case EVM_REVERT: return "revert";
    case EVM_OUT_OF_GAS: return "out of gas";
    case EVM_BAD_JUMP: return "bad jump destination";
    case EVM_STACK_UNDERFLOW: return "stack underflow";
    case EVM_STACK_OVERFLOW: return "stack overflow";
    case EVM_INVALID_OPCODE: return "invalid opcode";
    case EVM_STATIC_WRITE: return "write in static call";
    case EVM_RETURNDATA_OOB: return "return data out of bounds";
    case EVM_DEPTH: return "call depth exceeded";
    case EVM_INSUFFICIENT_BALANCE: return "insufficient balance";
    case EVM_CREATE_COLLISION: return "contract address collision";
    case EVM_CODE_TOO_LARGE: return "code too large";
    case EVM_CODE_EF: return "code starts with 0xef";
    case EVM_PRECOMPILE: return "precompiled contract not implemented";
    case EVM_NONCE_OVERFLOW: return "nonce overflow";
    }
    return "unknown";
}

bool evm_fork_parse(const char *name, evm_fork_t *out)
{
    if (strcmp(name, "homestead") == 0) {
        *out = EVM_HOMESTEAD;
        return true;
    }
    if (strcmp(name, "shanghai") == 0) {
        *out = EVM_SHANGHAI;
        return true;
    }
    return false;
}

const char *evm_fork_name(evm_fork_t f)
{
    return f == EVM_SHANGHAI ? "shanghai" : "homestead";
}

/* ---- interpreter state ------------------------------------------------- */

typedef struct code_info {
    uint8_t hash[32];
    uint8_t *code;      /* len + CODE_PAD bytes, zero padded */
    size_t len;
    uint8_t *jumpdests; /* bit i: byte i is a JUMPDEST opcode */
} code_info_t;

enum { J_BALANCE, J_NONCE, J_STORAGE, J_CODE, J_CREATED, J_WARM_ACCOUNT, J_WARM_SLOT, J_DESTRUCT };

typedef struct jentry {
    uint8_t kind;
    evm_addr_t addr;
    u256_t key;
    u256_t old;
} jentry_t;

/* A slot under shanghai: its value at the start of the execution, and
 * whether it is warm. Key and value of vm->slots. */
typedef struct slot {
    evm_addr_t addr;
    uint8_t key[32];
    u256_t original;
    bool warm;
} slot_t;

typedef struct checkpoint {
    guint journal_len;
    guint logs_len;
    int64_t refund;
} checkpoint_t;

struct evm {
    evm_fork_t fork;
    const schedule_t *sched;
    const evm_host_t *host;
    void *ctx;
    const evm_env_t *env;
    GHashTable *code_cache;   /* hash (32 bytes, in the value) -> code_info_t, owned */
    u256_t *stacks[DEPTH_LIMIT + 1];
    GArray *journal;          /* jentry_t */
    GArray *logs;             /* evm_log_t, data owned until handed to a result */
    GArray *destructs;        /* evm_addr_t, in order, no repeats */
    GHashTable *destructed;   /* evm_addr_t * (into a copy) set */
    GHashTable *warm;         /* evm_addr_t * (owned) set */
    GHashTable *slots;        /* slot_t * (owned) set */
    int64_t refund;
};

typedef struct frame {
    const code_info_t *code;
    evm_addr_t address;
    evm_addr_t caller;
    u256_t value;
    const uint8_t *input;
    size_t input_len;
    int64_t gas;
    int depth;
    bool is_static;
    u256_t *stack;
    uint8_t *mem;
    size_t mem_size; /* bytes, a multiple of 32 */
    size_t mem_cap;
    uint8_t *ret;    /* return data of the last call or create (owned) */
    size_t ret_len;
    uint8_t *out;    /* the frame's output (owned until taken) */
    size_t out_len;
    evm_status_t status;
} frame_t;

static guint addr_hash(gconstpointer p)
{
    const uint8_t *b = p;
    guint h = 2166136261u;
    for (int i = 0; i < 20; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static gboolean addr_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 20) == 0;
}

static guint slot_hash(gconstpointer p)
{
    const slot_t *s = p;
    guint h = addr_hash(&s->addr);
    for (int i = 0; i < 32; i++)
        h = (h ^ s->key[i]) * 16777619u;
    return h;
}

static gboolean slot_equal(gconstpointer a, gconstpointer b)
{
    const slot_t *x = a, *y = b;
    return memcmp(&x->addr, &y->addr, 20) == 0 && memcmp(x->key, y->key, 32) == 0;
}

static guint hash32_hash(gconstpointer p)
{
    guint h;
    memcpy(&h, p, sizeof h);
    return h;
}

static gboolean hash32_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 32) == 0;
}

static void code_info_free(gpointer p)
{
    code_info_t *ci = p;
    g_free(ci->code);
    g_free(ci->jumpdests);
    g_free(ci);
}

/* A new analysis of code (padded copy and jump destinations). */
static code_info_t *analyse(const uint8_t *code, size_t len, const uint8_t hash[32])
{
    code_info_t *ci = g_new0(code_info_t, 1);
    if (hash)
        memcpy(ci->hash, hash, 32);
    ci->len = len;
    ci->code = g_malloc0(len + CODE_PAD);
    if (len)
        memcpy(ci->code, code, len);
    ci->jumpdests = g_malloc0(len / 8 + 1);
    for (size_t i = 0; i < len; i++) {
        uint8_t op = code[i];
        if (op == 0x5b)
            ci->jumpdests[i / 8] |= (uint8_t)(1u << (i % 8));
        else if (op >= 0x60 && op <= 0x7f)
            i += op - 0x5f;
    }
    return ci;
}

evm_t *evm_new(evm_fork_t fork, const evm_host_t *host, void *ctx)
{
    evm_t *vm = g_new0(evm_t, 1);
    vm->fork = fork;
    vm->sched = schedule_of(fork);
    vm->host = host;
    vm->ctx = ctx;
    vm->code_cache = g_hash_table_new_full(hash32_hash, hash32_equal, NULL, code_info_free);
    vm->journal = g_array_new(FALSE, FALSE, sizeof(jentry_t));
    vm->logs = g_array_new(FALSE, FALSE, sizeof(evm_log_t));
    vm->destructs = g_array_new(FALSE, FALSE, sizeof(evm_addr_t));
    vm->destructed = g_hash_table_new_full(addr_hash, addr_equal, g_free, NULL);
    vm->warm = g_hash_table_new_full(addr_hash, addr_equal, g_free, NULL);
    vm->slots = g_hash_table_new_full(slot_hash, slot_equal, g_free, NULL);
    return vm;
}

static void drop_logs(evm_t *vm, guint keep)
{
    for (guint i = keep; i < vm->logs->len; i++)
        g_free(g_array_index(vm->logs, evm_log_t, i).data);
    g_array_set_size(vm->logs, keep);
}

void evm_free(evm_t *vm)
{
    if (!vm)
        return;
    g_hash_table_destroy(vm->code_cache);
    for (int i = 0; i <= DEPTH_LIMIT; i++)
        g_free(vm->stacks[i]);
    drop_logs(vm, 0);
    g_array_free(vm->journal, TRUE);
    g_array_free(vm->logs, TRUE);
    g_array_free(vm->destructs, TRUE);
    g_hash_table_destroy(vm->destructed);
    g_hash_table_destroy(vm->warm);
    g_hash_table_destroy(vm->slots);
    g_free(vm);
}

/* The cached analysis of the code of account a; NULL when it has no code. */
static const code_info_t *code_of(evm_t *vm, const evm_addr_t *a)
{
    const uint8_t *code;
    size_t len;
    uint8_t hash[32];
    vm->host->code(vm->ctx, a, &code, &len, hash);
    if (len == 0)
        return NULL;
    code_info_t *ci = g_hash_table_lookup(vm->code_cache, hash);
    if (!ci) {
        ci = analyse(code, len, hash);
        g_hash_table_insert(vm->code_cache, ci->hash, ci);
    }
    return ci;
}

/* ---- journal ------------------------------------------------------------ */

static void jpush(evm_t *vm, uint8_t kind, const evm_addr_t *a, const u256_t *key, const u256_t *old)
{
    jentry_t e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.addr = *a;
    if (key)
        e.key = *key;
    if (old)
        e.old = *old;
    g_array_append_val(vm->journal, e);
}

static void touch(evm_t *vm, const evm_addr_t *a)
{
    if (!vm->host->exists(vm->ctx, a))
        jpush(vm, J_CREATED, a, NULL, NULL);
}

static void set_balance(evm_t *vm, const evm_addr_t *a, const u256_t *v)
{
    touch(vm, a);
    u256_t old = vm->host->balance(vm->ctx, a);
    jpush(vm, J_BALANCE, a, NULL, &old);
    vm->host->set_balance(vm->ctx, a, v);
}

static void set_nonce(evm_t *vm, const evm_addr_t *a, uint64_t v)
{
    touch(vm, a);
    u256_t old = u256_from_u64(vm->host->nonce(vm->ctx, a));
    jpush(vm, J_NONCE, a, NULL, &old);
    vm->host->set_nonce(vm->ctx, a, v);
}

static void set_storage(evm_t *vm, const evm_addr_t *a, const u256_t *key, const u256_t *old, const u256_t *v)
{
    touch(vm, a);
    jpush(vm, J_STORAGE, a, key, old);
    vm->host->sstore(vm->ctx, a, key, v);
}

static void set_code(evm_t *vm, const evm_addr_t *a, const uint8_t *code, size_t len)
{
    touch(vm, a);
    jpush(vm, J_CODE, a, NULL, NULL);
    vm->host->set_code(vm->ctx, a, code, len);
}

/* Moves value from `from` to `to` (the caller checked the balance). */
static void transfer(evm_t *vm, const evm_addr_t *from, const evm_addr_t *to, const u256_t *value)
{
    if (u256_is_zero(value))
        return;
    u256_t fb = vm->host->balance(vm->ctx, from);
    fb = u256_sub(&fb, value);
    set_balance(vm, from, &fb);
    u256_t tb = vm->host->balance(vm->ctx, to);
    tb = u256_add(&tb, value);
    set_balance(vm, to, &tb);
}

static checkpoint_t checkpoint(evm_t *vm)
{
    checkpoint_t c = { vm->journal->len, vm->logs->len, vm->refund };
    return c;
}

static void rollback(evm_t *vm, const checkpoint_t *c)
{
    const evm_host_t *h = vm->host;
    while (vm->journal->len > c->journal_len) {
        jentry_t *e = &g_array_index(vm->journal, jentry_t, vm->journal->len - 1);
        switch (e->kind) {
        case J_BALANCE: h->set_balance(vm->ctx, &e->addr, &e->old); break;
        case J_NONCE: h->set_nonce(vm->ctx, &e->addr, e->old.w[0]); break;
        case J_STORAGE: h->sstore(vm->ctx, &e->addr, &e->key, &e->old); break;
        case J_CODE: h->set_code(vm->ctx, &e->addr, NULL, 0); break;
        case J_CREATED: h->remove(vm->ctx, &e->addr); break;
        case J_WARM_ACCOUNT: g_hash_table_remove(vm->warm, &e->addr); break;
        case J_WARM_SLOT: {
            slot_t probe;
            probe.addr = e->addr;
            u256_to_be(&e->key, probe.key);
            slot_t *s = g_hash_table_lookup(vm->slots, &probe);
            g_assert(s);
            s->warm = false;
            break;
        }
        case J_DESTRUCT:
            g_hash_table_remove(vm->destructed, &e->addr);
            g_array_set_size(vm->destructs, vm->destructs->len - 1);
            break;
        default: g_assert_not_reached();
        }
        g_array_set_size(vm->journal, vm->journal->len - 1);
    }
    drop_logs(vm, c->logs_len);
    vm->refund = c->refund;
}

/* Shanghai: makes a warm; returns whether it was cold. */
static bool warm_account(evm_t *vm, const evm_addr_t *a)
{
    if (g_hash_table_contains(vm->warm, a))
        return false;
    g_hash_table_add(vm->warm, g_memdup2(a, sizeof *a));
    jpush(vm, J_WARM_ACCOUNT, a, NULL, NULL);
    return true;
}

/* Shanghai: the slot record of (a, key), created with the current value as
 * its original on first access; *was_cold tells whether it was cold (it is
 * warm afterwards). */
static slot_t *slot_access(evm_t *vm, const evm_addr_t *a, const u256_t *key, u256_t *current, bool *was_cold)
{
    slot_t probe;
    probe.addr = *a;
    u256_to_be(key, probe.key);
    *current = vm->host->sload(vm->ctx, a, key);
    slot_t *s = g_hash_table_lookup(vm->slots, &probe);
    if (!s) {
        s = g_new(slot_t, 1);
        *s = probe;
        s->original = *current;
        s->warm = false;
        g_hash_table_add(vm->slots, s);
    }
    *was_cold = !s->warm;
    if (!s->warm) {
        s->warm = true;
        jpush(vm, J_WARM_SLOT, a, key, NULL);
    }
    return s;
}

/* The code of a through the host; returns its length. */
static size_t host_code(evm_t *vm, const evm_addr_t *a, const uint8_t **code)
{
    size_t len;
    uint8_t hash[32];
    vm->host->code(vm->ctx, a, code, &len, hash);
    return len;
}

static bool account_empty(evm_t *vm, const evm_addr_t *a)
{
    if (!vm->host->exists(vm->ctx, a))
        return true;
    u256_t b = vm->host->balance(vm->ctx, a);
    if (!u256_is_zero(&b) || vm->host->nonce(vm->ctx, a) != 0)
        return false;
    const uint8_t *code;
    return host_code(vm, a, &code) == 0;
}

static bool is_precompile(evm_t *vm, const evm_addr_t *a)
{
    for (int i = 0; i < 19; i++)
        if (a->b[i])
            return false;
    return a->b[19] >= 1 && a->b[19] <= (vm->sched->shanghai ? 9 : 4);
}

static evm_addr_t addr_of_word(const u256_t *w)
{
    uint8_t be[32];
    evm_addr_t a;
    u256_to_be(w, be);
    memcpy(a.b, be + 12, 20);
    return a;
}

static u256_t word_of_addr(const evm_addr_t *a)
{
    return u256_from_be_n(a->b, 20);
}

/* ---- memory --------------------------------------------------------------- */

static inline int64_t mem_cost(uint64_t words)
{
    return (int64_t)(3 * words + words * words / 512);
}

/* Grows f's memory to cover [0, end) and charges f->gas. False: out of gas
 * (or above MEM_LIMIT). */
static bool mem_expand(frame_t *f, uint64_t end)
{
    if (end <= f->mem_size)
        return true;
    if (end > MEM_LIMIT)
        return false;
    uint64_t words = (end + 31) / 32;
    int64_t cost = mem_cost(words) - mem_cost(f->mem_size / 32);
    if (f->gas < cost)
        return false;
    f->gas -= cost;
    size_t need = (size_t)words * 32;
    if (need > f->mem_cap) {
        size_t cap = f->mem_cap ? f->mem_cap : 1024;
        while (cap < need)
            cap *= 2;
        f->mem = g_realloc(f->mem, cap);
        f->mem_cap = cap;
    }
    memset(f->mem + f->mem_size, 0, need - f->mem_size);
    f->mem_size = need;
    return true;
}

/* The memory region (off, size): *o and *n, grown and charged. A zero size
 * needs no memory whatever the offset. False: out of gas. */
static bool mem_region(frame_t *f, const u256_t *off, const u256_t *size, uint64_t *o, uint64_t *n)
{
    if (u256_is_zero(size)) {
        *o = 0;
        *n = 0;
        return true;
    }
    if (!u256_fits_u64(off) || !u256_fits_u64(size) || off->w[0] > MEM_LIMIT || size->w[0] > MEM_LIMIT)
        return false;
    *o = off->w[0];
    *n = size->w[0];
    return mem_expand(f, *o + *n);
}

/* Copies n bytes from src (src_len long) at offset off into dst, zeros past
 * the end. */
static void copy_padded(uint8_t *dst, const uint8_t *src, size_t src_len, const u256_t *off, uint64_t n)
{
    if (n == 0)
        return;
    uint64_t start = (u256_fits_u64(off) && off->w[0] < src_len) ? off->w[0] : src_len;
    uint64_t avail = src_len - start;
    uint64_t k = avail < n ? avail : n;
    if (k)
        memcpy(dst, src + start, k);
    memset(dst + k, 0, n - k);
}

static inline int64_t words_of(uint64_t n)
{
    return (int64_t)((n + 31) / 32);
}

/* ---- calls and creation ----------------------------------------------- */

typedef struct msg {
    uint8_t op;           /* 0xf1 CALL, 0xf2 CALLCODE, 0xf4 DELEGATECALL, 0xfa STATICCALL, 0xf0/0xf5 */
    evm_addr_t code_addr; /* calls: whose code runs */
    evm_addr_t address;   /* calls: whose storage and balance (the callee) */
    evm_addr_t caller;
    u256_t value;
    bool transfer;        /* move value from caller to address */
    const uint8_t *input;
    size_t input_len;
    int64_t gas;
    int depth;
    bool is_static;
    const u256_t *salt;   /* CREATE2 */
} msg_t;

typedef struct outcome {
    evm_status_t status;
    int64_t gas_left;
    uint8_t *out;         /* owned by the receiver */
    size_t out_len;
    evm_addr_t created;
} outcome_t;

static void run(evm_t *vm, frame_t *f);
static void message_call(evm_t *vm, const msg_t *m, outcome_t *o);
static void message_create(evm_t *vm, const msg_t *m, const uint8_t *init, size_t init_len, outcome_t *o);

static void frame_init(evm_t *vm, frame_t *f, const code_info_t *ci, const msg_t *m)
{
    memset(f, 0, sizeof *f);
    f->code = ci;
    f->address = m->address;
    f->caller = m->caller;
    f->value = m->value;
    f->input = m->input;
    f->input_len = m->input_len;
    f->gas = m->gas;
    f->depth = m->depth;
    f->is_static = m->is_static;
    if (!vm->stacks[m->depth])
        vm->stacks[m->depth] = g_new(u256_t, STACK_LIMIT);
    f->stack = vm->stacks[m->depth];
}

static void frame_done(frame_t *f)
{
    g_free(f->mem);
    g_free(f->ret);
    g_free(f->out);
}

/* Runs a message call; o->gas_left is what is returned to the caller. */
static void message_call(evm_t *vm, const msg_t *m, outcome_t *o)
{
    memset(o, 0, sizeof *o);
    o->gas_left = m->gas;
    if (m->depth > DEPTH_LIMIT) {
        o->status = EVM_DEPTH;
        return;
    }
    if (m->transfer && !u256_is_zero(&m->value)) {
        u256_t bal = vm->host->balance(vm->ctx, &m->caller);
        if (u256_lt(&bal, &m->value)) {
            o->status = EVM_INSUFFICIENT_BALANCE;
            return;
        }
    }
    checkpoint_t cp = checkpoint(vm);
    if (m->transfer)
        transfer(vm, &m->caller, &m->address, &m->value);
    if (is_precompile(vm, &m->code_addr)) {
        rollback(vm, &cp);
        o->status = EVM_PRECOMPILE;
        o->gas_left = 0;
        return;
    }
    const code_info_t *ci = code_of(vm, &m->code_addr);
    if (!ci) {
        o->status = EVM_SUCCESS;
        return;
    }
    frame_t f;
    frame_init(vm, &f, ci, m);
    run(vm, &f);
    o->status = f.status;
    o->gas_left = f.status <= EVM_REVERT ? f.gas : 0;
    if (f.status != EVM_SUCCESS)
        rollback(vm, &cp);
    if (f.status <= EVM_REVERT) {
        o->out = f.out;
        o->out_len = f.out_len;
        f.out = NULL;
    }
    frame_done(&f);
}

static void message_create(evm_t *vm, const msg_t *m, const uint8_t *init, size_t init_len, outcome_t *o)
{
    memset(o, 0, sizeof *o);
    o->gas_left = m->gas;
    if (m->depth > DEPTH_LIMIT) {
        o->status = EVM_DEPTH;
        return;
    }
    u256_t bal = vm->host->balance(vm->ctx, &m->caller);
    if (u256_lt(&bal, &m->value)) {
        o->status = EVM_INSUFFICIENT_BALANCE;
        return;
    }
    uint64_t nonce = vm->host->nonce(vm->ctx, &m->caller);
    if (nonce == UINT64_MAX) {
        o->status = EVM_NONCE_OVERFLOW;
        return;
    }
    set_nonce(vm, &m->caller, nonce + 1);
    evm_addr_t addr;
    if (m->salt) {
        uint8_t buf[85], h[32];
        buf[0] = 0xff;
        memcpy(buf + 1, m->caller.b, 20);
        u256_to_be(m->salt, buf + 21);
        keccak256(init, init_len, buf + 53);
        keccak256(buf, sizeof buf, h);
        memcpy(addr.b, h + 12, 20);
    } else {
        addr = evm_create_address(&m->caller, nonce);
    }
    o->created = addr;
    if (vm->sched->shanghai)
        warm_account(vm, &addr);
    const uint8_t *old_code;
    size_t old_len;
    uint8_t old_hash[32];
    vm->host->code(vm->ctx, &addr, &old_code, &old_len, old_hash);
    if (old_len != 0 || vm->host->nonce(vm->ctx, &addr) != 0) {
        o->status = EVM_CREATE_COLLISION;
        o->gas_left = 0;
        return;
    }
    checkpoint_t cp = checkpoint(vm);
    touch(vm, &addr);
    if (vm->sched->shanghai)
        set_nonce(vm, &addr, 1);
    transfer(vm, &m->caller, &addr, &m->value);
    if (init_len == 0) {
        o->status = EVM_SUCCESS;
        return;
    }
    code_info_t *ci = analyse(init, init_len, NULL);
    msg_t fm = *m;
    fm.address = addr;
    frame_t f;
    frame_init(vm, &f, ci, &fm);
    run(vm, &f);
    evm_status_t st = f.status;
    if (st == EVM_SUCCESS) {
        int64_t deposit = 200 * (int64_t)f.out_len;
        if (vm->sched->shanghai && f.out_len > MAX_CODE_SIZE)
            st = EVM_CODE_TOO_LARGE;
        else if (vm->sched->shanghai && f.out_len > 0 && f.out[0] == 0xef)
            st = EVM_CODE_EF;
        else if (f.gas < deposit)
            st = EVM_OUT_OF_GAS;
        else {
            f.gas -= deposit;
            set_code(vm, &addr, f.out, f.out_len);
        }
    }
    o->status = st;
    o->gas_left = st <= EVM_REVERT ? f.gas : 0;
    if (st != EVM_SUCCESS)
        rollback(vm, &cp);
    if (st == EVM_REVERT) {
        o->out = f.out;
        o->out_len = f.out_len;
        f.out = NULL;
    }
    frame_done(&f);
    code_info_free(ci);
}

/* The gas a callee may get: homestead exactly what was asked (false when
 * there is not that much); shanghai at most all but 1/64 of what is left. */
static bool callee_gas(evm_t *vm, int64_t left, const u256_t *asked, int64_t *out)
{
    if (vm->sched->shanghai) {
        int64_t cap = left - left / 64;
        *out = (u256_fits_u64(asked) && asked->w[0] < (uint64_t)cap) ? (int64_t)asked->w[0] : cap;
        return true;
    }
    if (!u256_fits_u64(asked) || asked->w[0] > (uint64_t)left)
        return false;
    *out = (int64_t)asked->w[0];
    return true;
}

/* Takes the callee's output as f's return data. */
static void set_return_data(frame_t *f, outcome_t *o)
{
    g_free(f->ret);
    f->ret = o->out;
    f->ret_len = o->out_len;
    o->out = NULL;
}

/* CALL, CALLCODE, DELEGATECALL, STATICCALL with their arguments on the
 * stack below sp; *result gets 1 or 0. Returns a halt of f's own, or
 * EVM_SUCCESS. */
static evm_status_t op_call(evm_t *vm, frame_t *f, const u256_t *sp, uint8_t op, u256_t *result)
{
    bool has_value = op == 0xf1 || op == 0xf2;
    u256_t gas_w = sp[-1];
    evm_addr_t to = addr_of_word(&sp[-2]);
    u256_t value = has_value ? sp[-3] : u256_from_u64(0);
    int k = has_value ? 4 : 3;
    u256_t in_off = sp[-k], in_size = sp[-k - 1], out_off = sp[-k - 2], out_size = sp[-k - 3];
    bool sends = !u256_is_zero(&value);
    if (op == 0xf1 && sends && f->is_static)
        return EVM_STATIC_WRITE;
    uint64_t io, in, oo, on;
    if (!mem_region(f, &in_off, &in_size, &io, &in) || !mem_region(f, &out_off, &out_size, &oo, &on))
        return EVM_OUT_OF_GAS;
    int64_t cost = 0;
    if (vm->sched->shanghai) {
        cost += warm_account(vm, &to) ? 2600 : 100;
        if (sends)
            cost += 9000;
        if (op == 0xf1 && sends && account_empty(vm, &to))
            cost += 25000;
    } else {
        if (sends)
            cost += 9000;
        if (op == 0xf1 && !vm->host->exists(vm->ctx, &to))
            cost += 25000;
    }
    if (f->gas < cost)
        return EVM_OUT_OF_GAS;
    f->gas -= cost;
    int64_t give;
    if (!callee_gas(vm, f->gas, &gas_w, &give))
        return EVM_OUT_OF_GAS;
    f->gas -= give;
    if (sends)
        give += CALL_STIPEND;

    msg_t m;
    memset(&m, 0, sizeof m);
    m.op = op;
    m.code_addr = to;
    m.address = (op == 0xf1 || op == 0xfa) ? to : f->address;
    m.caller = op == 0xf4 ? f->caller : f->address;
    m.value = op == 0xf4 ? f->value : value;
    m.transfer = op == 0xf1 || op == 0xf2; /* CALLCODE: from the frame to itself, checked like a CALL */
    m.input = in ? f->mem + io : NULL;
    m.input_len = in;
    m.gas = give;
    m.depth = f->depth + 1;
    m.is_static = f->is_static || op == 0xfa;
    outcome_t o;
    message_call(vm, &m, &o);
    f->gas += o.gas_left;
    if (on && o.out_len)
        memcpy(f->mem + oo, o.out, o.out_len < on ? o.out_len : on);
    set_return_data(f, &o);
    *result = u256_from_u64(o.status == EVM_SUCCESS);
    return EVM_SUCCESS;
}

/* CREATE / CREATE2 with their arguments below sp; *result gets the new
 * address or 0. Returns a halt of f's own, or EVM_SUCCESS. */
static evm_status_t op_create(evm_t *vm, frame_t *f, const u256_t *sp, bool create2, u256_t *result)
{
    if (f->is_static)
        return EVM_STATIC_WRITE;
    u256_t value = sp[-1], off = sp[-2], size = sp[-3];
    u256_t salt = create2 ? sp[-4] : u256_from_u64(0);
    uint64_t o, n;
    if (!mem_region(f, &off, &size, &o, &n))
        return EVM_OUT_OF_GAS;
    int64_t cost = 0;
    if (vm->sched->shanghai) {
        if (n > MAX_INITCODE_SIZE)
            return EVM_OUT_OF_GAS;
        cost += 2 * words_of(n);
    }
    if (create2)
        cost += 6 * words_of(n);
    if (f->gas < cost)
        return EVM_OUT_OF_GAS;
    f->gas -= cost;
    int64_t give = vm->sched->shanghai ? f->gas - f->gas / 64 : f->gas;
    f->gas -= give;
    msg_t m;
    memset(&m, 0, sizeof m);
    m.op = create2 ? 0xf5 : 0xf0;
    m.caller = f->address;
    m.value = value;
    m.transfer = true;
    m.gas = give;
    m.depth = f->depth + 1;
    m.salt = create2 ? &salt : NULL;
    /* the init code is copied: the new frame must not see this frame's memory move */
    uint8_t *init = n ? g_memdup2(f->mem + o, n) : NULL;
    outcome_t oc;
    message_create(vm, &m, init, n, &oc);
    g_free(init);
    f->gas += oc.gas_left;
    set_return_data(f, &oc);
    *result = oc.status == EVM_SUCCESS ? word_of_addr(&oc.created) : u256_from_u64(0);
    return EVM_SUCCESS;
}

static evm_status_t op_sload(evm_t *vm, frame_t *f, u256_t *top)
{
    if (!vm->sched->shanghai) {
        *top = vm->host->sload(vm->ctx, &f->address, top);
        return EVM_SUCCESS;
    }
    u256_t cur;
    bool cold;
    slot_access(vm, &f->address, top, &cur, &cold);
    int64_t cost = cold ? 2100 : 100;
    if (f->gas < cost)
        return EVM_OUT_OF_GAS;
    f->gas -= cost;
    *top = cur;
    return EVM_SUCCESS;
}

static evm_status_t op_sstore(evm_t *vm, frame_t *f, const u256_t *key, const u256_t *v)
{
    if (f->is_static)
        return EVM_STATIC_WRITE;
    if (!vm->sched->shanghai) {
        u256_t cur = vm->host->sload(vm->ctx, &f->address, key);
        bool cur_zero = u256_is_zero(&cur), new_zero = u256_is_zero(v);
        int64_t cost = (cur_zero && !new_zero) ? 20000 : 5000;
        if (f->gas < cost)
            return EVM_OUT_OF_GAS;
        f->gas -= cost;
        if (!cur_zero && new_zero)
            vm->refund += 15000;
        set_storage(vm, &f->address, key, &cur, v);
        return EVM_SUCCESS;
    }
    if (f->gas <= CALL_STIPEND)
        return EVM_OUT_OF_GAS;
    u256_t cur;
    bool cold;
    slot_t *s = slot_access(vm, &f->address, key, &cur, &cold);
    u256_t orig = s->original;
    int64_t cost = cold ? 2100 : 0;
    if (u256_eq(&cur, v)) {
        cost += 100;
    } else if (u256_eq(&orig, &cur)) {
        cost += u256_is_zero(&orig) ? 20000 : 2900;
        if (!u256_is_zero(&orig) && u256_is_zero(v))
            vm->refund += 4800;
    } else {
        cost += 100;
        if (!u256_is_zero(&orig)) {
            if (u256_is_zero(&cur))
                vm->refund -= 4800;
            else if (u256_is_zero(v))
                vm->refund += 4800;
        }
        if (u256_eq(&orig, v))
            vm->refund += u256_is_zero(&orig) ? 19900 : 2800;
    }
    if (f->gas < cost)
        return EVM_OUT_OF_GAS;
    f->gas -= cost;
    if (!u256_eq(&cur, v))
        set_storage(vm, &f->address, key, &cur, v);
    return EVM_SUCCESS;
}

/* Shanghai: the access charge of account a (100 warm, 2600 cold). */
static bool charge_access(evm_t *vm, frame_t *f, const evm_addr_t *a)
{
    if (!vm->sched->shanghai)
        return true;
    int64_t cost = warm_account(vm, a) ? 2600 : 100;
    if (f->gas < cost)
        return false;
    f->gas -= cost;
    return true;
}

static evm_status_t op_selfdestruct(evm_t *vm, frame_t *f, const u256_t *top)
{
    if (f->is_static)
        return EVM_STATIC_WRITE;
    evm_addr_t to = addr_of_word(top);
    u256_t bal = vm->host->balance(vm->ctx, &f->address);
    if (vm->sched->shanghai) {
        int64_t cost = warm_account(vm, &to) ? 2600 : 0;
        if (!u256_is_zero(&bal) && account_empty(vm, &to))
            cost += 25000;
        if (f->gas < cost)
            return EVM_OUT_OF_GAS;
        f->gas -= cost;
    }
    bool first = !g_hash_table_contains(vm->destructed, &f->address);
    if (first && !vm->sched->shanghai)
        vm->refund += 24000;
    u256_t tb = vm->host->balance(vm->ctx, &to);
    tb = u256_add(&tb, &bal);
    set_balance(vm, &to, &tb);
    u256_t zero = u256_from_u64(0);
    set_balance(vm, &f->address, &zero);
    if (first) {
        g_hash_table_add(vm->destructed, g_memdup2(&f->address, sizeof f->address));
        g_array_append_val(vm->destructs, f->address);
        jpush(vm, J_DESTRUCT, &f->address, NULL, NULL);
    }
    return EVM_SUCCESS;
}

static evm_status_t op_log(evm_t *vm, frame_t *f, const u256_t *sp, unsigned n_topics)
{
    if (f->is_static)
        return EVM_STATIC_WRITE;
    uint64_t o, n;
    if (!mem_region(f, &sp[-1], &sp[-2], &o, &n))
        return EVM_OUT_OF_GAS;
    int64_t cost = 8 * (int64_t)n;
    if (f->gas < cost)
        return EVM_OUT_OF_GAS;
    f->gas -= cost;
    evm_log_t log;
    memset(&log, 0, sizeof log);
    log.address = f->address;
    log.n_topics = n_topics;
    for (unsigned i = 0; i < n_topics; i++)
        u256_to_be(&sp[-3 - (int)i], log.topics[i]);
    log.data = n ? g_memdup2(f->mem + o, n) : NULL;
    log.data_len = n;
    g_array_append_val(vm->logs, log);
    return EVM_SUCCESS;
}

/* ---- the interpreter loop ---------------------------------------------- */

static inline u256_t push_bytes(const uint8_t *p, unsigned n)
{
    u256_t r = { { 0, 0, 0, 0 } };
    for (unsigned i = 0; i < n; i++) {
        unsigned pos = n - 1 - i; /* byte index from the least significant */
        r.w[pos / 8] |= (uint64_t)p[i] << (8 * (pos % 8));
    }
    return r;
}

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif

static void run(evm_t *vm, frame_t *f)
{
    static const void *const labels[256] = {
        [0 ... 255] = &&l_undefined,
        [0x00] = &&l_stop, [0x01] = &&l_add, [0x02] = &&l_mul, [0x03] = &&l_sub, [0x04] = &&l_div,
        [0x05] = &&l_sdiv, [0x06] = &&l_mod, [0x07] = &&l_smod, [0x08] = &&l_addmod, [0x09] = &&l_mulmod,
        [0x0a] = &&l_exp, [0x0b] = &&l_signextend,
        [0x10] = &&l_lt, [0x11] = &&l_gt, [0x12] = &&l_slt, [0x13] = &&l_sgt, [0x14] = &&l_eq,
        [0x15] = &&l_iszero, [0x16] = &&l_and, [0x17] = &&l_or, [0x18] = &&l_xor, [0x19] = &&l_not,
        [0x1a] = &&l_byte, [0x1b] = &&l_shl, [0x1c] = &&l_shr, [0x1d] = &&l_sar,
        [0x20] = &&l_sha3,
        [0x30] = &&l_address, [0x31] = &&l_balance, [0x32] = &&l_origin, [0x33] = &&l_caller,
        [0x34] = &&l_callvalue, [0x35] = &&l_calldataload, [0x36] = &&l_calldatasize,
        [0x37] = &&l_calldatacopy, [0x38] = &&l_codesize, [0x39] = &&l_codecopy, [0x3a] = &&l_gasprice,
        [0x3b] = &&l_extcodesize, [0x3c] = &&l_extcodecopy, [0x3d] = &&l_returndatasize,
        [0x3e] = &&l_returndatacopy, [0x3f] = &&l_extcodehash,
        [0x40] = &&l_blockhash, [0x41] = &&l_coinbase, [0x42] = &&l_timestamp, [0x43] = &&l_number,
        [0x44] = &&l_difficulty, [0x45] = &&l_gaslimit, [0x46] = &&l_chainid, [0x47] = &&l_selfbalance,
        [0x48] = &&l_basefee,
        [0x50] = &&l_pop, [0x51] = &&l_mload, [0x52] = &&l_mstore, [0x53] = &&l_mstore8, [0x54] = &&l_sload,
        [0x55] = &&l_sstore, [0x56] = &&l_jump, [0x57] = &&l_jumpi, [0x58] = &&l_pc, [0x59] = &&l_msize,
        [0x5a] = &&l_gas, [0x5b] = &&l_jumpdest, [0x5f] = &&l_push0,
        [0x60] = &&l_push1, [0x61 ... 0x7f] = &&l_push,
        [0x80 ... 0x8f] = &&l_dup, [0x90 ... 0x9f] = &&l_swap, [0xa0 ... 0xa4] = &&l_log,
        [0xf0] = &&l_create, [0xf1] = &&l_call, [0xf2] = &&l_call, [0xf3] = &&l_return,
        [0xf4] = &&l_call, [0xf5] = &&l_create2, [0xfa] = &&l_call, [0xfd] = &&l_revert,
        [0xff] = &&l_selfdestruct,
    };
    const schedule_t *sched = vm->sched;
    const evm_env_t *env = vm->env;
    const uint8_t *code = f->code->code;
    const uint8_t *jd = f->code->jumpdests;
    const size_t code_len = f->code->len;
    u256_t *const stack = f->stack;
    u256_t *sp = stack;
    size_t pc = 0;
    int64_t gas = f->gas;
    uint8_t op;
    evm_status_t st = EVM_SUCCESS;
    ptrdiff_t depth;

#define NEXT()                                                                       \
    do {                                                                             \
        op = code[pc];                                                               \
        if (UNLIKELY(gas < sched->cost[op]))                                         \
            goto l_oog;                                                              \
        gas -= sched->cost[op];                                                      \
        depth = sp - stack;                                                          \
        if (UNLIKELY(depth < sched->min_sp[op] || depth > sched->max_sp[op]))        \
            goto l_stack;                                                            \
        goto *labels[op];                                                            \
    } while (0)
#define STEP() do { pc++; NEXT(); } while (0)
#define SYNC_OUT() (f->gas = gas)
#define SYNC_IN() (gas = f->gas)
#define HALT(s) do { st = (s); goto l_halt; } while (0)
#define BINOP(expr) do { u256_t *a = &sp[-1], *b = &sp[-2]; *b = (expr); sp--; STEP(); } while (0)
#define ACCESS(a)                                                                    \
    do {                                                                             \
        SYNC_OUT();                                                                  \
        if (!charge_access(vm, f, &(a)))                                             \
            goto l_oog;                                                              \
        SYNC_IN();                                                                   \
    } while (0)
/* Memory for n bytes at the word *off: the fast path when it is there already. */
#define MEM_AT(off, n)                                                                         \
    do {                                                                                       \
        if (!(u256_fits_u64(off) && (off)->w[0] <= MEM_LIMIT && (off)->w[0] + (n) <= f->mem_size)) { \
            SYNC_OUT();                                                                        \
            if (!u256_fits_u64(off) || (off)->w[0] > MEM_LIMIT || !mem_expand(f, (off)->w[0] + (n))) \
                goto l_oog;                                                                    \
            SYNC_IN();                                                                         \
        }                                                                                      \
    } while (0)
#define CHARGE(c) do { int64_t c_ = (c); if (UNLIKELY(gas < c_)) goto l_oog; gas -= c_; } while (0)

    NEXT();

l_stop:
    st = EVM_SUCCESS;
    goto l_end;
l_add: BINOP(u256_add(a, b));
l_mul: BINOP(u256_mul(a, b));
l_sub: BINOP(u256_sub(a, b));
l_div: BINOP(u256_div(a, b));
l_sdiv: BINOP(u256_sdiv(a, b));
l_mod: BINOP(u256_mod(a, b));
l_smod: BINOP(u256_smod(a, b));
l_addmod: {
    sp[-3] = u256_addmod(&sp[-1], &sp[-2], &sp[-3]);
    sp -= 2;
    STEP();
}
l_mulmod: {
    sp[-3] = u256_mulmod(&sp[-1], &sp[-2], &sp[-3]);
    sp -= 2;
    STEP();
}
l_exp: {
    CHARGE((sched->shanghai ? 50 : 10) * (int64_t)u256_byte_len(&sp[-2]));
    BINOP(u256_exp(a, b));
}
l_signextend: BINOP(u256_signextend(a, b));
l_lt: BINOP(u256_from_u64(u256_lt(a, b)));
l_gt: BINOP(u256_from_u64(u256_lt(b, a)));
l_slt: BINOP(u256_from_u64(u256_slt(a, b)));
l_sgt: BINOP(u256_from_u64(u256_slt(b, a)));
l_eq: BINOP(u256_from_u64(u256_eq(a, b)));
l_iszero:
    sp[-1] = u256_from_u64(u256_is_zero(&sp[-1]));
    STEP();
l_and: BINOP(u256_and(a, b));
l_or: BINOP(u256_or(a, b));
l_xor: BINOP(u256_xor(a, b));
l_not:
    sp[-1] = u256_not(&sp[-1]);
    STEP();
l_byte: BINOP(u256_byte(a, b));
l_shl: BINOP(u256_shl(b, u256_shift_amount(a)));
l_shr: BINOP(u256_shr(b, u256_shift_amount(a)));
l_sar: BINOP(u256_sar(b, u256_shift_amount(a)));
l_sha3: {
    uint64_t o, n;
    SYNC_OUT();
    if (!mem_region(f, &sp[-1], &sp[-2], &o, &n))
        goto l_oog;
    SYNC_IN();
    CHARGE(6 * words_of(n));
    uint8_t h[32];
    keccak256(n ? f->mem + o : (const uint8_t *)"", n, h);
    sp[-2] = u256_from_be(h);
    sp--;
    STEP();
}
l_address:
    *sp++ = word_of_addr(&f->address);
    STEP();
l_balance: {
    evm_addr_t a = addr_of_word(&sp[-1]);
    ACCESS(a);
    sp[-1] = vm->host->balance(vm->ctx, &a);
    STEP();
}
l_origin:
    *sp++ = word_of_addr(&env->origin);
    STEP();
l_caller:
    *sp++ = word_of_addr(&f->caller);
    STEP();
l_callvalue:
    *sp++ = f->value;
    STEP();
l_calldataload: {
    uint8_t buf[32];
    copy_padded(buf, f->input, f->input_len, &sp[-1], 32);
    sp[-1] = u256_from_be(buf);
    STEP();
}
l_calldatasize:
    *sp++ = u256_from_u64(f->input_len);
    STEP();
l_calldatacopy:
l_codecopy:
l_returndatacopy: {
    uint64_t o, n;
    if (op == 0x3e) {
        u256_t end = u256_add(&sp[-2], &sp[-3]);
        if (!u256_fits_u64(&sp[-2]) || !u256_fits_u64(&sp[-3]) || u256_lt(&end, &sp[-2]) ||
            !u256_fits_u64(&end) || end.w[0] > f->ret_len)
            HALT(EVM_RETURNDATA_OOB);
    }
    SYNC_OUT();
    if (!mem_region(f, &sp[-1], &sp[-3], &o, &n))
        goto l_oog;
    SYNC_IN();
    CHARGE(3 * words_of(n));
    if (n) {
        if (op == 0x37)
            copy_padded(f->mem + o, f->input, f->input_len, &sp[-2], n);
        else if (op == 0x39)
            copy_padded(f->mem + o, code, code_len, &sp[-2], n);
        else
            copy_padded(f->mem + o, f->ret, f->ret_len, &sp[-2], n);
    }
    sp -= 3;
    STEP();
}
l_codesize:
    *sp++ = u256_from_u64(code_len);
    STEP();
l_gasprice:
    *sp++ = env->gas_price;
    STEP();
l_extcodesize: {
    evm_addr_t a = addr_of_word(&sp[-1]);
    ACCESS(a);
    const uint8_t *c;
    sp[-1] = u256_from_u64(host_code(vm, &a, &c));
    STEP();
}
l_extcodecopy: {
    evm_addr_t a = addr_of_word(&sp[-1]);
    uint64_t o, n;
    SYNC_OUT();
    if (!charge_access(vm, f, &a) || !mem_region(f, &sp[-2], &sp[-4], &o, &n))
        goto l_oog;
    SYNC_IN();
    CHARGE(3 * words_of(n));
    const uint8_t *c;
    size_t len = host_code(vm, &a, &c);
    if (n)
        copy_padded(f->mem + o, c, len, &sp[-3], n);
    sp -= 4;
    STEP();
}
l_returndatasize:
    *sp++ = u256_from_u64(f->ret_len);
    STEP();
l_extcodehash: {
    evm_addr_t a = addr_of_word(&sp[-1]);
    ACCESS(a);
    if (account_empty(vm, &a)) {
        sp[-1] = u256_from_u64(0);
    } else {
        const uint8_t *c;
        size_t len;
        uint8_t h[32];
        vm->host->code(vm->ctx, &a, &c, &len, h);
        sp[-1] = u256_from_be(h);
    }
    STEP();
}
l_blockhash: {
    u256_t *n = &sp[-1];
    if (u256_fits_u64(n) && n->w[0] < env->number && n->w[0] + 256 >= env->number) {
        uint8_t h[32];
        vm->host->block_hash(vm->ctx, n->w[0], h);
        *n = u256_from_be(h);
    } else {
        *n = u256_from_u64(0);
    }
    STEP();
}
l_coinbase:
    *sp++ = word_of_addr(&env->coinbase);
    STEP();
l_timestamp:
    *sp++ = u256_from_u64(env->timestamp);
    STEP();
l_number:
    *sp++ = u256_from_u64(env->number);
    STEP();
l_difficulty:
    *sp++ = env->difficulty;
    STEP();
l_gaslimit:
    *sp++ = u256_from_u64(env->gas_limit);
    STEP();
l_chainid:
    *sp++ = u256_from_u64(env->chain_id);
    STEP();
l_selfbalance:
    *sp++ = vm->host->balance(vm->ctx, &f->address);
    STEP();
l_basefee:
    *sp++ = env->base_fee;
    STEP();
l_pop:
    sp--;
    STEP();
l_mload: {
    u256_t *off = &sp[-1];
    MEM_AT(off, 32);
    *off = u256_from_be(f->mem + off->w[0]);
    STEP();
}
l_mstore: {
    u256_t *off = &sp[-1];
    MEM_AT(off, 32);
    u256_to_be(&sp[-2], f->mem + off->w[0]);
    sp -= 2;
    STEP();
}
l_mstore8: {
    u256_t *off = &sp[-1];
    MEM_AT(off, 1);
    f->mem[off->w[0]] = (uint8_t)sp[-2].w[0];
    sp -= 2;
    STEP();
}
l_sload:
    SYNC_OUT();
    st = op_sload(vm, f, &sp[-1]);
    SYNC_IN();
    if (st != EVM_SUCCESS)
        goto l_halt;
    STEP();
l_sstore:
    SYNC_OUT();
    st = op_sstore(vm, f, &sp[-1], &sp[-2]);
    SYNC_IN();
    if (st != EVM_SUCCESS)
        goto l_halt;
    sp -= 2;
    STEP();
l_jump: {
    u256_t *d = &sp[-1];
    if (!u256_fits_u64(d) || d->w[0] >= code_len || !((jd[d->w[0] / 8] >> (d->w[0] % 8)) & 1))
        HALT(EVM_BAD_JUMP);
    pc = (size_t)d->w[0];
    sp--;
    NEXT();
}
l_jumpi: {
    if (u256_is_zero(&sp[-2])) {
        sp -= 2;
        STEP();
    }
    u256_t *d = &sp[-1];
    if (!u256_fits_u64(d) || d->w[0] >= code_len || !((jd[d->w[0] / 8] >> (d->w[0] % 8)) & 1))
        HALT(EVM_BAD_JUMP);
    pc = (size_t)d->w[0];
    sp -= 2;
    NEXT();
}
l_pc:
    *sp++ = u256_from_u64(pc);
    STEP();
l_msize:
    *sp++ = u256_from_u64(f->mem_size);
    STEP();
l_gas:
    *sp++ = u256_from_u64((uint64_t)gas);
    STEP();
l_jumpdest:
    STEP();
l_push0:
    *sp++ = u256_from_u64(0);
    STEP();
l_push1:
    *sp++ = u256_from_u64(code[pc + 1]);
    pc += 2;
    NEXT();
l_push: {
    unsigned n = op - 0x5fu;
    *sp++ = push_bytes(code + pc + 1, n);
    pc += 1 + n;
    NEXT();
}
l_dup: {
    unsigned n = op - 0x7fu;
    *sp = sp[-(ptrdiff_t)n];
    sp++;
    STEP();
}
l_swap: {
    unsigned n = op - 0x8fu;
    u256_t t = sp[-1];
    sp[-1] = sp[-1 - (ptrdiff_t)n];
    sp[-1 - (ptrdiff_t)n] = t;
    STEP();
}
l_log: {
    unsigned n = op - 0xa0u;
    SYNC_OUT();
    st = op_log(vm, f, sp, n);
    SYNC_IN();
    if (st != EVM_SUCCESS)
        goto l_halt;
    sp -= 2 + n;
    STEP();
}
l_create:
l_create2: {
    bool c2 = op == 0xf5;
    u256_t r;
    SYNC_OUT();
    st = op_create(vm, f, sp, c2, &r);
    SYNC_IN();
    if (st != EVM_SUCCESS)
        goto l_halt;
    sp -= c2 ? 3 : 2;
    sp[-1] = r;
    STEP();
}
l_call: {
    u256_t r;
    SYNC_OUT();
    st = op_call(vm, f, sp, op, &r);
    SYNC_IN();
    if (st != EVM_SUCCESS)
        goto l_halt;
    sp -= (op == 0xf1 || op == 0xf2) ? 6 : 5;
    sp[-1] = r;
    STEP();
}
l_return:
l_revert: {
    uint64_t o, n;
    SYNC_OUT();
    if (!mem_region(f, &sp[-1], &sp[-2], &o, &n))
        goto l_oog;
    SYNC_IN();
    f->out = n ? g_memdup2(f->mem + o, n) : NULL;
    f->out_len = n;
    st = op == 0xf3 ? EVM_SUCCESS : EVM_REVERT;
    goto l_end;
}
l_selfdestruct:
    SYNC_OUT();
    st = op_selfdestruct(vm, f, &sp[-1]);
    SYNC_IN();
    if (st != EVM_SUCCESS)
        goto l_halt;
    goto l_end;

l_undefined:
    HALT(EVM_INVALID_OPCODE);
l_stack:
    if (sched->min_sp[op] == 0xffff)
        HALT(EVM_INVALID_OPCODE);
    HALT(depth < sched->min_sp[op] ? EVM_STACK_UNDERFLOW : EVM_STACK_OVERFLOW);
l_oog:
    st = EVM_OUT_OF_GAS;
l_halt:
    f->status = st;
    f->gas = 0;
    g_free(f->out);
    f->out = NULL;
    f->out_len = 0;
    return;
l_end:
    f->status = st;
    f->gas = gas;

#undef NEXT
#undef STEP
#undef SYNC_OUT
#undef SYNC_IN
#undef HALT
#undef BINOP
#undef CHARGE
#undef ACCESS
#undef MEM_AT
}

#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* ---- executions ----------------------------------------------------------- */

static void reset_tx(evm_t *vm)
{
    g_array_set_size(vm->journal, 0);
    drop_logs(vm, 0);
    g_array_set_size(vm->destructs, 0);
    g_hash_table_remove_all(vm->destructed);
    g_hash_table_remove_all(vm->warm);
    g_hash_table_remove_all(vm->slots);
    vm->refund = 0;
    if (g_hash_table_size(vm->code_cache) > CACHE_MAX)
        g_hash_table_remove_all(vm->code_cache);
}

void evm_execute(evm_t *vm, const evm_env_t *env, const evm_message_t *msg, evm_result_t *res)
{
    memset(res, 0, sizeof *res);
    reset_tx(vm);
    vm->env = env;
    if (vm->sched->shanghai) {
        warm_account(vm, &env->origin);
        warm_account(vm, &msg->caller);
        warm_account(vm, &env->coinbase);
        if (msg->kind == EVM_CALL)
            warm_account(vm, &msg->to);
        for (int i = 1; i <= 9; i++) {
            evm_addr_t p;
            memset(&p, 0, sizeof p);
            p.b[19] = (uint8_t)i;
            warm_account(vm, &p);
        }
    }
    checkpoint_t top = checkpoint(vm);
    msg_t m;
    memset(&m, 0, sizeof m);
    m.caller = msg->caller;
    m.value = msg->value;
    m.transfer = !msg->no_transfer;
    m.gas = msg->gas > INT64_MAX ? INT64_MAX : (int64_t)msg->gas;
    m.depth = 0;
    outcome_t o;
    if (msg->kind == EVM_CREATE) {
        m.op = 0xf0;
        if (vm->sched->shanghai && msg->input_len > MAX_INITCODE_SIZE) {
            memset(&o, 0, sizeof o);
            o.status = EVM_CODE_TOO_LARGE;
        } else {
            message_create(vm, &m, msg->input, msg->input_len, &o);
        }
    } else {
        m.op = 0xf1;
        m.code_addr = msg->to;
        m.address = msg->to;
        m.input = msg->input;
        m.input_len = msg->input_len;
        message_call(vm, &m, &o);
    }
    res->status = o.status;
    res->gas_left = (uint64_t)o.gas_left;
    res->output = o.out;
    res->output_len = o.out_len;
    res->created = o.created;
    if (o.status == EVM_SUCCESS) {
        for (guint i = 0; i < vm->destructs->len; i++)
            vm->host->remove(vm->ctx, &g_array_index(vm->destructs, evm_addr_t, i));
        res->n_logs = vm->logs->len;
        res->logs = (evm_log_t *)(void *)g_array_steal(vm->logs, NULL);
        res->gas_refund = vm->refund;
    } else {
        rollback(vm, &top);
    }
    reset_tx(vm);
}

void evm_result_clear(evm_result_t *res)
{
    for (size_t i = 0; i < res->n_logs; i++)
        g_free(res->logs[i].data);
    g_free(res->logs);
    g_free(res->output);
    memset(res, 0, sizeof *res);
}

evm_addr_t evm_create_address(const evm_addr_t *sender, uint64_t nonce)
{
    GByteArray *items = g_byte_array_new(), *list = g_byte_array_new();
    rlp_bytes(items, sender->b, 20);
    rlp_uint(items, nonce);
    rlp_list(list, items->data, items->len);
    uint8_t h[32];
    keccak256(list->data, list->len, h);
    evm_addr_t a;
    memcpy(a.b, h + 12, 20);
    g_byte_array_free(items, TRUE);
    g_byte_array_free(list, TRUE);
    return a;
}

void evm_logs_hash(const evm_log_t *logs, size_t n, uint8_t out[32])
{
    GByteArray *all = g_byte_array_new();
    for (size_t i = 0; i < n; i++) {
        GByteArray *topics = g_byte_array_new(), *fields = g_byte_array_new();
        for (unsigned t = 0; t < logs[i].n_topics; t++)
            rlp_bytes(topics, logs[i].topics[t], 32);
        rlp_bytes(fields, logs[i].address.b, 20);
        rlp_list(fields, topics->data, topics->len);
        rlp_bytes(fields, logs[i].data, logs[i].data_len);
        rlp_list(all, fields->data, fields->len);
        g_byte_array_free(topics, TRUE);
        g_byte_array_free(fields, TRUE);
    }
    GByteArray *list = g_byte_array_new();
    rlp_list(list, all->data, all->len);
    keccak256(list->data, list->len, out);
    g_byte_array_free(all, TRUE);
    g_byte_array_free(list, TRUE);
}
