#include "duckfix_tb.h"
#include "matmul.h"

static unsigned lcg_state;
static int lcg_range(int lo, int hi) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lo + (int)((lcg_state >> 8) % (unsigned)(hi - lo + 1));
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
        for (int j = 0; j < MM_N; j++) {
            long s = 0;
            for (int k = 0; k < MM_N; k++) s += (long)a[i][k] * b[k][j];
            want[i * MM_N + j] = s;
            got[i * MM_N + j] = (long)C[i][j].to_int();
        }
    DUCKFIX_CHECK_ARRAY_EQ(got, want, MM_N * MM_N);
}

DUCKFIX_CASE(permutation_right) {
    int a[MM_N][MM_N], b[MM_N][MM_N];
    lcg_state = 99;
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) {
            a[i][j] = lcg_range(-100, 100);
            b[i][j] = (j == (3 * i + 1) % MM_N);
        }
    run_and_check(a, b);
}

DUCKFIX_CASE(random_second_seed) {
    int a[MM_N][MM_N], b[MM_N][MM_N];
    lcg_state = 31337;
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) {
            a[i][j] = lcg_range(-128, 127);
            b[i][j] = lcg_range(-128, 127);
        }
    run_and_check(a, b);
}

DUCKFIX_CASE(max_magnitude_mix) {
    int a[MM_N][MM_N], b[MM_N][MM_N];
    for (int i = 0; i < MM_N; i++)
        for (int j = 0; j < MM_N; j++) {
            a[i][j] = (i % 2) ? 127 : -128;
            b[i][j] = (j % 3 == 0) ? -128 : (i + j) % 7 - 3;
        }
    run_and_check(a, b);
}

DUCKFIX_MAIN
