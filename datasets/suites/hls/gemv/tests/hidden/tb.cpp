#include "duckfix_tb.h"
#include "gemv.h"

static unsigned lcg_state;
static int lcg_range(int lo, int hi) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lo + (int)((lcg_state >> 8) % (unsigned)(hi - lo + 1));
}

static void run_and_check(const int a[GV_M][GV_N], const int xs[GV_N], const int bs[GV_M], bool relu) {
    wgt_t A[GV_M][GV_N];
    bias_t bias[GV_M];
    hls::stream<vec_t> x_in;
    hls::stream<acc_t> y_out;
    for (int i = 0; i < GV_M; i++) {
        bias[i] = bs[i];
        for (int j = 0; j < GV_N; j++) A[i][j] = a[i][j];
    }
    for (int j = 0; j < GV_N; j++) x_in.write(vec_t(xs[j]));
    gemv(x_in, y_out, A, bias, relu);
    DUCKFIX_CHECK(x_in.empty()); /* every entry of x consumed */
    long got[GV_M], want[GV_M];
    for (int i = 0; i < GV_M; i++) {
        DUCKFIX_CHECK(!y_out.empty());
        got[i] = (long)y_out.read().to_int();
        long s = bs[i];
        for (int j = 0; j < GV_N; j++) s += (long)a[i][j] * xs[j];
        want[i] = (relu && s < 0) ? 0 : s;
    }
    DUCKFIX_CHECK(y_out.empty()); /* exactly GV_M outputs */
    DUCKFIX_CHECK_ARRAY_EQ(got, want, GV_M);
}

static void fill_random(int a[GV_M][GV_N], int xs[GV_N], int bs[GV_M]) {
    for (int i = 0; i < GV_M; i++)
        for (int j = 0; j < GV_N; j++) a[i][j] = lcg_range(-128, 127);
    for (int j = 0; j < GV_N; j++) xs[j] = lcg_range(-128, 127);
    for (int i = 0; i < GV_M; i++) bs[i] = lcg_range(-32768, 32767);
}

DUCKFIX_CASE(all_negative_with_relu) {
    int a[GV_M][GV_N], xs[GV_N], bs[GV_M];
    for (int i = 0; i < GV_M; i++) {
        bs[i] = -1 - i;
        for (int j = 0; j < GV_N; j++) a[i][j] = -(i + j + 1);
    }
    for (int j = 0; j < GV_N; j++) xs[j] = j + 1;
    run_and_check(a, xs, bs, true);
}

DUCKFIX_CASE(extremes_no_relu) {
    int a[GV_M][GV_N], xs[GV_N], bs[GV_M];
    for (int i = 0; i < GV_M; i++) {
        bs[i] = (i % 2) ? 32767 : -32768;
        for (int j = 0; j < GV_N; j++) a[i][j] = ((i + j) % 2) ? 127 : -128;
    }
    for (int j = 0; j < GV_N; j++) xs[j] = (j % 3) ? -128 : 127;
    run_and_check(a, xs, bs, false);
}

DUCKFIX_CASE(random_second_seed_relu) {
    int a[GV_M][GV_N], xs[GV_N], bs[GV_M];
    lcg_state = 5150;
    fill_random(a, xs, bs);
    run_and_check(a, xs, bs, true);
}

DUCKFIX_MAIN
