#include "duckfix_tb.h"
#include "vecsum.h"

DUCKFIX_CASE(last_only) {
    ap_int<12> in[N];
    for (int i = 0; i < N; i++) in[i] = 0;  // ap_int's default constructor leaves it undefined
    in[N - 1] = 7;
    DUCKFIX_CHECK_EQ(vecsum(in), 7);
}

DUCKFIX_CASE(extremes) {
    ap_int<12> in[N];
    for (int i = 0; i < N; i++) in[i] = (i % 2) ? 2047 : -2048;
    DUCKFIX_CHECK_EQ(vecsum(in), -8);
}

DUCKFIX_MAIN
