#ifndef AES_ROUND_H
#define AES_ROUND_H
#include <ap_int.h>

#define AES_BLOCK 16

typedef ap_uint<8> byte_t;

// One AES encryption round (not the last one): SubBytes, ShiftRows,
// MixColumns, AddRoundKey. The state is column-major as in FIPS-197:
// byte r + 4*c holds row r, column c.
void aes_round(const byte_t state_in[AES_BLOCK], const byte_t round_key[AES_BLOCK],
               byte_t state_out[AES_BLOCK]);
#endif
