#include "duckfix_tb.h"
#include "vecsum.h"

DUCKFIX_CASE(zeros) {
    ap_int<12> in[N];
    for (int i = 0; i < N; i++) in[i] = 0;  // ap_int's default constructor leaves it undefined
    DUCKFIX_CHECK_EQ(vecsum(in), 0);
}

DUCKFIX_CASE(ramp) {
    ap_int<12> in[N];
    for (int i = 0; i < N; i++) in[i] = i;
    DUCKFIX_CHECK_EQ(vecsum(in), 120);
}

DUCKFIX_CASE(negative) {
    ap_int<12> in[N];
    for (int i = 0; i < N; i++) in[i] = -2000;
    DUCKFIX_CHECK_EQ(vecsum(in), -32000);
}

DUCKFIX_MAIN
