#include "duckfix_tb.h"
#include "histogram.h"

static unsigned lcg_state;
static int lcg_range(int lo, int hi) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lo + (int)((lcg_state >> 8) % (unsigned)(hi - lo + 1));
}

static void run_and_check(const int values[HIST_N]) {
    value_t data[HIST_N];
    count_t hist[HIST_BINS];
    for (int i = 0; i < HIST_N; i++) data[i] = values[i];
    for (int b = 0; b < HIST_BINS; b++) hist[b] = 0;
    histogram(data, hist);
    int got[HIST_BINS], want[HIST_BINS] = {0};
    for (int i = 0; i < HIST_N; i++) want[values[i] / 16]++;
    for (int b = 0; b < HIST_BINS; b++) got[b] = (int)hist[b].to_uint();
    DUCKFIX_CHECK_ARRAY_EQ(got, want, HIST_BINS);
}

DUCKFIX_CASE(random_uniform) {
    int v[HIST_N];
    lcg_state = 17;
    for (int i = 0; i < HIST_N; i++) v[i] = lcg_range(0, 255);
    run_and_check(v);
}

DUCKFIX_CASE(alternating_bins) {
    int v[HIST_N];
    for (int i = 0; i < HIST_N; i++) v[i] = (i % 2) ? 0x9c : 0x21;
    run_and_check(v);
}

DUCKFIX_CASE(sorted_ramp) {
    int v[HIST_N];
    for (int i = 0; i < HIST_N; i++) v[i] = i * 4 + 1;
    run_and_check(v);
}

DUCKFIX_CASE(single_value) {
    int v[HIST_N];
    for (int i = 0; i < HIST_N; i++) v[i] = 0x5a;
    run_and_check(v);
}

DUCKFIX_MAIN
