#include <stdint.h>
#include "duckfix_tb.h"
#include "crc32.h"

static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
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

DUCKFIX_CASE(check_string_123456789) {
    const char *s = "123456789";
    DUCKFIX_CHECK_EQ(run_kernel((const uint8_t *)s, text_len(s)), 0xCBF43926u);
}

DUCKFIX_CASE(empty_buffer) {
    uint8_t none[1] = {0};
    DUCKFIX_CHECK_EQ(run_kernel(none, 0), 0x00000000u);
}

DUCKFIX_CASE(quick_brown_fox) {
    const char *s = "The quick brown fox jumps over the lazy dog";
    DUCKFIX_CHECK_EQ(run_kernel((const uint8_t *)s, text_len(s)), 0x414FA339u);
}

DUCKFIX_CASE(random_bytes_full_length) {
    uint8_t data[CRC_MAXLEN];
    lcg_state = 12;
    for (int i = 0; i < CRC_MAXLEN; i++) data[i] = (uint8_t)lcg_next();
    DUCKFIX_CHECK_EQ(run_kernel(data, CRC_MAXLEN), reference_crc(data, CRC_MAXLEN));
}

DUCKFIX_MAIN
