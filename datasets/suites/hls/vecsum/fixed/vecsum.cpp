#include "vecsum.h"

ap_int<20> vecsum(const ap_int<12> in[N]) {
#pragma HLS ARRAY_PARTITION variable=in cyclic factor=4
    ap_int<20> acc = 0;
SUM:
    for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II=1
        acc += in[i];
    }
    return acc;
}
