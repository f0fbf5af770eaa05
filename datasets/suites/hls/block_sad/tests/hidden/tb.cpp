#include "duckfix_tb.h"
#include "block_sad.h"

static sad_t reference_sad(const pix_t cur[BS_SIZE], const pix_t ref[BS_SIZE]) {
    int total = 0;
    for (int i = 0; i < BS_SIZE; i++) {
        int d = int(cur[i]) - int(ref[i]);
        total += d < 0 ? -d : d;
    }
    return total;
}

static void check(const pix_t cur[BS_SIZE], const pix_t ref[BS_BLOCKS][BS_SIZE]) {
    sad_t sad[BS_BLOCKS];
    ap_uint<2> best;
    block_sad(cur, ref, sad, best);
    int want_best = 0;
    for (int b = 0; b < BS_BLOCKS; b++) {
        sad_t want = reference_sad(cur, ref[b]);
        DUCKFIX_CHECK_EQ(sad[b], want);
        if (want < reference_sad(cur, ref[want_best])) want_best = b;
    }
    DUCKFIX_CHECK_EQ(best, want_best);
}

DUCKFIX_CASE(extremes) {
    pix_t cur[BS_SIZE], ref[BS_BLOCKS][BS_SIZE];
    for (int i = 0; i < BS_SIZE; i++) cur[i] = 255;
    for (int b = 0; b < BS_BLOCKS; b++)
        for (int i = 0; i < BS_SIZE; i++) ref[b][i] = b == 3 ? 255 : 0;
    check(cur, ref);
}

DUCKFIX_CASE(pseudo_random) {
    unsigned state = 12345;
    for (int round = 0; round < 20; round++) {
        pix_t cur[BS_SIZE], ref[BS_BLOCKS][BS_SIZE];
        for (int i = 0; i < BS_SIZE; i++) {
            state = state * 1103515245u + 12345u;
            cur[i] = (state >> 16) & 0xff;
        }
        for (int b = 0; b < BS_BLOCKS; b++)
            for (int i = 0; i < BS_SIZE; i++) {
                state = state * 1103515245u + 12345u;
                ref[b][i] = (state >> 16) & 0xff;
            }
        check(cur, ref);
    }
}

DUCKFIX_CASE(tie_keeps_the_first) {
    pix_t cur[BS_SIZE], ref[BS_BLOCKS][BS_SIZE];
    for (int i = 0; i < BS_SIZE; i++) cur[i] = 50;
    for (int b = 0; b < BS_BLOCKS; b++)
        for (int i = 0; i < BS_SIZE; i++) ref[b][i] = b == 0 ? 60 : 45;
    check(cur, ref);
}

DUCKFIX_MAIN
