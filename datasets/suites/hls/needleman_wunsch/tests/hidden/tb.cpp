#include "duckfix_tb.h"
#include "needleman_wunsch.h"

/* Plain reference: the textbook full-matrix recurrence in int. */
static void ref_nw(const int *a, const int *b, int h[LA + 1][LB + 1]) {
    for (int i = 0; i <= LA; i++) h[i][0] = i * GAP;
    for (int j = 0; j <= LB; j++) h[0][j] = j * GAP;
    for (int i = 1; i <= LA; i++)
        for (int j = 1; j <= LB; j++) {
            int best = h[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? MATCH : MISMATCH);
            if (h[i - 1][j] + GAP > best) best = h[i - 1][j] + GAP;
            if (h[i][j - 1] + GAP > best) best = h[i][j - 1] + GAP;
            h[i][j] = best;
        }
}

/* sequences as strings over ACGT */
static int base_code(char c) {
    switch (c) {
        case 'A': return 0;
        case 'C': return 1;
        case 'G': return 2;
        default: return 3;
    }
}

static void check_codes(const int *a, const int *b) {
    base_t sa[LA], sb[LB];
    static score_t out[LA + 1][LB + 1];
    for (int i = 0; i < LA; i++) sa[i] = a[i];
    for (int j = 0; j < LB; j++) sb[j] = b[j];
    for (int i = 0; i <= LA; i++)
        for (int j = 0; j <= LB; j++) out[i][j] = 99;
    needleman_wunsch(sa, sb, out);
    int want[LA + 1][LB + 1], got[LA + 1][LB + 1];
    ref_nw(a, b, want);
    for (int i = 0; i <= LA; i++)
        for (int j = 0; j <= LB; j++) got[i][j] = out[i][j].to_int();
    /* row-major: index i * (LB + 1) + j */
    const int *got_cells = &got[0][0], *want_cells = &want[0][0];
    DUCKFIX_CHECK_ARRAY_EQ(got_cells, want_cells, (LA + 1) * (LB + 1));
}

static void check_strings(const char *sa, const char *sb) {
    int a[LA], b[LB];
    for (int i = 0; i < LA; i++) a[i] = base_code(sa[i]);
    for (int j = 0; j < LB; j++) b[j] = base_code(sb[j]);
    check_codes(a, b);
}

static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (lcg_state >> 16) & 0x7fff;
}

static void check_random(unsigned seed, int count) {
    lcg_state = seed;
    for (int n = 0; n < count; n++) {
        int a[LA], b[LB];
        for (int i = 0; i < LA; i++) a[i] = (int)(lcg_next() & 3u);
        for (int j = 0; j < LB; j++) b[j] = (int)(lcg_next() & 3u);
        check_codes(a, b);
    }
}

DUCKFIX_CASE(same_base_everywhere) { check_strings("CCCCCCCC", "CCCCCCCCCC"); }

DUCKFIX_CASE(interleaved) { check_strings("ACACACAC", "CACACACACA"); }

DUCKFIX_CASE(random_many) { check_random(777u, 40); }

DUCKFIX_MAIN
