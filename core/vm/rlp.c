/*
 * rlp.c - RLP encoding of byte strings and lists (see rlp.h).
 */
#include "core/vm/rlp.h"

/* The big-endian bytes of v without leading zeros into be; returns how many. */
static int be_bytes(uint64_t v, uint8_t be[8])
{
    int n = 0;
    for (uint64_t x = v; x > 0; x >>= 8)
        n++;
    for (int i = 0; i < n; i++)
        be[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n;
}

static void prefix(GByteArray *out, uint8_t short_base, uint8_t long_base, size_t len)
{
    if (len < 56) {
        uint8_t b = (uint8_t)(short_base + len);
        g_byte_array_append(out, &b, 1);
        return;
    }
    uint8_t be[8];
    int n = be_bytes(len, be);
    uint8_t b = (uint8_t)(long_base + n);
    g_byte_array_append(out, &b, 1);
    g_byte_array_append(out, be, (guint)n);
}

void rlp_bytes(GByteArray *out, const uint8_t *data, size_t len)
{
    if (len == 1 && data[0] < 0x80) {
        g_byte_array_append(out, data, 1);
        return;
    }
    prefix(out, 0x80, 0xb7, len);
    if (len)
        g_byte_array_append(out, data, (guint)len);
}

void rlp_uint(GByteArray *out, uint64_t v)
{
    uint8_t be[8];
    int n = be_bytes(v, be);
    rlp_bytes(out, be, (size_t)n);
}

void rlp_list(GByteArray *out, const uint8_t *payload, size_t len)
{
    prefix(out, 0xc0, 0xf7, len);
    if (len)
        g_byte_array_append(out, payload, (guint)len);
}
