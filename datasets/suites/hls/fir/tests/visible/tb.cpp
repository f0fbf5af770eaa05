#include "duckfix_tb.h"
#include "fir.h"

static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state >> 8;
}
/* Values exactly representable in the kernel's types. */
static double random_sample(void) { return ((int)(lcg_next() % 65536u) - 32768) / 4096.0; }
static double random_coef(void) { return ((int)(lcg_next() % 65536u) - 32768) / 16384.0; }

static void run_and_check(const double xs[FIR_LEN], const double cs[FIR_TAPS]) {
    data_t x[FIR_LEN];
    coef_t c[FIR_TAPS];
    acc_t y[FIR_LEN];
    for (int n = 0; n < FIR_LEN; n++) x[n] = xs[n];
    for (int k = 0; k < FIR_TAPS; k++) c[k] = cs[k];
    fir(x, c, y);
    double got[FIR_LEN], want[FIR_LEN];
    for (int n = 0; n < FIR_LEN; n++) {
        double s = 0.0;
        for (int k = 0; k < FIR_TAPS; k++)
            if (n - k >= 0) s += cs[k] * xs[n - k];
        want[n] = s;
        got[n] = y[n].to_double();
    }
    DUCKFIX_CHECK_ARRAY_NEAR(got, want, FIR_LEN, 1e-12);
}

DUCKFIX_CASE(impulse_response) {
    double xs[FIR_LEN] = {0}, cs[FIR_TAPS];
    lcg_state = 11;
    xs[0] = 1.0;
    for (int k = 0; k < FIR_TAPS; k++) cs[k] = random_coef();
    run_and_check(xs, cs);
}

DUCKFIX_CASE(single_tap_passthrough) {
    double xs[FIR_LEN], cs[FIR_TAPS] = {0};
    lcg_state = 5;
    for (int n = 0; n < FIR_LEN; n++) xs[n] = random_sample();
    cs[0] = 0.5;
    run_and_check(xs, cs);
}

DUCKFIX_CASE(moving_average_step) {
    double xs[FIR_LEN], cs[FIR_TAPS];
    for (int n = 0; n < FIR_LEN; n++) xs[n] = (n >= 4) ? 3.25 : 0.0;
    for (int k = 0; k < FIR_TAPS; k++) cs[k] = 0.125;
    run_and_check(xs, cs);
}

DUCKFIX_CASE(random_block) {
    double xs[FIR_LEN], cs[FIR_TAPS];
    lcg_state = 424242;
    for (int n = 0; n < FIR_LEN; n++) xs[n] = random_sample();
    for (int k = 0; k < FIR_TAPS; k++) cs[k] = random_coef();
    run_and_check(xs, cs);
}

DUCKFIX_MAIN
