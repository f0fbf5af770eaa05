#include "duckfix_tb.h"
#include "bitonic_sort.h"

static unsigned lcg_state;
static int lcg_range(int lo, int hi) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
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

DUCKFIX_CASE(already_sorted) {
    int v[BS_N];
    for (int i = 0; i < BS_N; i++) v[i] = i * 3 - 20;
    run_and_check(v);
}

DUCKFIX_CASE(reverse_sorted) {
    int v[BS_N];
    for (int i = 0; i < BS_N; i++) v[i] = 1000 - i * 7;
    run_and_check(v);
}

DUCKFIX_CASE(random_keys) {
    int v[BS_N];
    lcg_state = 4321;
    for (int i = 0; i < BS_N; i++) v[i] = lcg_range(-32768, 32767);
    run_and_check(v);
}

DUCKFIX_CASE(duplicates) {
    int v[BS_N];
    lcg_state = 8;
    for (int i = 0; i < BS_N; i++) v[i] = lcg_range(-2, 2);
    run_and_check(v);
}

DUCKFIX_MAIN
