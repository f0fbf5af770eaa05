#ifndef CRC32_H
#define CRC32_H
#include <ap_int.h>

#define CRC_MAXLEN 64
#define CRC_POLY 0xEDB88320u /* 0x04C11DB7 bit-reversed */

typedef ap_uint<8> byte_t;
typedef ap_uint<32> crc_t;

crc_t crc32(const byte_t buf[CRC_MAXLEN], int len);
#endif
