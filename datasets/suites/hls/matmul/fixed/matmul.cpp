#include "matmul.h"

void matmul(const mat_t A[MM_N][MM_N], const mat_t B[MM_N][MM_N], acc_t C[MM_N][MM_N]) {
#pragma HLS ARRAY_PARTITION variable=A type=complete dim=2
#pragma HLS ARRAY_PARTITION variable=B type=complete dim=1
ROW:
    for (int i = 0; i < MM_N; i++) {
    COL:
        for (int j = 0; j < MM_N; j++) {
            acc_t acc = 0;
        DOT:
            for (int k = 0; k < MM_N; k++) {
#pragma HLS PIPELINE II=1
                acc += A[i][k] * B[k][j];
            }
            C[i][j] = acc;
        }
    }
}
