#include "block_sad.h"

static pix_t absdiff(pix_t a, pix_t b) {
#pragma HLS INLINE
    return a > b ? pix_t(a - b) : pix_t(b - a);
}

void block_sad(const pix_t cur[BS_SIZE], const pix_t ref[BS_BLOCKS][BS_SIZE], sad_t sad[BS_BLOCKS],
               ap_uint<2> &best) {
#pragma HLS ARRAY_PARTITION variable=cur complete
#pragma HLS ARRAY_PARTITION variable=ref complete dim=2
    sad_t acc = 0;
    sad_t best_sad = 0;
    best = 0;
BLOCK:
    for (int b = 0; b < BS_BLOCKS; b++) {
        acc = 0;
    PIX:
        for (int i = 0; i < BS_SIZE; i++) {
#pragma HLS UNROLL
            acc += absdiff(cur[i], ref[b][i]);
        }
        sad[b] = acc;
        if (b == 0 || acc < best_sad) {
            best_sad = acc;
            best = b;
        }
    }
}
