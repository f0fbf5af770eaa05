#include "crc32.h"

crc_t crc32(const byte_t buf[CRC_MAXLEN], int len) {
#pragma HLS INTERFACE mode=bram port=buf
#pragma HLS INTERFACE mode=s_axilite port=len
#pragma HLS INTERFACE mode=s_axilite port=return
    crc_t crc = 0;
BYTES:
    for (int i = 0; i < CRC_MAXLEN; i++) {
#pragma HLS PIPELINE II=1
        if (i < len) {
            crc ^= crc_t(buf[i]); /* zero-extend: ^= on mixed widths warns */
        BITS:
            for (int b = 0; b < 8; b++) {
#pragma HLS UNROLL
                if (crc[0])
                    crc = (crc >> 1) ^ CRC_POLY;
                else
                    crc = crc >> 1;
            }
        }
    }
    return crc ^ 0xFFFFFFFFu;
}
