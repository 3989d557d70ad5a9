/*
 * check_evm_contracts.c - the compiled Solidity contracts of core/contracts
 * (Token, Pool, Registry; committed bytecode from solc 0.8.24) run on the
 * interpreter under the shanghai schedule.
 *
 * Calls are ABI-encoded here by hand (selector = the first 4 bytes of the
 * Keccak-256 of the signature, then 32-byte words). ERC20: balances,
 * transfer, approve and transferFrom, including the failures (balance,
 * allowance, zero address) which revert with their reason and change
 * nothing, and the Transfer event. The pool: shares minted, and every swap
 * in both directions against the constant-product formula with the 0.3 %
 * fee computed here independently in 128-bit integers, the slippage limit,
 * reserves that match the token balances, k that never decreases through a
 * swap, and removal of liquidity. The registry: register, a taken name,
 * lookup, count and list.
 */
#include <check.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "core/vm/evm.h"
#include "core/vm/keccak.h"
#include "core/vm/vmstate.h"
#include "tests/testutil.h"

typedef unsigned __int128 u128;

typedef struct world {
    vmstate_t *s;
    evm_t *vm;
    evm_env_t env;
} world_t;

static void world_init(world_t *w)
{
    w->s = vmstate_new();
    w->vm = evm_new(EVM_SHANGHAI, vmstate_host(), w->s);
    memset(&w->env, 0, sizeof w->env);
    w->env.number = 1;
    w->env.gas_limit = 30000000;
    w->env.chain_id = 1;
}

static void world_free(world_t *w)
{
    evm_free(w->vm);
    vmstate_free(w->s);
}

static evm_addr_t user(uint8_t n)
{
    evm_addr_t a;
    memset(&a, 0, sizeof a);
    a.b[0] = 0x11;
    a.b[19] = n;
    return a;
}

/* ABI arguments: a growing list of 32-byte words. */
typedef struct args {
    uint8_t data[32 * 24];
    size_t len;
} args_t;

static void arg_u128(args_t *a, u128 v)
{
    memset(a->data + a->len, 0, 32);
    for (int i = 0; i < 16; i++)
        a->data[a->len + 31 - i] = (uint8_t)(v >> (8 * i));
    a->len += 32;
}

static void arg_addr(args_t *a, const evm_addr_t *x)
{
    memset(a->data + a->len, 0, 12);
    memcpy(a->data + a->len + 12, x->b, 20);
    a->len += 32;
}

static void arg_max(args_t *a)
{
    memset(a->data + a->len, 0xff, 32);
    a->len += 32;
}

static void arg_text32(args_t *a, const char *s)
{
    memset(a->data + a->len, 0, 32);
    memcpy(a->data + a->len, s, strlen(s));
    a->len += 32;
}

static GByteArray *bytecode(const char *name)
{
    char *rel = g_strdup_printf("core/contracts/%s.bin", name);
    char *path = tu_source(rel);
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    GByteArray *b = g_byte_array_new();
    for (const char *p = text; p[0] && p[1] && g_ascii_isxdigit(p[0]); p += 2) {
        uint8_t v = (uint8_t)(g_ascii_xdigit_value(p[0]) * 16 + g_ascii_xdigit_value(p[1]));
        g_byte_array_append(b, &v, 1);
    }
    g_free(text);
    g_free(path);
    g_free(rel);
    return b;
}

static evm_addr_t deploy(world_t *w, const evm_addr_t *from, const char *name, const args_t *a)
{
    GByteArray *code = bytecode(name);
    if (a)
        g_byte_array_append(code, a->data, (guint)a->len);
    evm_message_t m;
    memset(&m, 0, sizeof m);
    m.kind = EVM_CREATE;
    m.caller = *from;
    m.input = code->data;
    m.input_len = code->len;
    m.gas = 10000000;
    evm_result_t r;
    evm_execute(w->vm, &w->env, &m, &r);
    ck_assert_msg(r.status == EVM_SUCCESS, "deploying %s: %s", name, evm_status_name(r.status));
    evm_addr_t at = r.created;
    evm_result_clear(&r);
    g_byte_array_free(code, TRUE);
    size_t len;
    ck_assert_ptr_nonnull(vmstate_code(w->s, &at, &len));
    return at;
}

/* Calls sig on `to` from `from`; *r gets the result (evm_result_clear it). */
static evm_status_t call(world_t *w, const evm_addr_t *from, const evm_addr_t *to, const char *sig, const args_t *a,
                         evm_result_t *r)
{
    uint8_t input[4 + sizeof a->data], h[32];
    keccak256((const uint8_t *)sig, strlen(sig), h);
    memcpy(input, h, 4);
    size_t n = 4;
    if (a) {
        memcpy(input + 4, a->data, a->len);
        n += a->len;
    }
    evm_message_t m;
    memset(&m, 0, sizeof m);
    m.kind = EVM_CALL;
    m.caller = *from;
    m.to = *to;
    m.input = input;
    m.input_len = n;
    m.gas = 10000000;
    w->env.origin = *from;
    evm_execute(w->vm, &w->env, &m, r);
    return r->status;
}

/* Word i of the output as a number below 2^128. */
static u128 word(const evm_result_t *r, size_t i)
{
    ck_assert_uint_ge(r->output_len, 32 * (i + 1));
    const uint8_t *p = r->output + 32 * i;
    for (int k = 0; k < 16; k++)
        ck_assert_uint_eq(p[k], 0);
    u128 v = 0;
    for (int k = 16; k < 32; k++)
        v = (v << 8) | p[k];
    return v;
}

/* A view call returning one number. */
static u128 view1(world_t *w, const evm_addr_t *to, const char *sig, const args_t *a)
{
    evm_result_t r;
    evm_addr_t anyone = user(0x99);
    ck_assert_int_eq(call(w, &anyone, to, sig, a, &r), EVM_SUCCESS);
    u128 v = word(&r, 0);
    evm_result_clear(&r);
    return v;
}

static u128 balance_of(world_t *w, const evm_addr_t *token, const evm_addr_t *who)
{
    args_t a = { .len = 0 };
    arg_addr(&a, who);
    return view1(w, token, "balanceOf(address)", &a);
}

/* The call reverted with an Error(string) holding why. */
static void assert_reverted(evm_status_t st, const evm_result_t *r, const char *why)
{
    ck_assert_int_eq(st, EVM_REVERT);
    ck_assert_uint_ge(r->output_len, 4 + 64 + strlen(why));
    ck_assert_mem_eq(r->output, "\x08\xc3\x79\xa0", 4); /* Error(string) */
    ck_assert_mem_eq(r->output + 4 + 64, why, strlen(why));
}

static evm_addr_t new_token(world_t *w, const evm_addr_t *owner, const char *symbol, u128 supply)
{
    args_t a = { .len = 0 };
    arg_text32(&a, symbol);
    arg_u128(&a, supply);
    return deploy(w, owner, "Token", &a);
}

START_TEST(test_erc20)
{
    world_t w;
    world_init(&w);
    evm_addr_t alice = user(1), bob = user(2), carol = user(3), zero;
    memset(&zero, 0, sizeof zero);
    evm_addr_t t = new_token(&w, &alice, "TOK", 1000000);
    ck_assert(view1(&w, &t, "totalSupply()", NULL) == 1000000);
    ck_assert(balance_of(&w, &t, &alice) == 1000000);
    ck_assert(view1(&w, &t, "decimals()", NULL) == 18);

    evm_result_t r;
    args_t a = { .len = 0 };
    arg_addr(&a, &bob);
    arg_u128(&a, 100);
    ck_assert_int_eq(call(&w, &alice, &t, "transfer(address,uint256)", &a, &r), EVM_SUCCESS);
    ck_assert(word(&r, 0) == 1);
    ck_assert_uint_eq(r.n_logs, 1);
    uint8_t topic[32];
    keccak256((const uint8_t *)"Transfer(address,address,uint256)", 33, topic);
    ck_assert_mem_eq(r.logs[0].topics[0], topic, 32);
    ck_assert_mem_eq(r.logs[0].topics[1] + 12, alice.b, 20);
    ck_assert_mem_eq(r.logs[0].topics[2] + 12, bob.b, 20);
    evm_result_clear(&r);
    ck_assert(balance_of(&w, &t, &alice) == 999900);
    ck_assert(balance_of(&w, &t, &bob) == 100);

    /* more than the balance: reverts, nothing moves */
    a.len = 0;
    arg_addr(&a, &carol);
    arg_u128(&a, 101);
    assert_reverted(call(&w, &bob, &t, "transfer(address,uint256)", &a, &r), &r, "balance too low");
    ck_assert_uint_eq(r.n_logs, 0);
    evm_result_clear(&r);
    ck_assert(balance_of(&w, &t, &bob) == 100);
    ck_assert(balance_of(&w, &t, &carol) == 0);
    /* to the zero address */
    a.len = 0;
    arg_addr(&a, &zero);
    arg_u128(&a, 1);
    assert_reverted(call(&w, &bob, &t, "transfer(address,uint256)", &a, &r), &r, "transfer to the zero address");
    evm_result_clear(&r);

    /* approve and transferFrom */
    a.len = 0;
    arg_addr(&a, &carol);
    arg_u128(&a, 50);
    ck_assert_int_eq(call(&w, &alice, &t, "approve(address,uint256)", &a, &r), EVM_SUCCESS);
    evm_result_clear(&r);
    a.len = 0;
    arg_addr(&a, &alice);
    arg_addr(&a, &carol);
    ck_assert(view1(&w, &t, "allowance(address,address)", &a) == 50);
    args_t tf = { .len = 0 };
    arg_addr(&tf, &alice);
    arg_addr(&tf, &bob);
    arg_u128(&tf, 60);
    assert_reverted(call(&w, &carol, &t, "transferFrom(address,address,uint256)", &tf, &r), &r,
                    "allowance too low");
    evm_result_clear(&r);
    /* bob has no allowance at all */
    tf.len = 0;
    arg_addr(&tf, &alice);
    arg_addr(&tf, &bob);
    arg_u128(&tf, 1);
    assert_reverted(call(&w, &bob, &t, "transferFrom(address,address,uint256)", &tf, &r), &r, "allowance too low");
    evm_result_clear(&r);
    tf.len = 0;
    arg_addr(&tf, &alice);
    arg_addr(&tf, &bob);
    arg_u128(&tf, 50);
    ck_assert_int_eq(call(&w, &carol, &t, "transferFrom(address,address,uint256)", &tf, &r), EVM_SUCCESS);
    evm_result_clear(&r);
    ck_assert(view1(&w, &t, "allowance(address,address)", &a) == 0);
    ck_assert(balance_of(&w, &t, &alice) == 999850);
    ck_assert(balance_of(&w, &t, &bob) == 150);
    ck_assert(balance_of(&w, &t, &carol) == 0);
    /* an allowance too low for the balance: the balance check fails */
    a.len = 0;
    arg_addr(&a, &carol);
    arg_max(&a);
    ck_assert_int_eq(call(&w, &bob, &t, "approve(address,uint256)", &a, &r), EVM_SUCCESS);
    evm_result_clear(&r);
    tf.len = 0;
    arg_addr(&tf, &bob);
    arg_addr(&tf, &carol);
    arg_u128(&tf, 151);
    assert_reverted(call(&w, &carol, &t, "transferFrom(address,address,uint256)", &tf, &r), &r, "balance too low");
    evm_result_clear(&r);
    ck_assert(view1(&w, &t, "totalSupply()", NULL) == 1000000);
    world_free(&w);
}
END_TEST

static u128 isqrt(u128 y)
{
    if (y < 4)
        return y ? 1 : 0;
    u128 z = y, x = y / 2 + 1;
    while (x < z) {
        z = x;
        x = (y / x + x) / 2;
    }
    return z;
}

/* The constant-product output with the 0.3 % fee, as Uniswap v2 defines it. */
static u128 amount_out(u128 in, u128 r_in, u128 r_out)
{
    return in * 997 * r_out / (r_in * 1000 + in * 997);
}

static uint64_t seed = 0x77aa;
static uint64_t rnd(void)
{
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 17;
}

START_TEST(test_pool)
{
    world_t w;
    world_init(&w);
    evm_addr_t lp = user(1), trader = user(2);
    const u128 supply = (u128)1000000000000000000ull;
    evm_addr_t t0 = new_token(&w, &lp, "AAA", supply), t1 = new_token(&w, &lp, "BBB", supply);
    args_t a = { .len = 0 };
    arg_addr(&a, &t0);
    arg_addr(&a, &t1);
    evm_addr_t pool = deploy(&w, &lp, "Pool", &a);
    evm_result_t r;
    /* the trader gets tokens; both approve the pool for everything */
    for (int k = 0; k < 2; k++) {
        evm_addr_t *tok = k ? &t1 : &t0;
        a.len = 0;
        arg_addr(&a, &trader);
        arg_u128(&a, 10000000000000000ull);
        ck_assert_int_eq(call(&w, &lp, tok, "transfer(address,uint256)", &a, &r), EVM_SUCCESS);
        evm_result_clear(&r);
        a.len = 0;
        arg_addr(&a, &pool);
        arg_max(&a);
        ck_assert_int_eq(call(&w, &lp, tok, "approve(address,uint256)", &a, &r), EVM_SUCCESS);
        evm_result_clear(&r);
        ck_assert_int_eq(call(&w, &trader, tok, "approve(address,uint256)", &a, &r), EVM_SUCCESS);
        evm_result_clear(&r);
    }
    u128 r0 = 1000000000000000ull, r1 = 4000000000000000ull;
    a.len = 0;
    arg_u128(&a, r0);
    arg_u128(&a, r1);
    ck_assert_int_eq(call(&w, &lp, &pool, "addLiquidity(uint256,uint256)", &a, &r), EVM_SUCCESS);
    u128 shares = word(&r, 0);
    evm_result_clear(&r);
    ck_assert(shares == isqrt(r0 * r1));
    ck_assert(view1(&w, &pool, "totalShares()", NULL) == shares);

    for (int i = 0; i < 40; i++) {
        bool zero_for_one = i % 2 == 0;
        u128 in = 1 + rnd() % 10000000000000ull;
        u128 want = zero_for_one ? amount_out(in, r0, r1) : amount_out(in, r1, r0);
        evm_addr_t *tin = zero_for_one ? &t0 : &t1, *tout = zero_for_one ? &t1 : &t0;
        u128 bin = balance_of(&w, tin, &trader), bout = balance_of(&w, tout, &trader);
        /* asking one unit more than the formula gives: slippage, nothing moves */
        a.len = 0;
        arg_u128(&a, zero_for_one);
        arg_u128(&a, in);
        arg_u128(&a, want + 1);
        assert_reverted(call(&w, &trader, &pool, "swap(bool,uint256,uint256)", &a, &r), &r, "slippage");
        evm_result_clear(&r);
        ck_assert(balance_of(&w, tin, &trader) == bin);
        /* exactly the formula's amount as the limit: passes */
        a.len = 0;
        arg_u128(&a, zero_for_one);
        arg_u128(&a, in);
        arg_u128(&a, want);
        evm_status_t st = call(&w, &trader, &pool, "swap(bool,uint256,uint256)", &a, &r);
        if (st != EVM_SUCCESS && r.output_len > 68)
            fprintf(stderr, "swap %d: %.*s\n", i, (int)(r.output_len - 68), r.output + 68);
        ck_assert_int_eq(st, EVM_SUCCESS);
        ck_assert(word(&r, 0) == want);
        evm_result_clear(&r);
        ck_assert(balance_of(&w, tin, &trader) == bin - in);
        ck_assert(balance_of(&w, tout, &trader) == bout + want);
        u128 n0 = zero_for_one ? r0 + in : r0 - want, n1 = zero_for_one ? r1 - want : r1 + in;
        /* k never decreases (compared as 256-bit products through u256) */
        u256_t k_old, k_new, x, y;
        x = u256_from_u64((uint64_t)r0);
        y = u256_from_u64((uint64_t)r1);
        k_old = u256_mul(&x, &y);
        x = u256_from_u64((uint64_t)n0);
        y = u256_from_u64((uint64_t)n1);
        k_new = u256_mul(&x, &y);
        ck_assert(!u256_lt(&k_new, &k_old));
        r0 = n0;
        r1 = n1;
        ck_assert(view1(&w, &pool, "reserve0()", NULL) == r0);
        ck_assert(view1(&w, &pool, "reserve1()", NULL) == r1);
        ck_assert(balance_of(&w, &t0, &pool) == r0);
        ck_assert(balance_of(&w, &t1, &pool) == r1);
    }
    /* a swap the trader cannot pay for reverts inside the token */
    a.len = 0;
    arg_u128(&a, 1);
    arg_u128(&a, (u128)1 << 100);
    arg_u128(&a, 0);
    ck_assert_int_eq(call(&w, &trader, &pool, "swap(bool,uint256,uint256)", &a, &r), EVM_REVERT);
    evm_result_clear(&r);
    ck_assert(view1(&w, &pool, "reserve0()", NULL) == r0);

    /* remove half the shares: the same fraction of both reserves */
    u128 half = shares / 2, lp0 = balance_of(&w, &t0, &lp), lp1 = balance_of(&w, &t1, &lp);
    a.len = 0;
    arg_u128(&a, half);
    ck_assert_int_eq(call(&w, &lp, &pool, "removeLiquidity(uint256)", &a, &r), EVM_SUCCESS);
    u128 out0 = word(&r, 0), out1 = word(&r, 1);
    evm_result_clear(&r);
    ck_assert(out0 == half * r0 / shares);
    ck_assert(out1 == half * r1 / shares);
    ck_assert(balance_of(&w, &t0, &lp) == lp0 + out0);
    ck_assert(balance_of(&w, &t1, &lp) == lp1 + out1);
    /* more shares than held */
    a.len = 0;
    arg_u128(&a, shares);
    assert_reverted(call(&w, &lp, &pool, "removeLiquidity(uint256)", &a, &r), &r, "not enough shares");
    evm_result_clear(&r);
    world_free(&w);
}
END_TEST

START_TEST(test_registry)
{
    world_t w;
    world_init(&w);
    evm_addr_t owner = user(1), other = user(2), c1 = user(0x41), c2 = user(0x42);
    evm_addr_t reg = deploy(&w, &owner, "Registry", NULL);
    evm_result_t r;
    args_t a = { .len = 0 };
    arg_text32(&a, "dex");
    arg_u128(&a, 0x40); /* offset of the array */
    arg_u128(&a, 2);
    arg_addr(&a, &c1);
    arg_addr(&a, &c2);
    ck_assert_int_eq(call(&w, &owner, &reg, "register(bytes32,address[])", &a, &r), EVM_SUCCESS);
    ck_assert(word(&r, 0) == 1);
    evm_result_clear(&r);
    assert_reverted(call(&w, &other, &reg, "register(bytes32,address[])", &a, &r), &r, "name taken");
    evm_result_clear(&r);
    a.len = 0;
    arg_text32(&a, "wallet");
    arg_u128(&a, 0x40);
    arg_u128(&a, 0);
    ck_assert_int_eq(call(&w, &other, &reg, "register(bytes32,address[])", &a, &r), EVM_SUCCESS);
    ck_assert(word(&r, 0) == 2);
    evm_result_clear(&r);
    ck_assert(view1(&w, &reg, "count()", NULL) == 2);

    a.len = 0;
    arg_text32(&a, "dex");
    ck_assert_int_eq(call(&w, &other, &reg, "lookup(bytes32)", &a, &r), EVM_SUCCESS);
    ck_assert_uint_eq(r.output_len, 32 * 5);
    ck_assert_mem_eq(r.output + 12, owner.b, 20);
    ck_assert(word(&r, 1) == 0x40);
    ck_assert(word(&r, 2) == 2);
    ck_assert_mem_eq(r.output + 96 + 12, c1.b, 20);
    ck_assert_mem_eq(r.output + 128 + 12, c2.b, 20);
    evm_result_clear(&r);
    a.len = 0;
    arg_text32(&a, "nothing");
    assert_reverted(call(&w, &other, &reg, "lookup(bytes32)", &a, &r), &r, "unknown app");
    evm_result_clear(&r);

    a.len = 0;
    arg_u128(&a, 0);
    arg_u128(&a, 10);
    ck_assert_int_eq(call(&w, &other, &reg, "list(uint256,uint256)", &a, &r), EVM_SUCCESS);
    ck_assert(word(&r, 1) == 2);
    ck_assert_mem_eq(r.output + 64, "dex", 3);
    ck_assert_mem_eq(r.output + 96, "wallet", 6);
    evm_result_clear(&r);
    world_free(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("evm_contracts");
    TCase *tc = tcase_create("contracts");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_erc20);
    tcase_add_test(tc, test_pool);
    tcase_add_test(tc, test_registry);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
