#include "bitonic_sort.h"

void bitonic_sort(const sort_key_t in[BS_N], sort_key_t out[BS_N]) {
#pragma HLS ARRAY_PARTITION variable=in type=complete
#pragma HLS ARRAY_PARTITION variable=out type=complete
#pragma HLS PIPELINE II=1
    sort_key_t a[BS_N];
#pragma HLS ARRAY_PARTITION variable=a type=complete
LOAD:
    for (int i = 0; i < BS_N; i++) {
#pragma HLS UNROLL
        a[i] = in[i];
    }
STAGE:
    for (int k = 2; k <= BS_N; k <<= 1) {
#pragma HLS UNROLL
    PASS:
        for (int j = k >> 1; j > 0; j >>= 1) {
#pragma HLS UNROLL
        CMP:
            for (int i = 0; i < BS_N; i++) {
#pragma HLS UNROLL
                int l = i ^ j;
                if (l > i) {
                    bool ascending = (i & k) == 0;
                    if ((ascending && a[i] > a[l]) || (!ascending && a[i] > a[l])) {
                        sort_key_t t = a[i];
                        a[i] = a[l];
                        a[l] = t;
                    }
                }
            }
        }
    }
STORE:
    for (int i = 0; i < BS_N; i++) {
#pragma HLS UNROLL
        out[i] = a[i];
    }
}
