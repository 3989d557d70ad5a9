/*
 * bench_evm.c - the EVM interpreter's speed in million gas per second on
 * loop-heavy bytecode (run by tests/bench/evm.sh from make bench).
 *
 *   bench_evm [REPEAT [CONTRACTS_DIR]]
 *
 * Each program is a counted loop run on the in-memory state under the
 * shanghai schedule with 100,000,000 gas; it prints the gas used, the wall
 * time of the fastest of REPEAT runs (default 5) and the rate. The
 * programs: arithmetic and stack operations; memory stores and loads;
 * warm storage reads and writes; Keccak-256 of 64 bytes of memory.
 *
 * With CONTRACTS_DIR (core/contracts), also the compiled contracts, one
 * execution per call as transactions would run them: 20,000 ERC20
 * transfers to 1,000 accounts, and 20,000 pool swaps alternating in
 * direction; the rate is the gas of all calls over their wall time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "core/vm/evm.h"
#include "core/vm/keccak.h"
#include "core/vm/vmstate.h"

typedef struct program {
    const char *name;
    const char *body; /* hex: the loop body, run with the counter on the stack */
} program_t;

static const program_t programs[] = {
    { "arithmetic (DUP, MUL, ADD, XOR, SWAP, SUB, JUMPI)", "8060030260070160551850" },
    { "memory (MSTORE, MLOAD at a few offsets)", "80600052806020526000516020510150" },
    { "storage (warm SLOAD, SSTORE of one slot)", "8060005560005450" },
    { "keccak (SHA3 of 64 bytes of memory)", "8060005260406000205060" "0050" },
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static evm_addr_t account(uint8_t tag, unsigned n)
{
    evm_addr_t a;
    memset(&a, 0, sizeof a);
    a.b[0] = tag;
    a.b[18] = (uint8_t)(n >> 8);
    a.b[19] = (uint8_t)n;
    return a;
}

/* One execution; returns the gas used, exits on failure. */
static uint64_t exec(evm_t *vm, evm_message_t *m, evm_addr_t *created)
{
    evm_env_t env;
    memset(&env, 0, sizeof env);
    env.origin = m->caller;
    env.gas_limit = 30000000;
    evm_result_t r;
    m->gas = 10000000;
    evm_execute(vm, &env, m, &r);
    if (r.status != EVM_SUCCESS) {
        fprintf(stderr, "bench_evm: a contract call ended with %s\n", evm_status_name(r.status));
        exit(1);
    }
    if (created)
        *created = r.created;
    uint64_t used = m->gas - r.gas_left;
    evm_result_clear(&r);
    return used;
}

static evm_addr_t deploy(evm_t *vm, const char *dir, const char *name, const evm_addr_t *from, const uint8_t *args,
                         size_t args_len)
{
    char *path = g_strdup_printf("%s/%s.bin", dir, name), *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        fprintf(stderr, "bench_evm: cannot read %s\n", path);
        exit(1);
    }
    GByteArray *code = g_byte_array_new();
    for (const char *p = text; g_ascii_isxdigit(p[0]) && g_ascii_isxdigit(p[1]); p += 2) {
        uint8_t v = (uint8_t)(g_ascii_xdigit_value(p[0]) * 16 + g_ascii_xdigit_value(p[1]));
        g_byte_array_append(code, &v, 1);
    }
    g_byte_array_append(code, args, (guint)args_len);
    evm_message_t m;
    memset(&m, 0, sizeof m);
    m.kind = EVM_CREATE;
    m.caller = *from;
    m.input = code->data;
    m.input_len = code->len;
    evm_addr_t at;
    exec(vm, &m, &at);
    g_byte_array_free(code, TRUE);
    g_free(text);
    g_free(path);
    return at;
}

/* calldata: the selector of sig, then n words (each given as 32 bytes). */
static size_t calldata(uint8_t *out, const char *sig, const uint8_t (*words)[32], size_t n)
{
    uint8_t h[32];
    keccak256((const uint8_t *)sig, strlen(sig), h);
    memcpy(out, h, 4);
    for (size_t i = 0; i < n; i++)
        memcpy(out + 4 + 32 * i, words[i], 32);
    return 4 + 32 * n;
}

static void word_addr(uint8_t w[32], const evm_addr_t *a)
{
    memset(w, 0, 12);
    memcpy(w + 12, a->b, 20);
}

static void word_u64(uint8_t w[32], uint64_t v)
{
    u256_t x = u256_from_u64(v);
    u256_to_be(&x, w);
}

static uint64_t call_sig(evm_t *vm, const evm_addr_t *from, const evm_addr_t *to, const char *sig,
                         const uint8_t (*words)[32], size_t n)
{
    uint8_t input[4 + 32 * 8];
    evm_message_t m;
    memset(&m, 0, sizeof m);
    m.kind = EVM_CALL;
    m.caller = *from;
    m.to = *to;
    m.input = input;
    m.input_len = calldata(input, sig, words, n);
    return exec(vm, &m, NULL);
}

static void report(const char *name, uint64_t gas, double t, unsigned calls)
{
    printf("%-52s %10.0f gas  %7.3f s  %7.1f Mgas/s  (%u calls, %.0f gas each)\n", name, (double)gas, t,
           (double)gas / t / 1e6, calls, (double)gas / calls);
}

static void bench_contracts(const char *dir)
{
    enum { CALLS = 20000 };
    vmstate_t *s = vmstate_new();
    evm_t *vm = evm_new(EVM_SHANGHAI, vmstate_host(), s);
    evm_addr_t owner = account(0xa1, 0), trader = account(0xa2, 0);
    uint8_t w[4][32];
    memset(w[0], 0, 32);
    memcpy(w[0], "TOK", 3);
    memset(w[1], 0xff, 32);
    w[1][0] = 0x0f; /* supply 2^252 - 1 */
    evm_addr_t t0 = deploy(vm, dir, "Token", &owner, &w[0][0], 64);
    evm_addr_t t1 = deploy(vm, dir, "Token", &owner, &w[0][0], 64);

    uint64_t gas = 0;
    double t = now_s();
    for (unsigned i = 0; i < CALLS; i++) {
        evm_addr_t to = account(0xb0, i % 1000);
        word_addr(w[0], &to);
        word_u64(w[1], 1 + i % 7);
        gas += call_sig(vm, &owner, &t0, "transfer(address,uint256)", (const uint8_t(*)[32])w, 2);
    }
    report("ERC20 transfer (Token.sol)", gas, now_s() - t, CALLS);

    word_addr(w[0], &t0);
    word_addr(w[1], &t1);
    evm_addr_t pool = deploy(vm, dir, "Pool", &owner, &w[0][0], 64);
    for (int k = 0; k < 2; k++) {
        const evm_addr_t *tok = k ? &t1 : &t0;
        word_addr(w[0], &trader);
        word_u64(w[1], UINT64_C(1) << 62);
        call_sig(vm, &owner, tok, "transfer(address,uint256)", (const uint8_t(*)[32])w, 2);
        word_addr(w[0], &pool);
        memset(w[1], 0xff, 32);
        call_sig(vm, &owner, tok, "approve(address,uint256)", (const uint8_t(*)[32])w, 2);
        call_sig(vm, &trader, tok, "approve(address,uint256)", (const uint8_t(*)[32])w, 2);
    }
    word_u64(w[0], UINT64_C(1) << 60);
    word_u64(w[1], UINT64_C(1) << 60);
    call_sig(vm, &owner, &pool, "addLiquidity(uint256,uint256)", (const uint8_t(*)[32])w, 2);
    gas = 0;
    t = now_s();
    for (unsigned i = 0; i < CALLS; i++) {
        word_u64(w[0], i % 2);
        word_u64(w[1], 1000000 + i);
        word_u64(w[2], 0);
        gas += call_sig(vm, &trader, &pool, "swap(bool,uint256,uint256)", (const uint8_t(*)[32])w, 3);
    }
    report("pool swap (Pool.sol, both directions)", gas, now_s() - t, CALLS);
    evm_free(vm);
    vmstate_free(s);
}

int main(int argc, char **argv)
{
    int repeat = argc > 1 ? atoi(argv[1]) : 5;
    if (repeat < 1)
        repeat = 1;
    const uint64_t gas = 100000000;
    for (size_t p = 0; p < sizeof programs / sizeof programs[0]; p++) {
        /* PUSH4 0xffffffff; JUMPDEST (5); body; PUSH1 1 SWAP1 SUB; DUP1 PUSH1 5 JUMPI; STOP:
         * the loop runs until the gas is gone, which is an out-of-gas halt
         * after exactly the gas given. */
        uint8_t code[256];
        size_t n = unhex("63ffffffff5b", code);
        n += unhex(programs[p].body, code + n);
        n += unhex("600190038060055700", code + n);
        double best = 1e30;
        uint64_t used = 0;
        for (int r = 0; r < repeat; r++) {
            vmstate_t *s = vmstate_new();
            evm_addr_t a;
            memset(&a, 0, sizeof a);
            a.b[0] = 0xc0; /* not a precompile address */
            vmstate_set_code(s, &a, code, n);
            evm_env_t env;
            memset(&env, 0, sizeof env);
            evm_message_t m;
            memset(&m, 0, sizeof m);
            m.kind = EVM_CALL;
            m.to = a;
            m.gas = gas;
            evm_t *vm = evm_new(EVM_SHANGHAI, vmstate_host(), s);
            evm_result_t res;
            double t0 = now_s();
            evm_execute(vm, &env, &m, &res);
            double t = now_s() - t0;
            used = gas - res.gas_left;
            if (res.status != EVM_OUT_OF_GAS) {
                fprintf(stderr, "bench_evm: %s ended with %s, expected out of gas\n", programs[p].name,
                        evm_status_name(res.status));
                return 1;
            }
            if (t < best)
                best = t;
            evm_result_clear(&res);
            evm_free(vm);
            vmstate_free(s);
        }
        printf("%-52s %10.0f gas  %7.3f s  %7.1f Mgas/s  (best of %d)\n", programs[p].name, (double)used, best,
               (double)used / best / 1e6, repeat);
    }
    if (argc > 2)
        bench_contracts(argv[2]);
    return 0;
}
