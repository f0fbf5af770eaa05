#ifndef THRESHOLD_COUNT_H
#define THRESHOLD_COUNT_H
#include <ap_int.h>
#define TC_N 16
typedef ap_int<12> sample_t;
typedef ap_uint<5> count_t;
void threshold_count(const sample_t x[TC_N], sample_t lo, sample_t hi, count_t &below,
                     count_t &above);
#endif
