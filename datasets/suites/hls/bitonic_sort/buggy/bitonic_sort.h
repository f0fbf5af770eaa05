#ifndef BITONIC_SORT_H
#define BITONIC_SORT_H
#include <ap_int.h>

#define BS_N 16 /* a power of two */

typedef ap_int<16> sort_key_t;

void bitonic_sort(const sort_key_t in[BS_N], sort_key_t out[BS_N]);
#endif
