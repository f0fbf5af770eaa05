#ifndef FIR_H
#define FIR_H
#include <ap_fixed.h>

#define FIR_TAPS 8
#define FIR_LEN 32

typedef ap_fixed<16, 4> data_t;  /* samples in [-8, 8), 12 fraction bits */
typedef ap_fixed<16, 2> coef_t;  /* coefficients in [-2, 2), 14 fraction bits */
typedef ap_fixed<44, 12> acc_t;  /* wide enough for an exact sum of 8 products */

void fir(const data_t x[FIR_LEN], const coef_t c[FIR_TAPS], acc_t y[FIR_LEN]);
#endif
