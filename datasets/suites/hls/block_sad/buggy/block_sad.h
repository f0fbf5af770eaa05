#ifndef BLOCK_SAD_H
#define BLOCK_SAD_H
#include <ap_int.h>
#define BS_BLOCKS 4
#define BS_SIZE 8
typedef ap_uint<8> pix_t;
typedef ap_uint<14> sad_t;
void block_sad(const pix_t cur[BS_SIZE], const pix_t ref[BS_BLOCKS][BS_SIZE], sad_t sad[BS_BLOCKS],
               ap_uint<2> &best);
#endif
