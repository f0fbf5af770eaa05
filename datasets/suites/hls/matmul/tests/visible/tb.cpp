#include "duckfix_tb.h"
#include "matmul.h"

static unsigned lcg_state;
static int lcg_range(int lo, int hi) { /* uniform-ish in [lo, hi] */
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lo + (int)((lcg_state >> 8) % (unsigned)(hi - lo + 1));
}

static void reference(const int a[MM_N][MM_N], const int b[MM_N][MM_N], long out[MM_N * MM_N]) {
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) {
            long s = 0;
            for (int k = 0; k < MM_N; k++) s += (long)a[i][k] * b[k][j];
            out[i * MM_N + j] = s;
        }
}

static void run_and_check(const int a[MM_N][MM_N], const int b[MM_N][MM_N]) {
    mat_t A[MM_N][MM_N], B[MM_N][MM_N];
    acc_t C[MM_N][MM_N];
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) {
            A[i][j] = a[i][j];
            B[i][j] = b[i][j];
            C[i][j] = 0;
        }
    matmul(A, B, C);
    long got[MM_N * MM_N], want[MM_N * MM_N];
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) got[i * MM_N + j] = (long)C[i][j].to_int();
    reference(a, b, want);
    DUCKFIX_CHECK_ARRAY_EQ(got, want, MM_N * MM_N);
}

DUCKFIX_CASE(identity_right) {
    int a[MM_N][MM_N], b[MM_N][MM_N];
    lcg_state = 7;
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) {
            a[i][j] = lcg_range(-128, 127);
            b[i][j] = (i == j);
        }
    run_and_check(a, b);
}

DUCKFIX_CASE(random_full_range) {
    int a[MM_N][MM_N], b[MM_N][MM_N];
    lcg_state = 2024;
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) a[i][j] = lcg_range(-128, 127);
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) b[i][j] = lcg_range(-128, 127);
    run_and_check(a, b);
}

DUCKFIX_CASE(upper_triangular_ones) {
    int a[MM_N][MM_N], b[MM_N][MM_N];
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) {
            a[i][j] = i * MM_N + j - 32;
            b[i][j] = (j >= i) ? 1 : 0;
        }
    run_and_check(a, b);
}

DUCKFIX_CASE(most_negative) {
    int a[MM_N][MM_N], b[MM_N][MM_N];
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) {
            a[i][j] = -128;
            b[i][j] = -128;
        }
    run_and_check(a, b);
}

DUCKFIX_MAIN
