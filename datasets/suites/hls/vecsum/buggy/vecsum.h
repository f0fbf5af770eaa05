#ifndef VECSUM_H
#define VECSUM_H
#include <ap_int.h>
#define N 16
ap_int<20> vecsum(const ap_int<12> in[N]);
#endif
