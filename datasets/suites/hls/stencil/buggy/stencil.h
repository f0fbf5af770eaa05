#ifndef STENCIL_H
#define STENCIL_H
#include <ap_fixed.h>

#define H 10
#define W 12

typedef ap_fixed<16, 8> data_t;
typedef ap_fixed<20, 12> acc_t;

// One Jacobi sweep: border cells copied, interior cells
// out = (4*c + n + s + w + e) / 8.
void stencil(const data_t in[H][W], data_t out[H][W]);
#endif
