#ifndef PREFIX_SUM_H
#define PREFIX_SUM_H
#include <ap_int.h>

#define PS_N 32
#define PS_LANES 4

typedef ap_int<16> in_t;
typedef ap_int<24> sum_t;

void prefix_sum(const in_t in[PS_N], sum_t out[PS_N]);
#endif
