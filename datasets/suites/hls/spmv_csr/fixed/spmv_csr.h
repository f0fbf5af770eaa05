#ifndef SPMV_CSR_H
#define SPMV_CSR_H
#include <ap_fixed.h>

#define ROWS 8
#define COLS 8
#define NNZ_MAX (ROWS * COLS)

typedef ap_fixed<16, 6> data_t;
typedef ap_fixed<40, 16> acc_t;

// y = A * x, A in compressed sparse row form: the non-zeros of row i are
// val[row_ptr[i] .. row_ptr[i+1]-1] in columns col_idx[...]; row_ptr[0] = 0.
void spmv_csr(const int row_ptr[ROWS + 1], const int col_idx[NNZ_MAX], const data_t val[NNZ_MAX],
              const data_t x[COLS], acc_t y[ROWS]);
#endif
