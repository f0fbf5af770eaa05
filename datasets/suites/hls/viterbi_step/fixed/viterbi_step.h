#ifndef VITERBI_STEP_H
#define VITERBI_STEP_H
#include <ap_int.h>

#define K 4                  // constraint length
#define NS (1 << (K - 1))    // number of trellis states
#define G0 0xF               // generator polynomials, bit K-1 = current input
#define G1 0xD
#define SOFT_MAX 7           // soft symbol: 0 = certain 0, 7 = certain 1

typedef ap_uint<3> soft_t;
typedef ap_uint<4> bm_t;     // branch metric, 0 .. 2 * SOFT_MAX
typedef ap_uint<12> pm_t;    // normalized path metric
typedef ap_uint<13> acc_t;   // path metric + branch metric

// One trellis step. State s holds the last K-1 input bits, the newest at bit
// K-2; the encoder register is (u << (K-1)) | s and the next state is
// register >> 1. decisions bit s tells which predecessor survived for state s
// (0: the even one, 1: the odd one).
void viterbi_step(const pm_t pm_in[NS], soft_t r0, soft_t r1, pm_t pm_out[NS],
                  ap_uint<NS> &decisions);
#endif
