#include "fft_butterfly.h"

// cos and sin of 2*pi*k/FFT_N, k = 0 .. FFT_N/2 - 1
static const float TW_COS[FFT_N / 2] = {1.000000000f, 0.923879533f,  0.707106781f,  0.382683432f,
                                        0.000000000f, -0.382683432f, -0.707106781f, -0.923879533f};
static const float TW_SIN[FFT_N / 2] = {0.000000000f, 0.382683432f, 0.707106781f, 0.923879533f,
                                        1.000000000f, 0.923879533f, 0.707106781f, 0.382683432f};

void fft_butterfly(const float in_re[FFT_N], const float in_im[FFT_N], float out_re[FFT_N],
                   float out_im[FFT_N], int stage) {
#pragma HLS INTERFACE mode=ap_memory port=in_re
#pragma HLS INTERFACE mode=ap_memory port=in_im
#pragma HLS INTERFACE mode=s_axilite port=stage
#pragma HLS ARRAY_PARTITION variable=in_re type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=in_im type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=out_re type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=out_im type=complete dim=1
    const int half = 1 << stage;
BFLY:
    for (int b = 0; b < FFT_N / 2; b++) {
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=2
        int pos = b & (half - 1);
        int i0 = ((b >> stage) << (stage + 1)) | pos;
        int i1 = i0 + half;
        int k = pos << (LOGN - 1 - stage);
        float wr = TW_COS[k];
        float wi = -TW_SIN[k];
        float tr = in_re[i1] * wr - in_im[i1] * wi;
        float ti = in_re[i1] * wi + in_im[i1] * wr;
        out_re[i0] = in_re[i0] + tr;
        out_im[i0] = in_im[i0] + ti;
        out_re[i1] = in_re[i0] - tr;
        out_im[i1] = in_im[i0] - ti;
    }
}
