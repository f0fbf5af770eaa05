#include <stdint.h>
#include "duckfix_tb.h"
#include "crc32.h"

static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lcg_state >> 8;
}

/* Plain bit-at-a-time CRC-32 (zlib). */
static uint32_t reference_crc(const uint8_t *p, int n) {
    uint32_t c = 0xFFFFFFFFu;
    for (int i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

/* Runs the kernel on the first n bytes of p; the rest of its buffer is filled
   with junk that must not count. */
static uint32_t run_kernel(const uint8_t *p, int n) {
    byte_t buf[CRC_MAXLEN];
    for (int i = 0; i < CRC_MAXLEN; i++) buf[i] = (i < n) ? p[i] : (uint8_t)(0xA5 ^ i);
    return (uint32_t)crc32(buf, n).to_uint();
}

static int text_len(const char *s) { return (int)strlen(s); }

DUCKFIX_CASE(single_letter_a) {
    const char *s = "a";
    DUCKFIX_CHECK_EQ(run_kernel((const uint8_t *)s, text_len(s)), 0xE8B7BE43u);
}

DUCKFIX_CASE(thirty_two_zero_bytes) {
    uint8_t data[32] = {0};
    DUCKFIX_CHECK_EQ(run_kernel(data, 32), reference_crc(data, 32));
}

DUCKFIX_CASE(random_prefix_lengths) {
    uint8_t data[CRC_MAXLEN];
    lcg_state = 777;
    for (int i = 0; i < CRC_MAXLEN; i++) data[i] = (uint8_t)lcg_next();
    for (int n = 1; n < CRC_MAXLEN; n += 7)
        DUCKFIX_CHECK_EQ(run_kernel(data, n), reference_crc(data, n));
}

DUCKFIX_MAIN
