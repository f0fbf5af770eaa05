#include "duckfix_tb.h"
#include "aes_round.h"

/* Plain reference: the S-box is derived from the GF(2^8) inverse and the
   affine map, MixColumns from a bitwise GF(2^8) multiply. */
static unsigned gmul(unsigned a, unsigned b) {
    unsigned p = 0;
    for (int i = 0; i < 8; i++) {
        if (b & 1) p ^= a;
        unsigned hi = a & 0x80;
        a = (a << 1) & 0xff;
        if (hi) a ^= 0x1b;
        b >>= 1;
    }
    return p;
}

static unsigned ref_sbox(unsigned x) {
    unsigned inv = 0;
    if (x != 0) {
        inv = 1;
        for (int i = 0; i < 254; i++) inv = gmul(inv, x);
    }
    unsigned s = 0x63;
    for (int k = 0; k < 5; k++) s ^= ((inv << k) | (inv >> (8 - k))) & 0xff;
    return s;
}

static void ref_round(const unsigned char in[16], const unsigned char key[16], unsigned char out[16]) {
    unsigned char t[16];
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 4; r++) t[r + 4 * c] = (unsigned char)ref_sbox(in[r + 4 * ((c + r) % 4)]);
    static const unsigned M[4][4] = {{2, 3, 1, 1}, {1, 2, 3, 1}, {1, 1, 2, 3}, {3, 1, 1, 2}};
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 4; r++) {
            unsigned v = 0;
            for (int k = 0; k < 4; k++) v ^= gmul(M[r][k], t[k + 4 * c]);
            out[r + 4 * c] = (unsigned char)(v ^ key[r + 4 * c]);
        }
}

static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (lcg_state >> 16) & 0x7fff;
}

static void run_kernel(const unsigned char in[16], const unsigned char key[16], unsigned char out[16]) {
    byte_t s_in[AES_BLOCK], k_in[AES_BLOCK], s_out[AES_BLOCK];
    for (int i = 0; i < 16; i++) {
        s_in[i] = in[i];
        k_in[i] = key[i];
        s_out[i] = 0;
    }
    aes_round(s_in, k_in, s_out);
    for (int i = 0; i < 16; i++) out[i] = (unsigned char)s_out[i].to_uint();
}

static void check_random(unsigned seed, int rounds) {
    lcg_state = seed;
    for (int n = 0; n < rounds; n++) {
        unsigned char in[16], key[16], got[16], want[16];
        for (int i = 0; i < 16; i++) {
            in[i] = (unsigned char)(lcg_next() & 0xff);
            key[i] = (unsigned char)(lcg_next() & 0xff);
        }
        run_kernel(in, key, got);
        ref_round(in, key, want);
        DUCKFIX_CHECK_ARRAY_EQ(got, want, 16);
    }
}

/* FIPS-197 Appendix B: start of round 2 -> start of round 3. */
DUCKFIX_CASE(fips197_round2) {
    const unsigned char in[16] = {0xa4, 0x9c, 0x7f, 0xf2, 0x68, 0x9f, 0x35, 0x2b,
                                  0x6b, 0x5b, 0xea, 0x43, 0x02, 0x6a, 0x50, 0x49};
    const unsigned char key[16] = {0xf2, 0xc2, 0x95, 0xf2, 0x7a, 0x96, 0xb9, 0x43,
                                   0x59, 0x35, 0x80, 0x7a, 0x73, 0x59, 0xf6, 0x7f};
    const unsigned char fips[16] = {0xaa, 0x8f, 0x5f, 0x03, 0x61, 0xdd, 0xe3, 0xef,
                                    0x82, 0xd2, 0x4a, 0xd2, 0x68, 0x32, 0x46, 0x9a};
    unsigned char want[16], got[16];
    ref_round(in, key, want);
    DUCKFIX_CHECK_ARRAY_EQ(want, fips, 16); /* the reference itself */
    run_kernel(in, key, got);
    DUCKFIX_CHECK_ARRAY_EQ(got, fips, 16);
}

DUCKFIX_CASE(all_ones) {
    unsigned char in[16], key[16], want[16], got[16];
    for (int i = 0; i < 16; i++) {
        in[i] = 0xff;
        key[i] = 0xff;
    }
    ref_round(in, key, want);
    run_kernel(in, key, got);
    DUCKFIX_CHECK_ARRAY_EQ(got, want, 16);
}

DUCKFIX_CASE(random_many) { check_random(77u, 64); }

DUCKFIX_MAIN
