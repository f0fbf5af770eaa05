#ifndef GEMV_H
#define GEMV_H
#include <ap_int.h>
#include <hls_stream.h>

#define GV_M 6 /* rows of A, entries of y */
#define GV_N 8 /* columns of A, entries of x */

typedef ap_int<8> vec_t;
typedef ap_int<8> wgt_t;
typedef ap_int<16> bias_t;
typedef ap_int<24> acc_t;

void gemv(hls::stream<vec_t> &x_in, hls::stream<acc_t> &y_out, const wgt_t A[GV_M][GV_N],
          const bias_t bias[GV_M], bool relu);
#endif
