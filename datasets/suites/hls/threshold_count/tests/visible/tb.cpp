#include "duckfix_tb.h"
#include "threshold_count.h"

static void run(const int values[TC_N], int lo, int hi, int want_below, int want_above) {
    sample_t x[TC_N];
    for (int i = 0; i < TC_N; i++) x[i] = values[i];
    count_t below, above;
    threshold_count(x, lo, hi, below, above);
    DUCKFIX_CHECK_EQ(below, want_below);
    DUCKFIX_CHECK_EQ(above, want_above);
}

DUCKFIX_CASE(quiet_window) {
    const int v[TC_N] = {0, 1, -1, 2, -2, 3, -3, 0, 0, 1, -1, 2, -2, 3, -3, 0};
    run(v, -10, 10, 0, 0);
}

DUCKFIX_CASE(spike_at_the_end) {
    const int v[TC_N] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 900};
    run(v, -100, 100, 0, 1);
}

DUCKFIX_CASE(samples_on_the_low_threshold) {
    const int v[TC_N] = {-50, -50, 0, 0, -51, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    run(v, -50, 50, 1, 0);
}

DUCKFIX_CASE(dip_at_the_end_and_on_the_threshold) {
    const int v[TC_N] = {-20, 30, 0, -20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 31, -2000};
    run(v, -20, 30, 1, 1);
}

DUCKFIX_MAIN
