#include "kmeans_step.h"

void kmeans_step(const coord_t points[NPTS][DIM], const coord_t cent_in[KC][DIM],
                 coord_t cent_out[KC][DIM], label_t label[NPTS]) {
#pragma HLS INTERFACE mode=bram port=points
#pragma HLS ARRAY_PARTITION variable=points type=complete dim=2
#pragma HLS ARRAY_PARTITION variable=cent_in type=complete dim=0
#pragma HLS ARRAY_PARTITION variable=cent_out type=complete dim=0
    sum_t sum[KC][DIM];
    count_t count[KC];
#pragma HLS ARRAY_PARTITION variable=sum type=complete dim=0
#pragma HLS ARRAY_PARTITION variable=count type=complete dim=1

INIT:
    for (int k = 0; k < KC; k++) {
#pragma HLS UNROLL
        count[k] = 0;
        for (int d = 0; d < DIM; d++) sum[k][d] = 0;
    }

ASSIGN:
    for (int p = 0; p < NPTS; p++) {
#pragma HLS PIPELINE II=1
        dist_t best_d = 0;
        int best = 0;
    NEAREST:
        for (int k = 0; k < KC; k++) {
#pragma HLS UNROLL
            dist_t dist = 0;
            for (int d = 0; d < DIM; d++) {
                diff_t diff = points[p][d] - cent_in[k][d];
                dist += diff * diff;
            }
            if (k == 0 || dist <= best_d) {
                best_d = dist;
                best = k;
            }
        }
        label[p] = best;
        count[best]++;
        for (int d = 0; d < DIM; d++) sum[best][d] += points[p][d];
    }

UPDATE:
    for (int k = 0; k < KC; k++) {
#pragma HLS UNROLL
        for (int d = 0; d < DIM; d++) {
            if (count[k] == 0)
                cent_out[k][d] = cent_in[k][d];
            else
                cent_out[k][d] = sum[k][d] / count[k];
        }
    }
}
