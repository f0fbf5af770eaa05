#include "needleman_wunsch.h"

static score_t max2(score_t x, score_t y) {
#pragma HLS INLINE
    return x > y ? x : y;
}

void needleman_wunsch(const base_t a[LA], const base_t b[LB], score_t score[LA + 1][LB + 1]) {
#pragma HLS INTERFACE mode=ap_memory port=a
#pragma HLS INTERFACE mode=ap_memory port=b
#pragma HLS INTERFACE mode=bram port=score
#pragma HLS ARRAY_PARTITION variable=b type=complete dim=1
    score_t row[LB + 1];   // row i-1 of the matrix, overwritten with row i
#pragma HLS ARRAY_PARTITION variable=row type=complete dim=1

INIT:
    for (int j = 0; j <= LB; j++) {
#pragma HLS UNROLL
        row[j] = j * GAP;
        score[0][j] = row[j];
    }

ROW:
    for (int i = 1; i <= LA; i++) {
        score_t diag = row[0];
        score_t left = i * GAP;
        row[0] = left;
        score[i][0] = left;
    COL:
        for (int j = 1; j <= LB; j++) {
#pragma HLS PIPELINE II=1
            score_t up = row[j];
            score_t match = diag + (a[i - 1] == b[j - 1] ? MATCH : MISMATCH);
            score_t gap = max2(up, left) + GAP;
            score_t v = max2(match, gap);
            diag = up;
            left = v;
            row[j] = v;
            score[i][j] = v;
        }
    }
}
