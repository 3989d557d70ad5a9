/*
 * evmrun.c - `chainsim evm run`, see evmrun.h.
 *
 * The code is installed at the address "receiver" (0x...7265636569766572)
 * of an empty state (core/vm/vmstate.h) and called from "sender"
 * (0x...73656e646572, also the origin), the addresses geth's `evm run`
 * uses. With --value the sender is given that much first and the value is
 * transferred. The block: number 0, timestamp 0, gas limit = --gas, chain
 * id 1, coinbase zero. Gas used is the gas given minus the gas left, with
 * no intrinsic cost and no refund (the refund counter is printed apart).
 *
 * Text output: lines "status: ...", "output: 0x...", "gas used: N",
 * "gas refund: N" (when not zero), then "logs: N" and one line per log.
 * --json: one object {"status", "output", "gas_used", "logs": [{"address",
 * "topics", "data"}]}, all byte strings 0x-prefixed lowercase hex.
 */
#include "sim/cmd/evmrun.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "analysis/cli.h"
#include "core/vm/evm.h"
#include "core/vm/vmstate.h"

static const cli_command_t evmrun_cli = {
    .name = "evm run",
    .usage = "(--code HEX | --codefile FILE) [--input HEX] [--gas N] [--value N] [--fork homestead|shanghai] [--json]",
    .about = "Executes EVM bytecode as a contract call on an empty state, like geth's\n"
             "`evm run`, and prints the status (success, revert or the reason of an\n"
             "exceptional halt), the return data, the gas used and the logs.\n",
    .notes = "HEX may start with 0x; a code file holds hex text (white space ignored).\n"
             "The code runs at address 0x...7265636569766572 called by 0x...73656e646572.\n"
             "Gas used counts no intrinsic gas and no refund. Precompiled contracts are not\n"
             "implemented: a call to one fails.\n",
    .exits = "0 the code ran (whatever its status), 1 output error, 2 bad usage or input\n",
};

static const char *const forks[] = { "homestead", "shanghai", NULL }; /* evm_fork_t order */

typedef struct bytes {
    uint8_t *data; /* g_free */
    size_t len;
    bool set;
} bytes_t;

/* Hex text (optional 0x; white space ignored when spaces) into b. */
static bool parse_hex(bytes_t *b, const char *text, bool spaces, char **why)
{
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text += 2;
    GByteArray *out = g_byte_array_new();
    int hi = -1;
    for (const char *p = text; *p; p++) {
        if (spaces && g_ascii_isspace(*p))
            continue;
        int v = g_ascii_xdigit_value(*p);
        if (v < 0) {
            *why = g_strdup_printf("expected hexadecimal digits, found '%c'", *p);
            g_byte_array_free(out, TRUE);
            return false;
        }
        if (hi < 0) {
            hi = v;
        } else {
            uint8_t byte = (uint8_t)(hi * 16 + v);
            g_byte_array_append(out, &byte, 1);
            hi = -1;
        }
    }
    if (hi >= 0) {
        *why = g_strdup("expected an even number of hexadecimal digits");
        g_byte_array_free(out, TRUE);
        return false;
    }
    g_free(b->data);
    b->len = out->len;
    b->data = g_byte_array_free(out, FALSE);
    b->set = true;
    return true;
}

static bool check_hex(void *dest, const char *value, char **why)
{
    return parse_hex(dest, value, false, why);
}

static bool check_gas(void *dest, const char *value, char **why)
{
    guint64 v;
    if (!g_ascii_string_to_unsigned(value, 10, 1, INT64_MAX, &v, NULL)) {
        *why = g_strdup("expected a whole number of gas from 1 to 9223372036854775807");
        return false;
    }
    *(uint64_t *)dest = v;
    return true;
}

/* A decimal or 0x-hexadecimal number below 2^256. */
static bool check_value(void *dest, const char *value, char **why)
{
    u256_t v = u256_from_u64(0);
    bool ok = *value != '\0';
    if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
        const char *h = value + 2;
        while (*h == '0' && h[1])
            h++;
        ok = u256_from_hex(h, &v);
    } else {
        u256_t ten = u256_from_u64(10);
        for (const char *p = value; ok && *p; p++) {
            if (!g_ascii_isdigit(*p)) {
                ok = false;
                break;
            }
            u256_t d = u256_from_u64((uint64_t)(*p - '0'));
            u256_t t = u256_mul(&v, &ten);
            u256_t back = u256_div(&t, &ten);
            u256_t n = u256_add(&t, &d);
            if (!u256_eq(&back, &v) || u256_lt(&n, &t))
                ok = false;
            v = n;
        }
    }
    if (!ok) {
        *why = g_strdup("expected a whole number of wei below 2^256 (decimal, or hexadecimal with 0x)");
        return false;
    }
    *(u256_t *)dest = v;
    return true;
}

static void put_hex(GString *s, const uint8_t *b, size_t n)
{
    g_string_append(s, "0x");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%02x", b[i]);
}

static evm_addr_t named_address(const char *name)
{
    evm_addr_t a;
    memset(&a, 0, sizeof a);
    size_t n = strlen(name);
    memcpy(a.b + 20 - n, name, n);
    return a;
}

static GString *format_result(const evm_result_t *r, uint64_t gas, bool json)
{
    GString *s = g_string_new(NULL);
    unsigned long long used = (unsigned long long)(gas - r->gas_left);
    if (json) {
        g_string_append_printf(s, "{\"status\": \"%s\", \"output\": \"", evm_status_name(r->status));
        put_hex(s, r->output, r->output_len);
        g_string_append_printf(s, "\", \"gas_used\": %llu, \"logs\": [", used);
    } else {
        g_string_append_printf(s, "status: %s\noutput: ", evm_status_name(r->status));
        put_hex(s, r->output, r->output_len);
        g_string_append_printf(s, "\ngas used: %llu\n", used);
        if (r->gas_refund)
            g_string_append_printf(s, "gas refund: %lld (not applied)\n", (long long)r->gas_refund);
        g_string_append_printf(s, "logs: %zu\n", r->n_logs);
    }
    for (size_t i = 0; i < r->n_logs; i++) {
        const evm_log_t *l = &r->logs[i];
        g_string_append(s, json ? (i ? ", {\"address\": \"" : "{\"address\": \"") : "  address ");
        put_hex(s, l->address.b, 20);
        g_string_append(s, json ? "\", \"topics\": [" : " topics [");
        for (unsigned t = 0; t < l->n_topics; t++) {
            g_string_append(s, t ? (json ? ", \"" : " ") : (json ? "\"" : ""));
            put_hex(s, l->topics[t], 32);
            if (json)
                g_string_append_c(s, '"');
        }
        g_string_append(s, json ? "], \"data\": \"" : "] data ");
        put_hex(s, l->data, l->data_len);
        g_string_append(s, json ? "\"}" : "\n");
    }
    if (json)
        g_string_append(s, "]}\n");
    return s;
}

int evmrun_main(int argc, char **argv)
{
    bytes_t code = { 0 }, input = { 0 };
    const char *codefile = NULL;
    uint64_t gas = UINT64_C(10000000000);
    u256_t value = u256_from_u64(0);
    int fork = EVM_SHANGHAI;
    bool json = false;
    const cli_option_t opts[] = {
        { "code", 0, CLI_CUSTOM, &code, "HEX", "the bytecode to run", NULL, check_hex },
        { "codefile", 0, CLI_TEXT, &codefile, "FILE", "a file holding the bytecode as hex text", NULL, NULL },
        { "input", 0, CLI_CUSTOM, &input, "HEX", "the call data (default: none)", NULL, check_hex },
        { "gas", 0, CLI_CUSTOM, &gas, "N", "the gas given (default 10000000000)", NULL, check_gas },
        { "value", 0, CLI_CUSTOM, &value, "N", "the value sent, in wei (default 0)", NULL, check_value },
        { "fork", 0, CLI_CHOICE, &fork, "FORK", "the gas schedule: homestead or shanghai (default)", forks, NULL },
        { "json", 0, CLI_FLAG, &json, NULL, "one JSON object instead of text", NULL, NULL },
        { NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL, NULL },
    };
    if (argc < 1 || strcmp(argv[0], "run") != 0) {
        if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
            cli_print_help(stdout, &evmrun_cli, opts);
            return CLI_OK;
        }
        if (argc < 1)
            return cli_usage_error("evm", "missing the subcommand: expected 'run'");
        char *q = cli_quote(argv[0]);
        int rc = cli_usage_error("evm", "unknown subcommand %s: expected 'run'", q);
        g_free(q);
        return rc;
    }
    char **operands = NULL;
    int rc = cli_parse(&evmrun_cli, opts, argc - 1, argv + 1, &operands);
    if (rc != CLI_GO_ON)
        goto done;
    if (code.set == (codefile != NULL)) {
        rc = cli_usage_error("evm run", code.set ? "--code and --codefile: give only one"
                                                 : "missing the code: give --code HEX or --codefile FILE");
        goto done;
    }
    if (codefile) {
        char *text = NULL, *why = NULL;
        GError *err = NULL;
        if (!g_file_get_contents(codefile, &text, NULL, &err)) {
            fprintf(stderr, "chainsim evm run: --codefile %s: cannot read: %s\n", codefile, err->message);
            g_error_free(err);
            rc = CLI_BADINPUT;
            goto done;
        }
        char *trimmed = g_strstrip(text);
        if (!parse_hex(&code, trimmed, true, &why)) {
            fprintf(stderr, "chainsim evm run: --codefile %s: %s\n", codefile, why);
            g_free(why);
            g_free(text);
            rc = CLI_BADINPUT;
            goto done;
        }
        g_free(text);
    }

    vmstate_t *state = vmstate_new();
    evm_addr_t sender = named_address("sender"), receiver = named_address("receiver");
    vmstate_set_code(state, &receiver, code.data, code.len);
    vmstate_set_balance(state, &sender, &value);
    evm_env_t env;
    memset(&env, 0, sizeof env);
    env.gas_limit = gas;
    env.chain_id = 1;
    env.origin = sender;
    evm_message_t msg;
    memset(&msg, 0, sizeof msg);
    msg.kind = EVM_CALL;
    msg.caller = sender;
    msg.to = receiver;
    msg.value = value;
    msg.input = input.data;
    msg.input_len = input.len;
    msg.gas = gas;
    evm_t *vm = evm_new((evm_fork_t)fork, vmstate_host(), state);
    evm_result_t r;
    evm_execute(vm, &env, &msg, &r);
    GString *out = format_result(&r, gas, json);
    rc = CLI_OK;
    if (fwrite(out->str, 1, out->len, stdout) != out->len || fflush(stdout) != 0) {
        fprintf(stderr, "chainsim evm run: cannot write to standard output\n");
        rc = CLI_RUNTIME;
    }
    g_string_free(out, TRUE);
    evm_result_clear(&r);
    evm_free(vm);
    vmstate_free(state);
done:
    g_free(operands);
    g_free(code.data);
    g_free(input.data);
    return rc;
}
