#include "duckfix_tb.h"
#include "fir.h"

static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 22695477u + 1u;
    return lcg_state >> 8;
}

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

DUCKFIX_CASE(last_tap_only) {
    double xs[FIR_LEN], cs[FIR_TAPS] = {0};
    for (int n = 0; n < FIR_LEN; n++) xs[n] = (n % 5) - 2.0;
    cs[FIR_TAPS - 1] = -1.5;
    run_and_check(xs, cs);
}

DUCKFIX_CASE(extremes_alternating) {
    double xs[FIR_LEN], cs[FIR_TAPS];
    for (int n = 0; n < FIR_LEN; n++) xs[n] = (n % 2) ? -8.0 : 8.0 - 1.0 / 4096.0;
    for (int k = 0; k < FIR_TAPS; k++) cs[k] = (k % 2) ? 2.0 - 1.0 / 16384.0 : -2.0;
    run_and_check(xs, cs);
}

DUCKFIX_CASE(random_fine_fractions) {
    double xs[FIR_LEN], cs[FIR_TAPS];
    lcg_state = 8675309;
    for (int n = 0; n < FIR_LEN; n++) xs[n] = ((int)(lcg_next() % 65536u) - 32768) / 4096.0;
    for (int k = 0; k < FIR_TAPS; k++) cs[k] = ((int)(lcg_next() % 65536u) - 32768) / 16384.0;
    run_and_check(xs, cs);
}

DUCKFIX_MAIN
