#include "duckfix_tb.h"
#include "threshold_count.h"

static void check(const sample_t x[TC_N], sample_t lo, sample_t hi) {
    int want_below = 0, want_above = 0;
    for (int i = 0; i < TC_N; i++) {
        if (x[i] > hi) want_above++;
        if (x[i] < lo) want_below++;
    }
    count_t below, above;
    threshold_count(x, lo, hi, below, above);
    DUCKFIX_CHECK_EQ(below, want_below);
    DUCKFIX_CHECK_EQ(above, want_above);
}

DUCKFIX_CASE(every_sample_out_of_range) {
    sample_t x[TC_N];
    for (int i = 0; i < TC_N; i++) x[i] = i % 2 ? 2047 : -2048;
    check(x, -100, 100);
}

DUCKFIX_CASE(ramp_through_both_thresholds) {
    sample_t x[TC_N];
    for (int i = 0; i < TC_N; i++) x[i] = -800 + 100 * i;
    check(x, -300, 300);
    check(x, -800, 700);
}

DUCKFIX_CASE(pseudo_random) {
    unsigned state = 7;
    for (int round = 0; round < 30; round++) {
        sample_t x[TC_N];
        for (int i = 0; i < TC_N; i++) {
            state = state * 1103515245u + 12345u;
            x[i] = int((state >> 16) % 4096) - 2048;
        }
        check(x, x[3], x[11]);
    }
}

DUCKFIX_MAIN
