#ifndef NEEDLEMAN_WUNSCH_H
#define NEEDLEMAN_WUNSCH_H
#include <ap_int.h>

#define LA 8
#define LB 10
#define MATCH 2
#define MISMATCH (-1)
#define GAP (-2)

typedef ap_uint<2> base_t;   // A, C, G, T
typedef ap_int<8> score_t;

// Fills the (LA+1) x (LB+1) global alignment score matrix of a and b.
void needleman_wunsch(const base_t a[LA], const base_t b[LB], score_t score[LA + 1][LB + 1]);
#endif
