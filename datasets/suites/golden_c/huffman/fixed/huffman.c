/* huffman: build a Huffman code for the bytes of stdin and encode them.
 *
 *     huffman [-t] [-x] [-d] < input
 *
 * Prints the number of symbols and bits, then with -t the code table
 * (symbol, count, code length, code), with -x the encoded bits as hex, and
 * with -d checks that decoding gives the input back.  Codes are canonical:
 * lengths come from the Huffman tree (ties between equal weights broken by
 * the smallest symbol), codes are assigned in order of (length, symbol).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYMBOLS 256
#define MAX_NODES (2 * SYMBOLS)
#define MAX_INPUT (1 << 20)

struct node {
    unsigned long weight;
    int symbol;  /* smallest symbol below this node: the tie-breaker */
    int left, right;
};

static struct node nodes[MAX_NODES];
static int nnodes;
static int heap[MAX_NODES];
static int heap_size;
static unsigned long counts[SYMBOLS];
static int lengths[SYMBOLS];
static unsigned codes[SYMBOLS];
static unsigned char input[MAX_INPUT];
static unsigned char encoded[MAX_INPUT];

static int lighter(int a, int b) {
    if (nodes[a].weight != nodes[b].weight) return nodes[a].weight < nodes[b].weight;
    return nodes[a].symbol < nodes[b].symbol;
}

static void swap(int i, int j) {
    int t = heap[i];
    heap[i] = heap[j];
    heap[j] = t;
}

static void push(int node) {
    int i = heap_size++;
    heap[i] = node;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!lighter(heap[i], heap[parent])) break;
        swap(i, parent);
        i = parent;
    }
}

static int pop(void) {
    int top = heap[0];
    heap[0] = heap[--heap_size];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, best = i;
        if (l < heap_size && lighter(heap[l], heap[best])) best = l;
        if (r < heap_size && lighter(heap[r], heap[best])) best = r;
        if (best == i) break;
        swap(i, best);
        i = best;
    }
    return top;
}

static void depths(int node, int depth) {
    if (nodes[node].left < 0) {
        lengths[nodes[node].symbol] = depth ? depth : 1;
        return;
    }
    depths(nodes[node].left, depth + 1);
    depths(nodes[node].right, depth + 1);
}

static int build_lengths(void) {
    nnodes = 0;
    heap_size = 0;
    for (int s = 0; s < SYMBOLS; s++) {
        lengths[s] = 0;
        if (!counts[s]) continue;
        nodes[nnodes] = (struct node){counts[s], s, -1, -1};
        push(nnodes++);
    }
    if (heap_size == 0) return 0;
    while (heap_size > 1) {
        int a = pop();
        int b = pop();
        int lo = nodes[a].symbol < nodes[b].symbol ? nodes[a].symbol : nodes[b].symbol;
        nodes[nnodes] = (struct node){nodes[a].weight + nodes[b].weight, lo, a, b};
        push(nnodes++);
    }
    depths(pop(), 0);
    return 1;
}

/* Canonical codes: shorter codes first, and within a length, by symbol. */
static void assign_codes(void) {
    int max_len = 0;
    for (int s = 0; s < SYMBOLS; s++)
        if (lengths[s] > max_len) max_len = lengths[s];
    unsigned code = 0;
    for (int len = 1; len <= max_len; len++) {
        for (int s = 0; s < SYMBOLS; s++) {
            if (lengths[s] != len) continue;
            codes[s] = code++;
        }
        code <<= 1;
    }
}

static size_t encode(size_t n, unsigned long *bits) {
    size_t bit = 0;
    memset(encoded, 0, sizeof encoded);
    for (size_t i = 0; i < n; i++) {
        int s = input[i];
        for (int k = lengths[s] - 1; k >= 0; k--) {
            if ((codes[s] >> k) & 1u) encoded[bit / 8] |= (unsigned char)(0x80u >> (bit % 8));
            bit++;
        }
    }
    *bits = bit;
    return (bit + 7) / 8;
}

static long decode(unsigned long bits, size_t n) {
    unsigned code = 0;
    int len = 0;
    size_t out = 0;
    for (unsigned long bit = 0; bit < bits; bit++) {
        code = (code << 1) | ((encoded[bit / 8] >> (7 - bit % 8)) & 1u);
        len++;
        for (int s = 0; s < SYMBOLS; s++) {
            if (lengths[s] == len && codes[s] == code) {
                if (out >= n || input[out] != s) return (long)out;
                out++;
                code = 0;
                len = 0;
                break;
            }
        }
        if (len > 32) return (long)out;
    }
    return (long)out;
}

static void print_code(int s) {
    for (int k = lengths[s] - 1; k >= 0; k--) putchar((codes[s] >> k) & 1u ? '1' : '0');
}

static void print_symbol(int s) {
    if (s >= 33 && s < 127) printf("'%c'", s);
    else printf("0x%02x", s);
}

int main(int argc, char **argv) {
    int table = 0, hex = 0, check = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-t") == 0) table = 1;
        else if (strcmp(argv[i], "-x") == 0) hex = 1;
        else if (strcmp(argv[i], "-d") == 0) check = 1;
        else {
            fprintf(stderr, "usage: huffman [-t] [-x] [-d] < input\n");
            return 2;
        }
    }
    size_t n = fread(input, 1, sizeof input, stdin);
    for (size_t i = 0; i < n; i++) counts[input[i]]++;
    if (!build_lengths()) {
        printf("empty input\n");
        return 0;
    }
    assign_codes();
    int used = 0;
    for (int s = 0; s < SYMBOLS; s++) used += counts[s] != 0;
    unsigned long bits;
    size_t bytes = encode(n, &bits);
    printf("%zu bytes, %d symbols, %lu bits (%.3f bits/byte)\n", n, used, bits,
           (double)bits / (double)n);
    if (table) {
        for (int len = 1; len <= 32; len++) {
            for (int s = 0; s < SYMBOLS; s++) {
                if (lengths[s] != len) continue;
                print_symbol(s);
                printf(" %lu %d ", counts[s], lengths[s]);
                print_code(s);
                putchar('\n');
            }
        }
    }
    if (hex) {
        for (size_t i = 0; i < bytes; i++) printf("%02x%s", encoded[i], i % 16 == 15 ? "\n" : "");
        if (bytes % 16) putchar('\n');
    }
    if (check) {
        long back = decode(bits, n);
        if ((size_t)back == n) printf("decoded %zu bytes: same as the input\n", n);
        else printf("decoding differs at byte %ld\n", back);
        return (size_t)back == n ? 0 : 1;
    }
    return 0;
}
