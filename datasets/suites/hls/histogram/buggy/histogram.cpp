#include "histogram.h"

void histogram(const value_t data[HIST_N], count_t hist[HIST_BINS]) {
    count_t local[HIST_BINS];
INIT:
    for (int b = 0; b < HIST_BINS; b++) {
#pragma HLS PIPELINE II=1
        local[b] = 0;
    }
    /* The count of the current bin lives in a register so that runs of equal
       bins do not create a read-after-write hazard on the bin memory. */
    bin_t old_bin = 0;
    count_t acc = 0;
ACCUM:
    for (int i = 0; i < HIST_N; i++) {
#pragma HLS PIPELINE II=1
        bin_t b = data[i].range(7, 4);
        if (b == old_bin) {
            acc++;
        } else {
            local[old_bin] = acc;
            acc = local[b] + 1;
            old_bin = b;
        }
    }
OUT:
    for (int b = 0; b < HIST_BINS; b++) {
#pragma HLS PIPELINE II=1
        hist[b] = local[b];
    }
}
