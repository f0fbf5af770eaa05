#include "duckfix_tb.h"
#include "prefix_sum.h"

static unsigned lcg_state;
static int lcg_range(int lo, int hi) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lo + (int)((lcg_state >> 8) % (unsigned)(hi - lo + 1));
}

static void run_and_check(const int values[PS_N]) {
    in_t in[PS_N];
    sum_t out[PS_N];
    for (int i = 0; i < PS_N; i++) {
        in[i] = values[i];
        out[i] = 0;
    }
    prefix_sum(in, out);
    long got[PS_N], want[PS_N];
    long running = 0;
    for (int i = 0; i < PS_N; i++) {
        running += values[i];
        want[i] = running;
        got[i] = (long)out[i].to_int();
    }
    DUCKFIX_CHECK_ARRAY_EQ(got, want, PS_N);
}

DUCKFIX_CASE(first_element_only) {
    int v[PS_N] = {0};
    v[0] = -12345;
    run_and_check(v);
}

DUCKFIX_CASE(saturating_extremes) {
    int v[PS_N];
    for (int i = 0; i < PS_N; i++) v[i] = (i < PS_N / 2) ? 32767 : -32768;
    run_and_check(v);
}

DUCKFIX_CASE(random_second_seed) {
    int v[PS_N];
    lcg_state = 9001;
    for (int i = 0; i < PS_N; i++) v[i] = lcg_range(-1000, 30000);
    run_and_check(v);
}

DUCKFIX_MAIN
