#include "duckfix_tb.h"
#include "spmv_csr.h"

/* The bench keeps the matrix dense (values on the ap_fixed<16,6> grid, exact
   in double), builds the CSR arrays from it and checks the kernel against the
   plain dense product. Products and sums of these values are exact in double. */
static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (lcg_state >> 16) & 0x7fff;
}

/* a value on the 2^-10 grid in [-range, range) */
static double rand_fixed(double range) {
    int steps = (int)(range * 1024.0);
    return (double)((int)(lcg_next() % (unsigned)(2 * steps)) - steps) / 1024.0;
}

static void check_dense(const double a[ROWS][COLS], const double xv[COLS]) {
    int row_ptr[ROWS + 1];
    int col_idx[NNZ_MAX];
    data_t val[NNZ_MAX];
    data_t x[COLS];
    acc_t y[ROWS];
    double want[ROWS], got[ROWS];
    int nnz = 0;
    row_ptr[0] = 0;
    for (int i = 0; i < ROWS; i++) {
        for (int j = 0; j < COLS; j++) {
            if (a[i][j] != 0.0) {
                col_idx[nnz] = j;
                val[nnz] = a[i][j];
                nnz++;
            }
        }
        row_ptr[i + 1] = nnz;
    }
    for (int k = nnz; k < NNZ_MAX; k++) {
        col_idx[k] = 0;
        val[k] = 0;
    }
    for (int j = 0; j < COLS; j++) x[j] = xv[j];
    for (int i = 0; i < ROWS; i++) {
        y[i] = -1;
        want[i] = 0.0;
        for (int j = 0; j < COLS; j++) want[i] += a[i][j] * xv[j];
    }
    spmv_csr(row_ptr, col_idx, val, x, y);
    for (int i = 0; i < ROWS; i++) got[i] = y[i].to_double();
    DUCKFIX_CHECK_ARRAY_NEAR(got, want, ROWS, 1e-9);
}

/* a random matrix where each entry is non-zero with probability pct/100 */
static void check_random(unsigned seed, int pct, double range) {
    double a[ROWS][COLS], x[COLS];
    lcg_state = seed;
    for (int i = 0; i < ROWS; i++)
        for (int j = 0; j < COLS; j++)
            a[i][j] = ((int)(lcg_next() % 100) < pct) ? rand_fixed(range) : 0.0;
    for (int j = 0; j < COLS; j++) x[j] = rand_fixed(range);
    check_dense(a, x);
}

DUCKFIX_CASE(dense_full_range) { check_random(1234u, 100, 31.0); }

DUCKFIX_CASE(last_row_only) {
    double a[ROWS][COLS] = {{0}}, x[COLS];
    for (int j = 0; j < COLS; j++) {
        a[ROWS - 1][j] = -0.75 * j;
        x[j] = 0.125 * (j + 3);
    }
    check_dense(a, x);
}

DUCKFIX_CASE(random_many) {
    for (unsigned seed = 300u; seed < 320u; seed++) check_random(seed, 45, 16.0);
}

DUCKFIX_MAIN
