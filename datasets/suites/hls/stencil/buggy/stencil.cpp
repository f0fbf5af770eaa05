#include "stencil.h"

void stencil(const data_t in[H][W], data_t out[H][W]) {
#pragma HLS INTERFACE mode=bram port=in
#pragma HLS INTERFACE mode=bram port=out
#pragma HLS ARRAY_PARTITION variable=in type=cyclic factor=3 dim=1
ROW:
    for (int i = 0; i < H; i++) {
    COL:
        for (int j = 0; j < W; j++) {
#pragma HLS PIPELINE II=1
            if (i == 0 || i == H - 1 || j == 0 || j == W - 1) {
                out[i][j] = in[i][j];
            } else {
                acc_t sum = in[i - 1][j] + in[i + 1][j] + in[i][j + 1] + in[i][j + 1];
                acc_t acc = (acc_t(in[i][j]) << 2) + sum;
                out[i][j] = acc >> 3;
            }
        }
    }
}
