#ifndef MATMUL_H
#define MATMUL_H
#include <ap_int.h>

#define MM_N 8

typedef ap_int<8> mat_t;
typedef ap_int<20> acc_t;

void matmul(const mat_t A[MM_N][MM_N], const mat_t B[MM_N][MM_N], acc_t C[MM_N][MM_N]);
#endif
