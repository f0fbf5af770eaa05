#include "spmv_csr.h"

void spmv_csr(const int row_ptr[ROWS + 1], const int col_idx[NNZ_MAX], const data_t val[NNZ_MAX],
              const data_t x[COLS], acc_t y[ROWS]) {
#pragma HLS INTERFACE mode=m_axi port=col_idx offset=slave bundle=gmem0 depth=NNZ_MAX
#pragma HLS INTERFACE mode=m_axi port=val offset=slave bundle=gmem1 depth=NNZ_MAX
#pragma HLS INTERFACE mode=bram port=row_ptr
#pragma HLS INTERFACE mode=bram port=x
#pragma HLS INTERFACE mode=bram port=y
#pragma HLS INTERFACE mode=s_axilite port=return
    acc_t sum = 0;
    int start = row_ptr[0];
ROW:
    for (int i = 0; i < ROWS; i++) {
        int end = row_ptr[i + 1];
    NZ:
        for (int k = start; k < end; k++) {
#pragma HLS LOOP_TRIPCOUNT min=0 max=COLS
#pragma HLS PIPELINE II=1
            sum += val[k] * x[col_idx[k]];
        }
        y[i] = sum;
        start = end;
    }
}
