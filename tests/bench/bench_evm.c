/*
 * bench_evm.c - the EVM interpreter's speed in million gas per second on
 * loop-heavy bytecode (run by tests/bench/evm.sh from make bench).
 *
 *   bench_evm [REPEAT]
 *
 * Each program is a counted loop run on the in-memory state under the
 * shanghai schedule with 100,000,000 gas; it prints the gas used, the wall
 * time of the fastest of REPEAT runs (default 5) and the rate. The
 * programs: arithmetic and stack operations; memory stores and loads;
 * warm storage reads and writes; Keccak-256 of 64 bytes of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/vm/evm.h"
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
    return 0;
}
