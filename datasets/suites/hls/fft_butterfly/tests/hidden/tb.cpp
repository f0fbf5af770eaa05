#include "duckfix_tb.h"
#include "fft_butterfly.h"

/* Plain references in double: one DIT stage written group by group with the
   twiddle exp(-2*pi*i*j / span), and the direct DFT. */
static const double PI = 3.14159265358979323846;

static void ref_stage(const double *xr, const double *xi, double *yr, double *yi, int stage) {
    int half = 1 << stage, span = 2 * half;
    for (int start = 0; start < FFT_N; start += span) {
        for (int j = 0; j < half; j++) {
            double wr = cos(2.0 * PI * j / span), wi = -sin(2.0 * PI * j / span);
            int a = start + j, b = start + j + half;
            double tr = xr[b] * wr - xi[b] * wi, ti = xr[b] * wi + xi[b] * wr;
            yr[a] = xr[a] + tr;
            yi[a] = xi[a] + ti;
            yr[b] = xr[a] - tr;
            yi[b] = xi[a] - ti;
        }
    }
}

static void ref_dft(const double *xr, const double *xi, double *yr, double *yi) {
    for (int k = 0; k < FFT_N; k++) {
        yr[k] = yi[k] = 0.0;
        for (int n = 0; n < FFT_N; n++) {
            double ang = -2.0 * PI * k * n / FFT_N;
            yr[k] += xr[n] * cos(ang) - xi[n] * sin(ang);
            yi[k] += xr[n] * sin(ang) + xi[n] * cos(ang);
        }
    }
}

static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (lcg_state >> 16) & 0x7fff;
}

/* in [-1, 1) on a 2^-12 grid, exact in float */
static double rand_unit(void) { return ((int)(lcg_next() % 8192u) - 4096) / 4096.0; }

static void check_stage(const double *xr, const double *xi, int stage) {
    float in_re[FFT_N], in_im[FFT_N], out_re[FFT_N], out_im[FFT_N];
    double want_re[FFT_N], want_im[FFT_N];
    for (int n = 0; n < FFT_N; n++) {
        in_re[n] = (float)xr[n];
        in_im[n] = (float)xi[n];
        out_re[n] = out_im[n] = 1e30f;
    }
    fft_butterfly(in_re, in_im, out_re, out_im, stage);
    ref_stage(xr, xi, want_re, want_im, stage);
    DUCKFIX_CHECK_ARRAY_NEAR(out_re, want_re, FFT_N, 1e-5);
    DUCKFIX_CHECK_ARRAY_NEAR(out_im, want_im, FFT_N, 1e-5);
}

static void check_random_stage(unsigned seed, int stage) {
    double xr[FFT_N], xi[FFT_N];
    lcg_state = seed;
    for (int n = 0; n < FFT_N; n++) {
        xr[n] = rand_unit();
        xi[n] = rand_unit();
    }
    check_stage(xr, xi, stage);
}

static int bit_reverse(int v) {
    int r = 0;
    for (int b = 0; b < LOGN; b++) r |= ((v >> b) & 1) << (LOGN - 1 - b);
    return r;
}

/* bit-reverse, run the kernel for every stage, compare with the DFT */
static void check_full_fft(const double *xr, const double *xi) {
    float a_re[FFT_N], a_im[FFT_N], b_re[FFT_N], b_im[FFT_N];
    for (int n = 0; n < FFT_N; n++) {
        a_re[bit_reverse(n)] = (float)xr[n];
        a_im[bit_reverse(n)] = (float)xi[n];
    }
    for (int s = 0; s < LOGN; s++) {
        fft_butterfly(a_re, a_im, b_re, b_im, s);
        for (int n = 0; n < FFT_N; n++) {
            a_re[n] = b_re[n];
            a_im[n] = b_im[n];
        }
    }
    double want_re[FFT_N], want_im[FFT_N];
    ref_dft(xr, xi, want_re, want_im);
    DUCKFIX_CHECK_ARRAY_NEAR(a_re, want_re, FFT_N, 1e-4);
    DUCKFIX_CHECK_ARRAY_NEAR(a_im, want_im, FFT_N, 1e-4);
}

DUCKFIX_CASE(every_stage_random) {
    for (int s = 0; s < LOGN; s++) check_random_stage(100u + (unsigned)s, s);
}

DUCKFIX_CASE(cosine_full_fft) {
    double xr[FFT_N], xi[FFT_N];
    for (int n = 0; n < FFT_N; n++) {
        xr[n] = cos(2.0 * PI * 5 * n / FFT_N);
        xi[n] = 0.0;
    }
    check_full_fft(xr, xi);
}

DUCKFIX_CASE(complex_tone_full_fft) {
    double xr[FFT_N], xi[FFT_N];
    for (int n = 0; n < FFT_N; n++) {
        xr[n] = 0.5 * cos(2.0 * PI * 3 * n / FFT_N);
        xi[n] = 0.5 * sin(2.0 * PI * 3 * n / FFT_N);
    }
    check_full_fft(xr, xi);
}

DUCKFIX_MAIN
