#include "duckfix_tb.h"
#include "bitonic_sort.h"

static unsigned lcg_state;
static int lcg_range(int lo, int hi) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lo + (int)((lcg_state >> 8) % (unsigned)(hi - lo + 1));
}

static void run_and_check(const int values[BS_N]) {
    sort_key_t in[BS_N], out[BS_N];
    for (int i = 0; i < BS_N; i++) {
        in[i] = values[i];
        out[i] = 0;
    }
    bitonic_sort(in, out);
    int want[BS_N], got[BS_N];
    for (int i = 0; i < BS_N; i++) want[i] = values[i];
    for (int i = 1; i < BS_N; i++) { /* insertion sort */
        int v = want[i], p = i;
        while (p > 0 && want[p - 1] > v) {
            want[p] = want[p - 1];
            p--;
        }
        want[p] = v;
    }
    for (int i = 0; i < BS_N; i++) got[i] = out[i].to_int();
    DUCKFIX_CHECK_ARRAY_EQ(got, want, BS_N);
}

DUCKFIX_CASE(extremes_interleaved) {
    int v[BS_N];
    for (int i = 0; i < BS_N; i++) v[i] = (i % 3 == 0) ? 32767 : (i % 3 == 1) ? -32768 : i;
    run_and_check(v);
}

DUCKFIX_CASE(organ_pipe) {
    int v[BS_N];
    for (int i = 0; i < BS_N; i++) v[i] = (i < BS_N / 2) ? i : BS_N - i;
    run_and_check(v);
}

DUCKFIX_CASE(random_second_seed) {
    int v[BS_N];
    lcg_state = 65537;
    for (int i = 0; i < BS_N; i++) v[i] = lcg_range(-500, 500);
    run_and_check(v);
}

DUCKFIX_MAIN
