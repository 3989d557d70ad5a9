/*
 * check_evm.c - Check suite for the EVM interpreter (core/vm/evm.c) on the
 * in-memory state, and for `chainsim evm run`.
 *
 * What a frame's failure undoes (its own writes and its callees', not its
 * caller's), static calls, creation addresses and code deposit, the 63/64
 * rule, the call depth limit, the opcodes each schedule knows, logs and
 * their hash; then random bytecode under both schedules (a bounded fuzz
 * loop from a fixed seed): it never crashes, never uses more gas than
 * given, an exceptional halt leaves no gas and no write, and running it
 * twice gives the same result.
 */
#include <check.h>
#include <glib.h>
#include <string.h>

#include "core/vm/evm.h"
#include "core/vm/keccak.h"
#include "core/vm/vmstate.h"
#include "tests/testutil.h"

static evm_addr_t addr_n(uint8_t n)
{
    evm_addr_t a;
    memset(&a, 0, sizeof a);
    a.b[0] = 0xaa;
    a.b[19] = n;
    return a;
}

static GByteArray *hex(const char *s)
{
    GByteArray *b = g_byte_array_new();
    for (size_t i = 0; s[i] && s[i + 1]; i += 2) {
        if (s[i] == ' ') {
            i--;
            continue;
        }
        uint8_t v = (uint8_t)(g_ascii_xdigit_value(s[i]) * 16 + g_ascii_xdigit_value(s[i + 1]));
        g_byte_array_append(b, &v, 1);
    }
    return b;
}

static void put_code(vmstate_t *s, uint8_t n, const char *h)
{
    GByteArray *b = hex(h);
    evm_addr_t a = addr_n(n);
    vmstate_set_code(s, &a, b->data, b->len);
    g_byte_array_free(b, TRUE);
}

static uint64_t slot(vmstate_t *s, uint8_t n, uint64_t key)
{
    evm_addr_t a = addr_n(n);
    u256_t k = u256_from_u64(key);
    u256_t v = vmstate_storage(s, &a, &k);
    ck_assert(u256_fits_u64(&v));
    return v.w[0];
}

static evm_status_t call(vmstate_t *s, evm_fork_t fork, uint8_t to, uint64_t gas, evm_result_t *r)
{
    evm_env_t env;
    memset(&env, 0, sizeof env);
    env.number = 10;
    env.gas_limit = 30000000;
    env.origin = addr_n(0xee);
    evm_message_t m;
    memset(&m, 0, sizeof m);
    m.kind = EVM_CALL;
    m.caller = addr_n(0xee);
    m.to = addr_n(to);
    m.gas = gas;
    evm_t *vm = evm_new(fork, vmstate_host(), s);
    evm_execute(vm, &env, &m, r);
    evm_free(vm);
    return r->status;
}

/* Contract 1 stores 1 in slot 0, calls contract 2 (which stores 5 in its
 * slot 0 and then reverts), and stores the call's result in slot 1. */
START_TEST(test_revert_undoes_only_callee)
{
    for (int fork = 0; fork < 2; fork++) {
        vmstate_t *s = vmstate_new();
        /* SSTORE(0,1); CALL(gas 50000, to 2, 0, 0,0,0,0); SSTORE(1, result); STOP */
        put_code(s, 1, "6001600055" "6000600060006000600073aa00000000000000000000000000000000000002" "61c350" "f1"
                       "600155" "00");
        /* SSTORE(0,5); REVERT(0,0) */
        put_code(s, 2, "6005600055" "60006000fd");
        evm_result_t r;
        ck_assert_int_eq(call(s, (evm_fork_t)fork, 1, 200000, &r), EVM_SUCCESS);
        ck_assert_uint_eq(slot(s, 1, 0), 1);
        ck_assert_uint_eq(slot(s, 1, 1), 0); /* the call failed */
        ck_assert_uint_eq(slot(s, 2, 0), 0); /* and its write is gone */
        evm_result_clear(&r);
        vmstate_free(s);
    }
}
END_TEST

/* The callee succeeds and writes, then the caller reverts: nothing stays. */
START_TEST(test_caller_revert_undoes_all)
{
    vmstate_t *s = vmstate_new();
    put_code(s, 1, "6001600055" "6000600060006000600073aa00000000000000000000000000000000000002" "61c350" "f1"
                   "600155" "60006000fd");
    put_code(s, 2, "6005600055" "00");
    evm_result_t r;
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 200000, &r), EVM_REVERT);
    ck_assert_uint_gt(r.gas_left, 0);
    ck_assert_uint_eq(slot(s, 1, 0), 0);
    ck_assert_uint_eq(slot(s, 1, 1), 0);
    ck_assert_uint_eq(slot(s, 2, 0), 0);
    evm_result_clear(&r);
    /* without the final revert both writes stay */
    put_code(s, 1, "6001600055" "6000600060006000600073aa00000000000000000000000000000000000002" "61c350" "f1"
                   "600155" "00");
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 200000, &r), EVM_SUCCESS);
    ck_assert_uint_eq(slot(s, 1, 1), 1);
    ck_assert_uint_eq(slot(s, 2, 0), 5);
    evm_result_clear(&r);
    vmstate_free(s);
}
END_TEST

/* A write inside STATICCALL halts the callee: the call returns 0. */
START_TEST(test_static_write)
{
    vmstate_t *s = vmstate_new();
    /* STATICCALL(gas 50000, to 2, 0,0,0,0); SSTORE(1, result) */
    put_code(s, 1, "6000600060006000" "73aa00000000000000000000000000000000000002" "61c350" "fa" "600155" "00");
    put_code(s, 2, "6005600055" "00");
    evm_result_t r;
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 200000, &r), EVM_SUCCESS);
    ck_assert_uint_eq(slot(s, 1, 1), 0);
    ck_assert_uint_eq(slot(s, 2, 0), 0);
    evm_result_clear(&r);
    /* a callee that only reads succeeds */
    put_code(s, 2, "600054" "00");
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 200000, &r), EVM_SUCCESS);
    ck_assert_uint_eq(slot(s, 1, 1), 1);
    evm_result_clear(&r);
    vmstate_free(s);
}
END_TEST

/* CREATE deploys the runtime code the init code returns, at the address
 * of (creator, nonce), with nonce 1 under shanghai. */
START_TEST(test_create)
{
    vmstate_t *s = vmstate_new();
    /* init code: MSTORE8(0, 0x42); RETURN(0, 1) -> runtime code "42" (10 bytes) */
    /* creator: MSTORE(0, init << (256 - 80)); CREATE(0, 0, 10); SSTORE(0, address) */
    put_code(s, 1, "69604260005360016000f3" "60b0" "1b" "600052" "600a60006000f0" "600055" "00");
    evm_result_t r;
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 300000, &r), EVM_SUCCESS);
    evm_addr_t creator = addr_n(1);
    evm_addr_t want = evm_create_address(&creator, 0);
    evm_addr_t a = addr_n(1);
    u256_t k = u256_from_u64(0);
    u256_t got = vmstate_storage(s, &a, &k);
    uint8_t be[32];
    u256_to_be(&got, be);
    ck_assert_mem_eq(be + 12, want.b, 20);
    size_t len;
    const uint8_t *code = vmstate_code(s, &want, &len);
    ck_assert_uint_eq(len, 1);
    ck_assert_uint_eq(code[0], 0x42);
    ck_assert_uint_eq(vmstate_nonce(s, &want), 1);
    ck_assert_uint_eq(vmstate_nonce(s, &creator), 1);
    evm_result_clear(&r);
    vmstate_free(s);
    /* a known CREATE address: sender 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0, nonce 0 */
    evm_addr_t sender;
    GByteArray *b = hex("6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0");
    memcpy(sender.b, b->data, 20);
    g_byte_array_free(b, TRUE);
    evm_addr_t c0 = evm_create_address(&sender, 0);
    b = hex("cd234a471b72ba2f1ccf0a70fcaba648a5eecd8d");
    ck_assert_mem_eq(c0.b, b->data, 20);
    g_byte_array_free(b, TRUE);
}
END_TEST

/* Shanghai passes at most all but 1/64 of the gas left; homestead passes
 * exactly what is asked, and halts when it does not have it. */
START_TEST(test_call_gas_rule)
{
    vmstate_t *s = vmstate_new();
    /* CALL(gas = 2^255, to 2) ; callee stores GAS in slot 0 of itself */
    put_code(s, 1, "6000600060006000600073aa00000000000000000000000000000000000002" "7f8000000000000000000000000000000000000000000000000000000000000000"
                   "f1" "00");
    put_code(s, 2, "5a600055" "00");
    evm_result_t r;
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 1000000, &r), EVM_SUCCESS);
    uint64_t seen = slot(s, 2, 0);
    ck_assert_uint_gt(seen, 900000);
    ck_assert_uint_lt(seen, 1000000 - 1000000 / 64);
    evm_result_clear(&r);
    ck_assert_int_eq(call(s, EVM_HOMESTEAD, 1, 1000000, &r), EVM_OUT_OF_GAS);
    ck_assert_uint_eq(r.gas_left, 0);
    evm_result_clear(&r);
    vmstate_free(s);
}
END_TEST

/* A contract calling itself with all its gas stops at depth 1024 without
 * harm; under shanghai the 63/64 rule ends it earlier. */
START_TEST(test_call_depth)
{
    for (int fork = 0; fork < 2; fork++) {
        vmstate_t *s = vmstate_new();
        /* CALL(GAS - 1000, ADDRESS, 0, 0,0,0,0); SSTORE(depth-counter...) : POP; STOP */
        put_code(s, 1, "600060006000600060003061" "03e8" "5a03" "f1" "50" "00");
        evm_result_t r;
        ck_assert_int_eq(call(s, (evm_fork_t)fork, 1, 100000000, &r), EVM_SUCCESS);
        ck_assert_uint_gt(r.gas_left, 0);
        evm_result_clear(&r);
        vmstate_free(s);
    }
}
END_TEST

START_TEST(test_fork_opcodes)
{
    vmstate_t *s = vmstate_new();
    put_code(s, 1, "5f" "00"); /* PUSH0 */
    evm_result_t r;
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 100, &r), EVM_SUCCESS);
    ck_assert_uint_eq(r.gas_left, 98);
    evm_result_clear(&r);
    ck_assert_int_eq(call(s, EVM_HOMESTEAD, 1, 100, &r), EVM_INVALID_OPCODE);
    ck_assert_uint_eq(r.gas_left, 0);
    evm_result_clear(&r);
    put_code(s, 1, "60016001" "1b" "00"); /* SHL */
    ck_assert_int_eq(call(s, EVM_HOMESTEAD, 1, 100, &r), EVM_INVALID_OPCODE);
    evm_result_clear(&r);
    put_code(s, 1, "fe");
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 100, &r), EVM_INVALID_OPCODE);
    evm_result_clear(&r);
    put_code(s, 1, "01"); /* ADD on an empty stack */
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 100, &r), EVM_STACK_UNDERFLOW);
    evm_result_clear(&r);
    put_code(s, 1, "5b" "5f" "6000" "56"); /* JUMPDEST PUSH0 PUSH1 0 JUMP: grows the stack forever */
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 10000000, &r), EVM_STACK_OVERFLOW);
    evm_result_clear(&r);
    put_code(s, 1, "6003" "56" "00"); /* JUMP to a byte that is no JUMPDEST */
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 100, &r), EVM_BAD_JUMP);
    evm_result_clear(&r);
    put_code(s, 1, "6004" "56" "605b" "00"); /* JUMP into PUSH data holding 0x5b */
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 100, &r), EVM_BAD_JUMP);
    evm_result_clear(&r);
    /* memory at a huge offset is out of gas, not a crash */
    put_code(s, 1, "6001" "63ffffffff" "52" "00");
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, UINT64_C(1) << 62, &r), EVM_OUT_OF_GAS);
    evm_result_clear(&r);
    vmstate_free(s);
}
END_TEST

START_TEST(test_logs)
{
    vmstate_t *s = vmstate_new();
    uint8_t h[32];
    evm_logs_hash(NULL, 0, h);
    GByteArray *empty = hex("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");
    ck_assert_mem_eq(h, empty->data, 32);
    g_byte_array_free(empty, TRUE);
    /* MSTORE8(0, 0xab); LOG2(0, 1, topic 7, topic 9) */
    put_code(s, 1, "60ab600053" "6009" "6007" "6001" "6000" "a2" "00");
    evm_result_t r;
    ck_assert_int_eq(call(s, EVM_SHANGHAI, 1, 100000, &r), EVM_SUCCESS);
    ck_assert_uint_eq(r.n_logs, 1);
    ck_assert_uint_eq(r.logs[0].n_topics, 2);
    ck_assert_uint_eq(r.logs[0].topics[0][31], 7);
    ck_assert_uint_eq(r.logs[0].topics[1][31], 9);
    ck_assert_uint_eq(r.logs[0].data_len, 1);
    ck_assert_uint_eq(r.logs[0].data[0], 0xab);
    evm_addr_t a = addr_n(1);
    ck_assert_mem_eq(r.logs[0].address.b, a.b, 20);
    evm_result_clear(&r);
    vmstate_free(s);
}
END_TEST

/* ---- random bytecode ---- */

static uint64_t fz_state;
static uint64_t fz_next(void)
{
    uint64_t z = (fz_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Random code biased toward real instructions: small pushes (so jumps and
 * memory offsets are often valid), addresses of the other contracts,
 * calls and creates. */
static GByteArray *random_code(size_t max_len)
{
    GByteArray *b = g_byte_array_new();
    size_t len = 1 + fz_next() % max_len;
    while (b->len < len) {
        uint64_t r = fz_next() % 16;
        uint8_t op;
        if (r < 5) {
            uint8_t push[3] = { 0x60, (uint8_t)(fz_next() % 64), 0 };
            g_byte_array_append(b, push, 2);
            continue;
        } else if (r == 5) {
            uint8_t push[2] = { 0x60, (uint8_t)(0xa0 + fz_next() % 3) }; /* near an address */
            g_byte_array_append(b, push, 2);
            continue;
        } else if (r == 6) {
            static const uint8_t calls[] = { 0xf0, 0xf1, 0xf2, 0xf4, 0xf5, 0xfa, 0xfd, 0xf3, 0xff, 0x55, 0x54, 0x5b, 0x56, 0x57 };
            op = calls[fz_next() % sizeof calls];
        } else {
            op = (uint8_t)fz_next();
        }
        g_byte_array_append(b, &op, 1);
    }
    return b;
}

static void fuzz_one(evm_fork_t fork, uint64_t seed)
{
    fz_state = seed;
    vmstate_t *s[2];
    GByteArray *codes[3];
    for (int c = 0; c < 3; c++)
        codes[c] = random_code(c == 0 ? 200 : 60);
    uint64_t gas = 1 + fz_next() % 2000000;
    evm_result_t r[2];
    for (int run = 0; run < 2; run++) {
        s[run] = vmstate_new();
        for (int c = 0; c < 3; c++) {
            evm_addr_t a;
            memset(&a, 0, sizeof a);
            a.b[19] = (uint8_t)(0xa0 + c); /* small addresses the pushes can reach */
            vmstate_set_code(s[run], &a, codes[c]->data, codes[c]->len);
            u256_t bal = u256_from_u64(1000);
            vmstate_set_balance(s[run], &a, &bal);
        }
        evm_env_t env;
        memset(&env, 0, sizeof env);
        env.number = 5;
        evm_message_t m;
        memset(&m, 0, sizeof m);
        m.kind = EVM_CALL;
        m.to.b[19] = 0xa0;
        m.gas = gas;
        evm_t *vm = evm_new(fork, vmstate_host(), s[run]);
        evm_execute(vm, &env, &m, &r[run]);
        evm_free(vm);
        ck_assert_uint_le(r[run].gas_left, gas);
        if (r[run].status > EVM_REVERT) {
            ck_assert_uint_eq(r[run].gas_left, 0);
            ck_assert_uint_eq(r[run].n_logs, 0);
        }
    }
    ck_assert_int_eq(r[0].status, r[1].status);
    ck_assert_uint_eq(r[0].gas_left, r[1].gas_left);
    ck_assert_uint_eq(r[0].output_len, r[1].output_len);
    ck_assert_uint_eq(r[0].n_logs, r[1].n_logs);
    if (r[0].status != EVM_SUCCESS) {
        /* nothing written: the three accounts as they were */
        size_t n;
        evm_addr_t *addrs = vmstate_addresses(s[0], &n);
        ck_assert_uint_eq(n, 3);
        for (size_t i = 0; i < n; i++) {
            u256_t *k, *v;
            ck_assert_uint_eq(vmstate_slots(s[0], &addrs[i], &k, &v), 0);
            g_free(k);
            g_free(v);
            u256_t bal = vmstate_balance(s[0], &addrs[i]);
            ck_assert_uint_eq(bal.w[0], 1000);
        }
        g_free(addrs);
    }
    for (int run = 0; run < 2; run++) {
        evm_result_clear(&r[run]);
        vmstate_free(s[run]);
    }
    for (int c = 0; c < 3; c++)
        g_byte_array_free(codes[c], TRUE);
}

START_TEST(test_fuzz_random_code)
{
    for (uint64_t i = 0; i < 4000; i++)
        fuzz_one((evm_fork_t)(i % 2), 0xf00d0000u + i);
}
END_TEST

START_TEST(test_evm_run_command)
{
    char *out = NULL, *err = NULL;
    /* ADD 1 + 2, MSTORE at 0, RETURN 32 bytes: 24 gas */
    int rc = tu_chainsim(&out, &err, "evm", "run", "--code", "600160020160005260206000f3", "--json", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "{\"status\": \"success\", \"output\": "
                          "\"0x0000000000000000000000000000000000000000000000000000000000000003\", "
                          "\"gas_used\": 24, \"logs\": []}\n");
    g_free(out);
    g_free(err);
    rc = tu_chainsim(&out, &err, "evm", "run", "--code", "60006000fd", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "status: revert\n"));
    g_free(out);
    g_free(err);
    rc = tu_chainsim(&out, &err, "evm", "run", "--code", "5f00", "--fork", "homestead", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "status: invalid opcode\n"));
    g_free(out);
    g_free(err);
    /* --value moves value to the contract: SELFBALANCE returned */
    rc = tu_chainsim(&out, &err, "evm", "run", "--code", "4760005260206000f3", "--value", "0x2a", "--json", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "00000000002a\""));
    g_free(out);
    g_free(err);
    /* bad input: exit 2 with the option named */
    rc = tu_chainsim(&out, &err, "evm", "run", "--code", "6", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "--code"));
    g_free(out);
    g_free(err);
    rc = tu_chainsim(&out, &err, "evm", "run", "--codefile", "/nonexistent/code.hex", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/code.hex"));
    g_free(out);
    g_free(err);
    rc = tu_chainsim(&out, &err, "evm", "run", "--code", "00", "--gas", "0", NULL);
    ck_assert_int_eq(rc, 2);
    g_free(out);
    g_free(err);
    rc = tu_chainsim(&out, &err, "evm", "walk", NULL);
    ck_assert_int_eq(rc, 2);
    g_free(out);
    g_free(err);
    /* a code file with white space */
    char *dir = tu_tmpdir();
    char *path = tu_write(dir, "code.hex", "0x6001 6002\n01 00\n");
    rc = tu_chainsim(&out, &err, "evm", "run", "--codefile", path, "--json", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "\"gas_used\": 9"));
    g_free(out);
    g_free(err);
    g_free(path);
    g_free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("evm");
    TCase *tc = tcase_create("interpreter");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_revert_undoes_only_callee);
    tcase_add_test(tc, test_caller_revert_undoes_all);
    tcase_add_test(tc, test_static_write);
    tcase_add_test(tc, test_create);
    tcase_add_test(tc, test_call_gas_rule);
    tcase_add_test(tc, test_call_depth);
    tcase_add_test(tc, test_fork_opcodes);
    tcase_add_test(tc, test_logs);
    tcase_add_test(tc, test_fuzz_random_code);
    tcase_add_test(tc, test_evm_run_command);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
