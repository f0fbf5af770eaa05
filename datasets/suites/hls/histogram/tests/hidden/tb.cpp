#include "duckfix_tb.h"
#include "histogram.h"

static unsigned lcg_state;
static int lcg_range(int lo, int hi) {
    lcg_state = lcg_state * 1103515245u + 12345u;
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

DUCKFIX_CASE(all_zero) {
    int v[HIST_N] = {0};
    run_and_check(v);
}

DUCKFIX_CASE(all_max) {
    int v[HIST_N];
    for (int i = 0; i < HIST_N; i++) v[i] = 255;
    run_and_check(v);
}

DUCKFIX_CASE(skewed_runs) {
    int v[HIST_N];
    lcg_state = 2718;
    for (int i = 0; i < HIST_N; i++) {
        int r = lcg_range(0, 9);
        v[i] = (r < 6) ? 0x40 + r : lcg_range(0, 255);
    }
    run_and_check(v);
}

DUCKFIX_MAIN
