#include "prefix_sum.h"

void prefix_sum(const in_t in[PS_N], sum_t out[PS_N]) {
#pragma HLS ARRAY_PARTITION variable=in type=cyclic factor=4
#pragma HLS ARRAY_PARTITION variable=out type=cyclic factor=4
    sum_t carry = 0; /* sum of all the blocks before this one */
BLOCKS:
    for (int blk = 0; blk < PS_N / PS_LANES; blk++) {
#pragma HLS PIPELINE II=1
        sum_t local[PS_LANES];
#pragma HLS ARRAY_PARTITION variable=local type=complete
        local[0] = in[blk * PS_LANES];
    LOCAL_SCAN:
        for (int j = 1; j < PS_LANES; j++) {
#pragma HLS UNROLL
            local[j] = local[j - 1] + in[blk * PS_LANES + j];
        }
    WRITE:
        for (int j = 0; j < PS_LANES; j++) {
#pragma HLS UNROLL
            out[blk * PS_LANES + j] = carry + local[j];
        }
        carry = local[PS_LANES - 1];
    }
}
