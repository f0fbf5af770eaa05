#include "gemv.h"

static void read_vector(hls::stream<vec_t> &x_in, vec_t x[GV_N]) {
READ:
    for (int j = 0; j < GV_N; j++) {
#pragma HLS PIPELINE II=1
        x[j] = x_in.read();
    }
}

static void compute_rows(const wgt_t A[GV_M][GV_N], const vec_t x[GV_N], const bias_t bias[GV_M],
                         bool relu, hls::stream<acc_t> &y_out) {
ROW:
    for (int i = 0; i < GV_M; i++) {
        acc_t acc = bias[i];
    DOT:
        for (int j = 0; j < GV_N; j++) {
#pragma HLS PIPELINE II=1
            acc += A[i][j] * x[j];
        }
        if (relu && acc < 0) acc = 0;
        y_out.write(acc);
    }
}

void gemv(hls::stream<vec_t> &x_in, hls::stream<acc_t> &y_out, const wgt_t A[GV_M][GV_N],
          const bias_t bias[GV_M], bool relu) {
#pragma HLS INTERFACE mode=axis port=x_in
#pragma HLS INTERFACE mode=axis port=y_out
#pragma HLS INTERFACE mode=m_axi port=A offset=slave bundle=gmem depth=48
#pragma HLS INTERFACE mode=m_axi port=bias offset=slave bundle=gmem1 depth=6
#pragma HLS INTERFACE mode=s_axilite port=bias
#pragma HLS INTERFACE mode=s_axilite port=relu
#pragma HLS INTERFACE mode=s_axilite port=return
#pragma HLS DATAFLOW
    vec_t x[GV_N];
    read_vector(x_in, x);
    compute_rows(A, x, bias, relu, y_out);
}
