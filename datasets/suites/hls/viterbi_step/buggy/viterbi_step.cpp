#include "viterbi_step.h"

// Distance between the received soft pair and the code bits of one branch.
static bm_t branch_metric(ap_uint<K> reg, soft_t r0, soft_t r1) {
#pragma HLS INLINE
    ap_uint<K> t0 = reg & G0, t1 = reg & G1;
    bm_t d0 = t0.xor_reduce() ? bm_t(SOFT_MAX - r0) : bm_t(r0);
    bm_t d1 = t1.xor_reduce() ? bm_t(SOFT_MAX - r1) : bm_t(r1);
    return d0 + d1;
}

void viterbi_step(const pm_t pm_in[NS], soft_t r0, soft_t r1, pm_t pm_out[NS],
                  ap_uint<NS> &decisions) {
#pragma HLS INTERFACE mode=ap_none port=r0
#pragma HLS INTERFACE mode=ap_none port=r1
#pragma HLS ARRAY_PARTITION variable=pm_in type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=pm_out type=complete dim=1
#pragma HLS PIPELINE II=1
    acc_t acc[NS];
#pragma HLS ARRAY_PARTITION variable=acc type=complete dim=1
    ap_uint<NS> dec = 0;

ACS:
    for (int s = 0; s < NS; s++) {
#pragma HLS UNROLL
        ap_uint<K> u = s >> (K - 2);
        int p0 = (s << 1) & (NS - 1);
        int p1 = p0 | 1;
        ap_uint<K> reg0 = (u << (K - 2)) | p0;
        ap_uint<K> reg1 = reg0 | 1;
        acc_t m0 = pm_in[p0] + branch_metric(reg0, r0, r1);
        acc_t m1 = pm_in[p1] + branch_metric(reg1, r0, r1);
        if (m1 < m0) {
            acc[s] = m1;
            dec[s] = 1;
        } else {
            acc[s] = m0;
        }
    }

    acc_t best = acc[0];
MIN:
    for (int s = 1; s < NS; s++) {
#pragma HLS UNROLL
        if (acc[s] < best) best = acc[s];
    }
NORM:
    for (int s = 0; s < NS; s++) {
#pragma HLS UNROLL
        pm_out[s] = acc[s] - best;
    }
    decisions = dec;
}
