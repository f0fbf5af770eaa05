/* rle: a PackBits-style run-length codec with CRC-32 and Adler-32 checksums.
 *
 *     rle encode [-q] < data      print the packets as hex, then the checksums
 *     rle decode < hex            decode hex packets back to the data
 *     rle check < data            encode, decode, and compare
 *     rle runs < data             the longest run of each repeated byte
 *
 * A packet is a header byte h then data: h in 0..127 means h+1 literal bytes
 * follow; h in 129..255 means the next byte repeats 257-h times (2 to 128);
 * 128 is never written.  A repeat of two bytes is only used between repeats
 * or at the start or end of the input, as PackBits does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DATA (1 << 20)
#define MAX_RUN 128

static unsigned char data[MAX_DATA];
static unsigned char packed[MAX_DATA + MAX_DATA / 64 + 16];
static unsigned char unpacked[MAX_DATA];
static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t adler32(const unsigned char *p, size_t n) {
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

/* Length of the run of equal bytes starting at i, at most MAX_RUN. */
static size_t run_length(const unsigned char *p, size_t i, size_t n) {
    size_t j = i + 1;
    while (j < n && j - i < MAX_RUN && p[j] == p[i]) j++;
    return j - i;
}

static size_t encode(const unsigned char *in, size_t n, unsigned char *out) {
    size_t i = 0, o = 0;
    while (i < n) {
        size_t run = run_length(in, i, n);
        if (run >= 3 || (run == 2 && (i == 0 || i + 2 == n))) {
            out[o++] = (unsigned char)(257 - run);
            out[o++] = in[i];
            i += run;
            continue;
        }
        /* A literal packet: up to the next run of three or more. */
        size_t start = i;
        while (i < n && i - start < MAX_RUN) {
            size_t ahead = run_length(in, i, n);
            if (ahead >= 3) break;
            i += ahead;
            if (i - start > MAX_RUN) i = start + MAX_RUN;
        }
        size_t len = i - start;
        out[o++] = (unsigned char)(len - 1);
        memcpy(out + o, in + start, len);
        o += len;
    }
    return o;
}

/* Returns the decoded length, or -1 if the packets are malformed. */
static long decode(const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned h = in[i++];
        if (h < 128) {
            size_t len = h + 1;
            if (i + len > n || o + len > cap) return -1;
            memcpy(out + o, in + i, len);
            i += len;
            o += len;
        } else if (h > 128) {
            size_t len = 257 - h;
            if (i >= n || o + len > cap) return -1;
            memset(out + o, in[i++], len);
            o += len;
        } else {
            return -1;
        }
    }
    return (long)o;
}

static int hex_value(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static long read_hex(unsigned char *out, size_t cap) {
    int c, high = -1;
    size_t n = 0;
    while ((c = getchar()) != EOF) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        int v = hex_value(c);
        if (v < 0) return -1;
        if (high < 0) {
            high = v;
        } else {
            if (n >= cap) return -1;
            out[n++] = (unsigned char)(high << 4 | v);
            high = -1;
        }
    }
    return high < 0 ? (long)n : -1;
}

static void print_hex(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) printf("%02x%s", p[i], i % 32 == 31 ? "\n" : "");
    if (n % 32) putchar('\n');
}

static void print_packets(const unsigned char *p, size_t n) {
    size_t literal = 0, repeat = 0, i = 0;
    while (i < n) {
        unsigned h = p[i];
        if (h < 128) {
            literal++;
            i += h + 1;
        } else {
            repeat++;
            i += 2;
        }
    }
    printf("packets: %zu literal, %zu repeat\n", literal, repeat);
}

/* The longest run of each byte value that has one of two or more. */
static void print_runs(const unsigned char *p, size_t n) {
    size_t longest[256] = {0};
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] == p[i]) j++;
        if (j - i > longest[p[i]]) longest[p[i]] = j - i;
        i = j;
    }
    for (int b = 0; b < 256; b++)
        if (longest[b] >= 2) printf("byte %02x: run of %zu\n", b, longest[b]);
}

static int usage(void) {
    fprintf(stderr, "usage: rle encode [-q] | decode | check | runs  (data on stdin)\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    crc_init();
    const char *mode = argv[1];
    int quiet = argc > 2 && strcmp(argv[2], "-q") == 0;
    if (strcmp(mode, "decode") == 0) {
        long n = read_hex(packed, sizeof packed);
        if (n < 0) {
            printf("malformed hex input\n");
            return 1;
        }
        long m = decode(packed, (size_t)n, unpacked, sizeof unpacked);
        if (m < 0) {
            printf("malformed packets\n");
            return 1;
        }
        fwrite(unpacked, 1, (size_t)m, stdout);
        return 0;
    }
    size_t n = fread(data, 1, sizeof data, stdin);
    size_t packed_len = encode(data, n, packed);
    if (strcmp(mode, "encode") == 0) {
        if (!quiet) print_hex(packed, packed_len);
        print_packets(packed, packed_len);
        printf("%zu -> %zu bytes (%.1f%%)\n", n, packed_len,
               n ? 100.0 * (double)packed_len / (double)n : 0.0);
        printf("crc32 %08x adler32 %08x\n", crc32(data, n), adler32(data, n));
        return 0;
    }
    if (strcmp(mode, "runs") == 0) {
        print_runs(data, n);
        return 0;
    }
    if (strcmp(mode, "check") == 0) {
        long m = decode(packed, packed_len, unpacked, sizeof unpacked);
        if (m != (long)n || memcmp(unpacked, data, n) != 0) {
            printf("round trip FAILED: %zu bytes in, %ld out\n", n, m);
            return 1;
        }
        printf("round trip ok: %zu bytes, %zu packed, crc32 %08x\n", n, packed_len,
               crc32(unpacked, (size_t)m));
        return 0;
    }
    return usage();
}
