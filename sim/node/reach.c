/*
 * reach.c - how long a message or block took to reach a share of the nodes,
 * from its per-node arrival times (see reach.h).
 *
 * The k-th fastest arrival is found by quickselect with a median-of-three
 * pivot: linear on average and deterministic; nothing is sorted.
 */
#include <glib.h>

#include "sim/node/reach.h"

/* The k-th smallest (0-based) of v[0..n), reordering v: quickselect with a
 * median-of-three pivot; linear on average, deterministic. */
static uint64_t select_kth(uint64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t a = v[lo], b = v[mid], c = v[hi];
        uint64_t pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                uint64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

void reach_many_ns(const uint64_t *arrival_ns, uint32_t n, uint32_t reached, uint64_t created_ns,
                   const uint32_t *frac_ppm, int nfrac, uint64_t *out)
{
    uint64_t *d = g_new(uint64_t, reached ? reached : 1);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n && k < reached; i++)
        if (arrival_ns[i] != UINT64_MAX)
            d[k++] = arrival_ns[i] - created_ns;
    for (int f = 0; f < nfrac; f++) {
        uint64_t need = ((uint64_t)frac_ppm[f] * n + 999999) / 1000000;
        if (need == 0)
            need = 1;
        out[f] = need <= k ? select_kth(d, k, need - 1) : UINT64_MAX;
    }
    g_free(d);
}

uint64_t reach_ns(const uint64_t *arrival_ns, uint32_t n, uint32_t reached, uint64_t created_ns, uint32_t frac_ppm)
{
    uint64_t t;
    reach_many_ns(arrival_ns, n, reached, created_ns, &frac_ppm, 1, &t);
    return t;
}
