/*
 * vmtests.c - runs the Ethereum VM reference tests (ethereum/tests,
 * VMTests/, see ../shared/reference/evm-vmtests/README.md) on the
 * interpreter under the homestead schedule.
 *
 *   vmtests DIR [NAME-SUBSTRING]
 *
 * For every VMTests/<group>/<name>.json under DIR: builds the state from
 * `pre`, runs `exec` (no value transfer, no intrinsic gas, no refunds) and
 * compares: a test without `post` must end in an exceptional halt; any
 * other must succeed with the gas left, the output, the logs hash
 * (keccak256 of the RLP of the logs) and the post state (every account's
 * balance, nonce, code and non-zero storage, no account more or less)
 * equal to the expected ones. Prints each failure and a summary; exits 0
 * when every test passed, 1 when one failed, 77 (CTest: skipped) when DIR
 * has no VMTests folder, 2 on bad usage or an unreadable or malformed file.
 *
 * The JSON reader below is the small subset the tests use (objects,
 * arrays, strings, numbers as text, true/false/null); it is not a general
 * parser.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm/evm.h"
#include "core/vm/keccak.h"
#include "core/vm/vmstate.h"

/* ---- a minimal JSON tree ---- */

typedef enum { J_OBJ, J_ARR, J_STR, J_LIT } jtype_t;

typedef struct jnode {
    jtype_t type;
    char *text;          /* J_STR, J_LIT */
    GPtrArray *keys;     /* J_OBJ: char * */
    GPtrArray *values;   /* J_OBJ, J_ARR: jnode_t * */
} jnode_t;

static void jfree(jnode_t *n)
{
    if (!n)
        return;
    g_free(n->text);
    if (n->keys)
        g_ptr_array_free(n->keys, TRUE);
    if (n->values) {
        for (guint i = 0; i < n->values->len; i++)
            jfree(n->values->pdata[i]);
        g_ptr_array_free(n->values, TRUE);
    }
    g_free(n);
}

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t')
        (*p)++;
}

static jnode_t *jparse(const char **p);

static char *jstring(const char **p)
{
    if (**p != '"')
        return NULL;
    (*p)++;
    GString *s = g_string_new(NULL);
    while (**p && **p != '"') {
        if (**p == '\\' && (*p)[1])
            (*p)++;
        g_string_append_c(s, **p);
        (*p)++;
    }
    if (**p != '"') {
        g_string_free(s, TRUE);
        return NULL;
    }
    (*p)++;
    return g_string_free(s, FALSE);
}

static jnode_t *jparse(const char **p)
{
    skip_ws(p);
    jnode_t *n = g_new0(jnode_t, 1);
    if (**p == '{' || **p == '[') {
        bool obj = **p == '{';
        char close = obj ? '}' : ']';
        n->type = obj ? J_OBJ : J_ARR;
        n->values = g_ptr_array_new();
        if (obj)
            n->keys = g_ptr_array_new_with_free_func(g_free);
        (*p)++;
        skip_ws(p);
        if (**p == close) {
            (*p)++;
            return n;
        }
        for (;;) {
            skip_ws(p);
            if (obj) {
                char *k = jstring(p);
                skip_ws(p);
                if (!k || **p != ':') {
                    g_free(k);
                    goto fail;
                }
                (*p)++;
                g_ptr_array_add(n->keys, k);
            }
            jnode_t *v = jparse(p);
            if (!v)
                goto fail;
            g_ptr_array_add(n->values, v);
            skip_ws(p);
            if (**p == ',') {
                (*p)++;
                continue;
            }
            if (**p == close) {
                (*p)++;
                return n;
            }
            goto fail;
        }
    }
    if (**p == '"') {
        n->type = J_STR;
        n->text = jstring(p);
        if (!n->text)
            goto fail;
        return n;
    }
    const char *start = *p;
    while (**p && strchr(",}] \n\r\t", **p) == NULL)
        (*p)++;
    if (*p == start)
        goto fail;
    n->type = J_LIT;
    n->text = g_strndup(start, (gsize)(*p - start));
    return n;
fail:
    jfree(n);
    return NULL;
}

static jnode_t *jget(const jnode_t *obj, const char *key)
{
    if (!obj || obj->type != J_OBJ)
        return NULL;
    for (guint i = 0; i < obj->keys->len; i++)
        if (strcmp(obj->keys->pdata[i], key) == 0)
            return obj->values->pdata[i];
    return NULL;
}

static const char *jtext(const jnode_t *obj, const char *key)
{
    jnode_t *n = jget(obj, key);
    return n && n->type == J_STR ? n->text : NULL;
}

/* ---- values ---- */

/* A hex number of any length with leading zeros; false when above 256 bits. */
static bool parse_num(const char *s, u256_t *out)
{
    if (!s)
        return false;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    while (*s == '0' && s[1])
        s++;
    if (!*s) {
        *out = u256_from_u64(0);
        return true;
    }
    return u256_from_hex(s, out);
}

static uint64_t num64(const char *s)
{
    u256_t v;
    if (!parse_num(s, &v))
        return UINT64_MAX;
    return u256_fits_u64(&v) ? v.w[0] : UINT64_MAX;
}

/* Hex bytes into a new buffer (g_free); false when malformed. */
static bool parse_bytes(const char *s, uint8_t **out, size_t *len)
{
    if (!s)
        return false;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    size_t n = strlen(s);
    if (n % 2)
        return false;
    *out = g_malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = g_ascii_xdigit_value(s[2 * i]), lo = g_ascii_xdigit_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            g_free(*out);
            return false;
        }
        (*out)[i] = (uint8_t)(hi * 16 + lo);
    }
    *len = n / 2;
    return true;
}

static bool parse_addr(const char *s, evm_addr_t *a)
{
    uint8_t *b;
    size_t n;
    if (!parse_bytes(s, &b, &n))
        return false;
    bool ok = n == 20;
    if (ok)
        memcpy(a->b, b, 20);
    g_free(b);
    return ok;
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = '\0';
}

/* Loads the accounts of a pre/post object into a new state. */
static vmstate_t *load_state(const jnode_t *obj, char **why)
{
    vmstate_t *s = vmstate_new();
    for (guint i = 0; obj && i < obj->keys->len; i++) {
        evm_addr_t a;
        const jnode_t *acc = obj->values->pdata[i];
        u256_t bal, nonce;
        uint8_t *code;
        size_t len;
        if (!parse_addr(obj->keys->pdata[i], &a) || !parse_num(jtext(acc, "balance"), &bal) ||
            !parse_num(jtext(acc, "nonce"), &nonce) || !parse_bytes(jtext(acc, "code"), &code, &len)) {
            *why = g_strdup_printf("malformed account %s", (char *)obj->keys->pdata[i]);
            vmstate_free(s);
            return NULL;
        }
        vmstate_set_balance(s, &a, &bal);
        vmstate_set_nonce(s, &a, nonce.w[0]);
        vmstate_set_code(s, &a, code, len);
        g_free(code);
        const jnode_t *st = jget(acc, "storage");
        for (guint j = 0; st && j < st->keys->len; j++) {
            u256_t k, v;
            const jnode_t *vn = st->values->pdata[j];
            if (!parse_num(st->keys->pdata[j], &k) || vn->type != J_STR || !parse_num(vn->text, &v)) {
                *why = g_strdup("malformed storage");
                vmstate_free(s);
                return NULL;
            }
            vmstate_set_storage(s, &a, &k, &v);
        }
    }
    return s;
}

/* Compares two states; NULL when equal, else what differs (g_free). */
static char *state_diff(vmstate_t *got, vmstate_t *want)
{
    size_t ng, nw;
    evm_addr_t *ag = vmstate_addresses(got, &ng), *aw = vmstate_addresses(want, &nw);
    char *why = NULL;
    char hex[41];
    if (ng != nw || (ng && memcmp(ag, aw, ng * sizeof *ag) != 0)) {
        why = g_strdup_printf("%zu accounts, expected %zu", ng, nw);
        goto done;
    }
    for (size_t i = 0; i < ng && !why; i++) {
        evm_addr_t *a = &ag[i];
        hex_of(a->b, 20, hex);
        u256_t bg = vmstate_balance(got, a), bw = vmstate_balance(want, a);
        if (!u256_eq(&bg, &bw))
            why = g_strdup_printf("%s: balance differs", hex);
        else if (vmstate_nonce(got, a) != vmstate_nonce(want, a))
            why = g_strdup_printf("%s: nonce differs", hex);
        size_t lg, lw;
        const uint8_t *cg = vmstate_code(got, a, &lg), *cw = vmstate_code(want, a, &lw);
        if (!why && (lg != lw || (lg && memcmp(cg, cw, lg) != 0)))
            why = g_strdup_printf("%s: code differs", hex);
        if (why)
            break;
        u256_t *kg, *vg, *kw, *vw;
        size_t sg = vmstate_slots(got, a, &kg, &vg), sw = vmstate_slots(want, a, &kw, &vw);
        if (sg != sw)
            why = g_strdup_printf("%s: %zu storage slots, expected %zu", hex, sg, sw);
        for (size_t j = 0; j < sg && !why; j++)
            if (!u256_eq(&kg[j], &kw[j]) || !u256_eq(&vg[j], &vw[j]))
                why = g_strdup_printf("%s: storage slot %zu differs", hex, j);
        g_free(kg);
        g_free(vg);
        g_free(kw);
        g_free(vw);
    }
done:
    g_free(ag);
    g_free(aw);
    return why;
}

/* Runs one test; NULL when it passes, else why not (g_free). */
static char *run_test(const jnode_t *t)
{
    const jnode_t *env = jget(t, "env"), *exec = jget(t, "exec"), *post = jget(t, "post");
    char *why = NULL;
    evm_env_t e;
    memset(&e, 0, sizeof e);
    evm_message_t m;
    memset(&m, 0, sizeof m);
    uint8_t *data = NULL;
    size_t data_len = 0;
    if (!env || !exec || !parse_addr(jtext(env, "currentCoinbase"), &e.coinbase) ||
        !parse_num(jtext(env, "currentDifficulty"), &e.difficulty) || !parse_addr(jtext(exec, "origin"), &e.origin) ||
        !parse_num(jtext(exec, "gasPrice"), &e.gas_price) || !parse_addr(jtext(exec, "address"), &m.to) ||
        !parse_addr(jtext(exec, "caller"), &m.caller) || !parse_num(jtext(exec, "value"), &m.value) ||
        !parse_bytes(jtext(exec, "data"), &data, &data_len))
        return g_strdup("malformed env or exec");
    e.number = num64(jtext(env, "currentNumber"));
    e.timestamp = num64(jtext(env, "currentTimestamp"));
    e.gas_limit = num64(jtext(env, "currentGasLimit"));
    m.kind = EVM_CALL;
    m.input = data;
    m.input_len = data_len;
    m.gas = num64(jtext(exec, "gas"));
    m.no_transfer = true;
    vmstate_t *s = load_state(jget(t, "pre"), &why);
    if (!s) {
        g_free(data);
        return why;
    }
    evm_t *vm = evm_new(EVM_HOMESTEAD, vmstate_host(), s);
    evm_result_t r;
    evm_execute(vm, &e, &m, &r);
    if (!post) {
        if (r.status <= EVM_REVERT)
            why = g_strdup_printf("expected an exceptional halt, got %s", evm_status_name(r.status));
        goto done;
    }
    if (r.status != EVM_SUCCESS) {
        why = g_strdup_printf("expected success, got %s", evm_status_name(r.status));
        goto done;
    }
    uint64_t gas_want = num64(jtext(t, "gas"));
    if (r.gas_left != gas_want) {
        why = g_strdup_printf("gas left %llu, expected %llu", (unsigned long long)r.gas_left,
                              (unsigned long long)gas_want);
        goto done;
    }
    uint8_t *out;
    size_t out_len;
    if (!parse_bytes(jtext(t, "out"), &out, &out_len)) {
        why = g_strdup("malformed out");
        goto done;
    }
    bool same_out = out_len == r.output_len && (out_len == 0 || memcmp(out, r.output, out_len) == 0);
    g_free(out);
    if (!same_out) {
        why = g_strdup_printf("output differs (%zu bytes, expected %zu)", r.output_len, out_len);
        goto done;
    }
    uint8_t lh[32], *lw;
    size_t lwn;
    evm_logs_hash(r.logs, r.n_logs, lh);
    if (!parse_bytes(jtext(t, "logs"), &lw, &lwn) || lwn != 32) {
        why = g_strdup("malformed logs hash");
        goto done;
    }
    bool same_logs = memcmp(lh, lw, 32) == 0;
    g_free(lw);
    if (!same_logs) {
        why = g_strdup_printf("logs hash differs (%zu logs)", r.n_logs);
        goto done;
    }
    const jnode_t *cc = jget(t, "callcreates");
    if (cc && cc->values && cc->values->len) {
        why = g_strdup("callcreates not empty: not supported by this runner");
        goto done;
    }
    vmstate_t *want = load_state(post, &why);
    if (want) {
        why = state_diff(s, want);
        vmstate_free(want);
    }
done:
    evm_result_clear(&r);
    evm_free(vm);
    vmstate_free(s);
    g_free(data);
    return why;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: vmtests DIR [NAME-SUBSTRING]\n");
        return 2;
    }
    char *root = g_build_filename(argv[1], "VMTests", NULL);
    if (!g_file_test(root, G_FILE_TEST_IS_DIR)) {
        printf("vmtests skipped: %s not found (the Ethereum VM reference tests; set the CMake cache "
               "variable CHAINSIM_VMTESTS_DIR to their folder)\n",
               root);
        g_free(root);
        return 77;
    }
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(root, 0, NULL);
    const char *group;
    while (d && (group = g_dir_read_name(d))) {
        char *gdir = g_build_filename(root, group, NULL);
        GDir *gd = g_dir_open(gdir, 0, NULL);
        const char *name;
        while (gd && (name = g_dir_read_name(gd)))
            if (g_str_has_suffix(name, ".json") && (argc < 3 || strstr(name, argv[2])))
                g_ptr_array_add(files, g_build_filename(gdir, name, NULL));
        if (gd)
            g_dir_close(gd);
        g_free(gdir);
    }
    if (d)
        g_dir_close(d);
    qsort(files->pdata, files->len, sizeof(char *), name_cmp);
    int passed = 0, failed = 0, status = 0;
    for (guint i = 0; i < files->len; i++) {
        const char *path = files->pdata[i];
        char *text = NULL;
        if (!g_file_get_contents(path, &text, NULL, NULL)) {
            fprintf(stderr, "vmtests: %s: cannot read\n", path);
            status = 2;
            continue;
        }
        const char *p = text;
        jnode_t *root_node = jparse(&p);
        if (!root_node || root_node->type != J_OBJ || root_node->values->len != 1) {
            fprintf(stderr, "vmtests: %s: not a test file (one JSON object with one test)\n", path);
            jfree(root_node);
            g_free(text);
            status = 2;
            continue;
        }
        char *why = run_test(root_node->values->pdata[0]);
        if (why) {
            printf("FAIL %s: %s\n", (char *)root_node->keys->pdata[0], why);
            failed++;
        } else {
            passed++;
        }
        g_free(why);
        jfree(root_node);
        g_free(text);
    }
    printf("vmtests: %d passed, %d failed, of %u (homestead schedule)\n", passed, failed, files->len);
    g_ptr_array_free(files, TRUE);
    g_free(root);
    if (status)
        return status;
    return failed ? 1 : (passed ? 0 : 2);
}
