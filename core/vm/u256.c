/*
 * u256.c - the 256-bit operations too long to inline: division (Knuth's
 * algorithm D, "The Art of Computer Programming" vol. 2, 4.3.1, on 32-bit
 * digits with 64-bit intermediates as in Hacker's Delight's divmnu), the
 * modular operations on a 512-bit intermediate, exponentiation by squaring,
 * and conversions.
 *
 * Invariant: every function is total (division by zero gives zero) and
 * allocates nothing.
 */
#include "core/vm/u256.h"

#include <string.h>

void u256_to_be(const u256_t *a, uint8_t out[32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t v = a->w[3 - i];
        for (int j = 0; j < 8; j++)
            out[i * 8 + j] = (uint8_t)(v >> (56 - 8 * j));
    }
}

u256_t u256_from_be(const uint8_t in[32])
{
    u256_t r;
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++)
            v = (v << 8) | in[i * 8 + j];
        r.w[3 - i] = v;
    }
    return r;
}

u256_t u256_from_be_n(const uint8_t *in, size_t n)
{
    uint8_t buf[32] = { 0 };
    if (n > 32)
        n = 32;
    memcpy(buf + 32 - n, in, n);
    return u256_from_be(buf);
}

/* Digits of 32 bits, least significant first. */
static void to_digits(const uint64_t *w, int limbs, uint32_t *d)
{
    for (int i = 0; i < limbs; i++) {
        d[2 * i] = (uint32_t)w[i];
        d[2 * i + 1] = (uint32_t)(w[i] >> 32);
    }
}

static int digit_len(const uint32_t *d, int n)
{
    while (n > 0 && d[n - 1] == 0)
        n--;
    return n;
}

static int nlz32(uint32_t x)
{
    return x ? __builtin_clz(x) : 32;
}

/* Divides u (m digits) by v (n digits, v[n-1] != 0, m >= n): quotient in
 * q (m - n + 1 digits), remainder in r (n digits). Knuth's algorithm D. */
static void divmnu(uint32_t *q, uint32_t *r, const uint32_t *u, const uint32_t *v, int m, int n)
{
    const uint64_t b = UINT64_C(1) << 32;
    if (n == 1) {
        uint64_t k = 0;
        for (int j = m - 1; j >= 0; j--) {
            uint64_t cur = k * b + u[j];
            q[j] = (uint32_t)(cur / v[0]);
            k = cur - (uint64_t)q[j] * v[0];
        }
        r[0] = (uint32_t)k;
        return;
    }
    uint32_t un[17], vn[16];
    int s = nlz32(v[n - 1]);
    for (int i = n - 1; i > 0; i--)
        vn[i] = (v[i] << s) | (s ? (uint32_t)((uint64_t)v[i - 1] >> (32 - s)) : 0);
    vn[0] = v[0] << s;
    un[m] = s ? (uint32_t)((uint64_t)u[m - 1] >> (32 - s)) : 0;
    for (int i = m - 1; i > 0; i--)
        un[i] = (u[i] << s) | (s ? (uint32_t)((uint64_t)u[i - 1] >> (32 - s)) : 0);
    un[0] = u[0] << s;
    for (int j = m - n; j >= 0; j--) {
        uint64_t num = ((uint64_t)un[j + n] << 32) | un[j + n - 1];
        uint64_t qhat = num / vn[n - 1];
        uint64_t rhat = num - qhat * vn[n - 1];
        while (qhat >= b || qhat * vn[n - 2] > ((rhat << 32) | un[j + n - 2])) {
            qhat--;
            rhat += vn[n - 1];
            if (rhat >= b)
                break;
        }
        int64_t t, k = 0;
        for (int i = 0; i < n; i++) {
            uint64_t p = qhat * vn[i];
            t = (int64_t)un[i + j] - k - (int64_t)(p & 0xffffffffu);
            un[i + j] = (uint32_t)t;
            k = (int64_t)(p >> 32) - (t >> 32);
        }
        t = (int64_t)un[j + n] - k;
        un[j + n] = (uint32_t)t;
        q[j] = (uint32_t)qhat;
        if (t < 0) {
            q[j]--;
            k = 0;
            for (int i = 0; i < n; i++) {
                t = (int64_t)un[i + j] + vn[i] + k;
                un[i + j] = (uint32_t)t;
                k = t >> 32;
            }
            un[j + n] = (uint32_t)((int64_t)un[j + n] + k);
        }
    }
    for (int i = 0; i < n; i++)
        r[i] = (un[i] >> s) | (s ? (uint32_t)((uint64_t)un[i + 1] << (32 - s)) : 0);
}

/* num (limbs 64-bit limbs, up to 8) mod / div den (4 limbs). */
static void divmod_wide(const uint64_t *num, int limbs, const u256_t *den, uint64_t *qout, u256_t *rem)
{
    uint32_t u[16] = { 0 }, v[8] = { 0 }, q[16] = { 0 }, r[8] = { 0 };
    to_digits(num, limbs, u);
    to_digits(den->w, 4, v);
    int n = digit_len(v, 8);
    int m = digit_len(u, 2 * limbs);
    if (m < n) {
        if (qout)
            memset(qout, 0, sizeof(uint64_t) * (size_t)limbs);
        if (rem) {
            memset(rem, 0, sizeof *rem);
            for (int i = 0; i < limbs && i < 4; i++)
                rem->w[i] = num[i];
        }
        return;
    }
    divmnu(q, r, u, v, m, n);
    if (qout)
        for (int i = 0; i < limbs; i++)
            qout[i] = (uint64_t)q[2 * i] | ((uint64_t)q[2 * i + 1] << 32);
    if (rem)
        for (int i = 0; i < 4; i++)
            rem->w[i] = (uint64_t)r[2 * i] | ((uint64_t)r[2 * i + 1] << 32);
}

void u256_divmod(const u256_t *a, const u256_t *b, u256_t *q, u256_t *r)
{
    u256_t zero = { { 0, 0, 0, 0 } };
    if (u256_is_zero(b)) {
        if (q)
            *q = zero;
        if (r)
            *r = zero;
        return;
    }
    if (u256_fits_u64(a) && u256_fits_u64(b)) {
        if (q)
            *q = u256_from_u64(a->w[0] / b->w[0]);
        if (r)
            *r = u256_from_u64(a->w[0] % b->w[0]);
        return;
    }
    if (u256_lt(a, b)) {
        if (q)
            *q = zero;
        if (r)
            *r = *a;
        return;
    }
    u256_t qq, rr;
    divmod_wide(a->w, 4, b, qq.w, &rr);
    if (q)
        *q = qq;
    if (r)
        *r = rr;
}

u256_t u256_div(const u256_t *a, const u256_t *b)
{
    u256_t q;
    u256_divmod(a, b, &q, NULL);
    return q;
}

u256_t u256_mod(const u256_t *a, const u256_t *b)
{
    u256_t r;
    u256_divmod(a, b, NULL, &r);
    return r;
}

static u256_t u256_abs(const u256_t *a)
{
    return u256_is_neg(a) ? u256_neg(a) : *a;
}

u256_t u256_sdiv(const u256_t *a, const u256_t *b)
{
    if (u256_is_zero(b))
        return *b;
    u256_t ua = u256_abs(a), ub = u256_abs(b);
    u256_t q = u256_div(&ua, &ub);
    return (u256_is_neg(a) != u256_is_neg(b)) ? u256_neg(&q) : q;
}

u256_t u256_smod(const u256_t *a, const u256_t *b)
{
    if (u256_is_zero(b))
        return *b;
    u256_t ua = u256_abs(a), ub = u256_abs(b);
    u256_t r = u256_mod(&ua, &ub);
    return u256_is_neg(a) ? u256_neg(&r) : r;
}

u256_t u256_addmod(const u256_t *a, const u256_t *b, const u256_t *m)
{
    u256_t r = { { 0, 0, 0, 0 } };
    if (u256_is_zero(m))
        return r;
    uint64_t s[5];
    unsigned __int128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (unsigned __int128)a->w[i] + b->w[i];
        s[i] = (uint64_t)c;
        c >>= 64;
    }
    s[4] = (uint64_t)c;
    uint64_t wide[8] = { s[0], s[1], s[2], s[3], s[4], 0, 0, 0 };
    divmod_wide(wide, s[4] ? 5 : 4, m, NULL, &r);
    return r;
}

u256_t u256_mulmod(const u256_t *a, const u256_t *b, const u256_t *m)
{
    u256_t r = { { 0, 0, 0, 0 } };
    if (u256_is_zero(m))
        return r;
    uint64_t p[8] = { 0 };
    for (int i = 0; i < 4; i++) {
        unsigned __int128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (unsigned __int128)a->w[i] * b->w[j] + p[i + j];
            p[i + j] = (uint64_t)c;
            c >>= 64;
        }
        p[i + 4] = (uint64_t)c;
    }
    divmod_wide(p, 8, m, NULL, &r);
    return r;
}

u256_t u256_exp(const u256_t *base, const u256_t *exp)
{
    u256_t r = u256_from_u64(1), b = *base;
    unsigned bits = u256_byte_len(exp) * 8;
    for (unsigned i = 0; i < bits; i++) {
        if ((exp->w[i / 64] >> (i % 64)) & 1)
            r = u256_mul(&r, &b);
        b = u256_mul(&b, &b);
    }
    return r;
}

u256_t u256_signextend(const u256_t *b, const u256_t *x)
{
    if (!u256_fits_u64(b) || b->w[0] >= 31)
        return *x;
    unsigned bit = (unsigned)b->w[0] * 8 + 7;
    bool neg = (x->w[bit / 64] >> (bit % 64)) & 1;
    u256_t r = *x;
    for (unsigned i = 0; i < 4; i++) {
        unsigned lo = i * 64;
        if (lo > bit) {
            r.w[i] = neg ? ~UINT64_C(0) : 0;
        } else if (lo + 63 > bit) {
            unsigned keep = bit - lo + 1; /* bits kept in this limb, 1..63 */
            uint64_t mask = (UINT64_C(1) << keep) - 1;
            r.w[i] = neg ? (r.w[i] | ~mask) : (r.w[i] & mask);
        }
    }
    return r;
}

u256_t u256_byte(const u256_t *i, const u256_t *x)
{
    if (!u256_fits_u64(i) || i->w[0] >= 32)
        return u256_from_u64(0);
    unsigned from_lsb = 31 - (unsigned)i->w[0];
    return u256_from_u64((x->w[from_lsb / 8] >> (8 * (from_lsb % 8))) & 0xff);
}

u256_t u256_sar(const u256_t *a, unsigned shift)
{
    bool neg = u256_is_neg(a);
    if (shift >= 256) {
        u256_t r = { { 0, 0, 0, 0 } };
        return neg ? u256_not(&r) : r;
    }
    u256_t r = u256_shr(a, shift);
    if (neg && shift > 0) {
        u256_t ones = { { ~UINT64_C(0), ~UINT64_C(0), ~UINT64_C(0), ~UINT64_C(0) } };
        u256_t fill = u256_shl(&ones, 256 - shift);
        r = u256_or(&r, &fill);
    }
    return r;
}

unsigned u256_byte_len(const u256_t *a)
{
    for (int i = 3; i >= 0; i--)
        if (a->w[i])
            return (unsigned)i * 8 + (unsigned)(64 - __builtin_clzll(a->w[i]) + 7) / 8;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool u256_from_hex(const char *s, u256_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    u256_t r = { { 0, 0, 0, 0 } };
    for (size_t i = 0; i < n; i++) {
        int v = hexval(s[i]);
        if (v < 0)
            return false;
        r = u256_shl(&r, 4);
        r.w[0] |= (uint64_t)v;
    }
    *out = r;
    return true;
}

void u256_to_dec(const u256_t *a, char *buf)
{
    char tmp[80];
    int n = 0;
    u256_t x = *a, ten = u256_from_u64(10);
    do {
        u256_t q, r;
        u256_divmod(&x, &ten, &q, &r);
        tmp[n++] = (char)('0' + r.w[0]);
        x = q;
    } while (!u256_is_zero(&x));
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
}
