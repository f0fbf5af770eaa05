#include "fir.h"

void fir(const data_t x[FIR_LEN], const coef_t c[FIR_TAPS], acc_t y[FIR_LEN]) {
#pragma HLS ARRAY_PARTITION variable=c type=complete
    data_t shreg[FIR_TAPS];
#pragma HLS ARRAY_PARTITION variable=shreg type=complete
CLEAR:
    for (int i = 0; i < FIR_TAPS; i++) {
#pragma HLS UNROLL
        shreg[i] = 0;
    }
SAMPLE:
    for (int n = 0; n < FIR_LEN; n++) {
#pragma HLS PIPELINE II=1
    SHIFT:
        for (int i = FIR_TAPS - 1; i > 0; i--) {
#pragma HLS UNROLL
            shreg[i] = shreg[i - 1];
        }
        shreg[0] = x[n];
        acc_t acc = 0;
    MAC:
        for (int i = 0; i < FIR_TAPS; i++) {
#pragma HLS UNROLL
            acc += shreg[i] * c[i];
        }
        y[n] = acc;
    }
}
