/*
 * fuzz_evm.c - libFuzzer driver for the EVM interpreter (core/vm/evm.c).
 *
 * Input: byte 0 picks the schedule (even: homestead, odd: shanghai), bytes
 * 1..3 the gas (up to 2^24), the rest is split at the first 0xff 0xff 0xff
 * marker (if any) into the code of the called contract and of a second one
 * at address 0x...b1, both funded. Properties: the interpreter returns
 * (no crash, no sanitizer report, no unbounded memory), never leaves more
 * gas than it was given, leaves none after an exceptional halt, and a
 * failed execution leaves the state as it was (no storage, balances and
 * nonces unchanged, no account more).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm/evm.h"
#include "core/vm/vmstate.h"

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_evm: property broken: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    evm_fork_t fork = (data[0] & 1) ? EVM_SHANGHAI : EVM_HOMESTEAD;
    uint64_t gas = 1 + ((uint64_t)data[1] << 16 | (uint64_t)data[2] << 8 | data[3]);
    const uint8_t *code = data + 4;
    size_t len = size - 4, len1 = len;
    const uint8_t *code2 = NULL;
    size_t len2 = 0;
    for (size_t i = 0; i + 2 < len; i++) {
        if (code[i] == 0xff && code[i + 1] == 0xff && code[i + 2] == 0xff) {
            len1 = i;
            code2 = code + i + 3;
            len2 = len - i - 3;
            break;
        }
    }
    vmstate_t *s = vmstate_new();
    evm_addr_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.b[19] = 0xb0;
    b.b[19] = 0xb1;
    u256_t bal = u256_from_u64(1000000);
    vmstate_set_code(s, &a, code, len1);
    vmstate_set_code(s, &b, code2, len2);
    vmstate_set_balance(s, &a, &bal);
    vmstate_set_balance(s, &b, &bal);
    evm_env_t env;
    memset(&env, 0, sizeof env);
    env.number = 300;
    evm_message_t m;
    memset(&m, 0, sizeof m);
    m.kind = EVM_CALL;
    m.to = a;
    m.gas = gas;
    evm_t *vm = evm_new(fork, vmstate_host(), s);
    evm_result_t r;
    evm_execute(vm, &env, &m, &r);
    if (r.gas_left > gas)
        fail("more gas left than given");
    if (r.status > EVM_REVERT && (r.gas_left != 0 || r.n_logs != 0))
        fail("an exceptional halt left gas or logs");
    if (r.status != EVM_SUCCESS) {
        size_t n;
        evm_addr_t *addrs = vmstate_addresses(s, &n);
        if (n != 2)
            fail("a failed execution left an account more or less");
        for (size_t i = 0; i < n; i++) {
            u256_t *k, *v;
            if (vmstate_slots(s, &addrs[i], &k, &v) != 0)
                fail("a failed execution left storage");
            g_free(k);
            g_free(v);
            u256_t now = vmstate_balance(s, &addrs[i]);
            if (!u256_eq(&now, &bal) || vmstate_nonce(s, &addrs[i]) != 0)
                fail("a failed execution changed a balance or a nonce");
        }
        g_free(addrs);
    }
    evm_result_clear(&r);
    evm_free(vm);
    vmstate_free(s);
    return 0;
}
