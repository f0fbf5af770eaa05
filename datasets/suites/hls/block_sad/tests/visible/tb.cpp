#include "duckfix_tb.h"
#include "block_sad.h"

static void fill(pix_t cur[BS_SIZE], pix_t ref[BS_BLOCKS][BS_SIZE], int offsets[BS_BLOCKS]) {
    for (int i = 0; i < BS_SIZE; i++) cur[i] = 100 + 3 * i;
    for (int b = 0; b < BS_BLOCKS; b++)
        for (int i = 0; i < BS_SIZE; i++) ref[b][i] = 100 + 3 * i + offsets[b];
}

DUCKFIX_CASE(identical_blocks) {
    pix_t cur[BS_SIZE], ref[BS_BLOCKS][BS_SIZE];
    int offsets[BS_BLOCKS] = {0, 0, 0, 0};
    fill(cur, ref, offsets);
    sad_t sad[BS_BLOCKS];
    ap_uint<2> best;
    block_sad(cur, ref, sad, best);
    for (int b = 0; b < BS_BLOCKS; b++) DUCKFIX_CHECK_EQ(sad[b], 0);
    DUCKFIX_CHECK_EQ(best, 0);
}

DUCKFIX_CASE(first_block_matches) {
    pix_t cur[BS_SIZE], ref[BS_BLOCKS][BS_SIZE];
    int offsets[BS_BLOCKS] = {0, 2, 5, -1};
    fill(cur, ref, offsets);
    sad_t sad[BS_BLOCKS];
    ap_uint<2> best;
    block_sad(cur, ref, sad, best);
    DUCKFIX_CHECK_EQ(sad[0], 0);
    DUCKFIX_CHECK_EQ(sad[1], 16);
    DUCKFIX_CHECK_EQ(sad[2], 40);
    DUCKFIX_CHECK_EQ(sad[3], 8);
    DUCKFIX_CHECK_EQ(best, 0);
}

DUCKFIX_CASE(third_block_is_best) {
    pix_t cur[BS_SIZE], ref[BS_BLOCKS][BS_SIZE];
    int offsets[BS_BLOCKS] = {4, 3, 1, -2};
    fill(cur, ref, offsets);
    sad_t sad[BS_BLOCKS];
    ap_uint<2> best;
    block_sad(cur, ref, sad, best);
    DUCKFIX_CHECK_EQ(sad[0], 32);
    DUCKFIX_CHECK_EQ(sad[2], 8);
    DUCKFIX_CHECK_EQ(best, 2);
}

DUCKFIX_MAIN
