#include "threshold_count.h"

void threshold_count(const sample_t x[TC_N], sample_t lo, sample_t hi, count_t &below,
                     count_t &above) {
#pragma HLS INTERFACE mode=s_axilite port=lo
#pragma HLS INTERFACE mode=s_axilite port=hi
#pragma HLS ARRAY_PARTITION variable=x cyclic factor=4
    count_t n_below = 0;
    count_t n_above = 0;
WINDOW:
    for (int i = 0; i < TC_N; i++) {
#pragma HLS PIPELINE II=1
        sample_t v = x[i];
        if (v > hi) n_above++;
        if (v < lo) n_below++;
    }
    below = n_below;
    above = n_above;
}
