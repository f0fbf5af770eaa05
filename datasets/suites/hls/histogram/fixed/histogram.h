#ifndef HISTOGRAM_H
#define HISTOGRAM_H
#include <ap_int.h>

#define HIST_N 64
#define HIST_BINS 16

typedef ap_uint<8> value_t;
typedef ap_uint<4> bin_t;
typedef ap_uint<7> count_t; /* holds 0..HIST_N */

void histogram(const value_t data[HIST_N], count_t hist[HIST_BINS]);
#endif
