#include "duckfix_tb.h"
#include "viterbi_step.h"

/* Plain reference: walk every (previous state, input bit) edge of the trellis
   as the encoder would, and keep the smallest candidate per next state (the
   first one found, i.e. the even predecessor, on a tie). */
static int parity(unsigned v) {
    int p = 0;
    for (; v; v >>= 1) p ^= (int)(v & 1);
    return p;
}

static void ref_step(const int pm_in[NS], int r0, int r1, int pm_out[NS], unsigned *dec) {
    int best[NS];
    unsigned d = 0;
    for (int s = 0; s < NS; s++) best[s] = -1;
    for (int p = 0; p < NS; p++) {
        for (int u = 0; u < 2; u++) {
            unsigned reg = ((unsigned)u << (K - 1)) | (unsigned)p;
            int next = (int)(reg >> 1);
            int c0 = parity(reg & G0), c1 = parity(reg & G1);
            int bm = (c0 ? SOFT_MAX - r0 : r0) + (c1 ? SOFT_MAX - r1 : r1);
            int m = pm_in[p] + bm;
            if (best[next] < 0 || m < best[next]) {
                best[next] = m;
                if (p & 1) d |= 1u << next; else d &= ~(1u << next);
            }
        }
    }
    int lo = best[0];
    for (int s = 1; s < NS; s++) if (best[s] < lo) lo = best[s];
    for (int s = 0; s < NS; s++) pm_out[s] = best[s] - lo;
    *dec = d;
}

static void run_step(const int pm_in[NS], int r0, int r1, int pm_out[NS], unsigned *dec) {
    pm_t in[NS], out[NS];
    for (int s = 0; s < NS; s++) {
        in[s] = pm_in[s];
        out[s] = 0;
    }
    ap_uint<NS> d = 0;
    viterbi_step(in, soft_t(r0), soft_t(r1), out, d);
    for (int s = 0; s < NS; s++) pm_out[s] = (int)out[s].to_uint();
    *dec = d.to_uint();
}

static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (lcg_state >> 16) & 0x7fff;
}

static void check_one(const int pm_in[NS], int r0, int r1) {
    int want[NS], got[NS];
    unsigned dwant, dgot;
    ref_step(pm_in, r0, r1, want, &dwant);
    run_step(pm_in, r0, r1, got, &dgot);
    DUCKFIX_CHECK_ARRAY_EQ(got, want, NS);
    DUCKFIX_CHECK_EQ(dgot, dwant);
}

static void check_random(unsigned seed, int steps, int pm_range) {
    lcg_state = seed;
    for (int n = 0; n < steps; n++) {
        int pm[NS];
        for (int s = 0; s < NS; s++) pm[s] = (int)(lcg_next() % (unsigned)pm_range);
        check_one(pm, (int)(lcg_next() % 8), (int)(lcg_next() % 8));
    }
}

/* Encode msg, turn the code bits into soft symbols (optionally flipping some
   toward the wrong side), run the decoder step by step against the reference,
   then trace back from the best state and compare with the message. */
static void decode_sequence(const int *msg, int len, unsigned noise_seed, int noise) {
    int pm[NS] = {0};
    for (int s = 1; s < NS; s++) pm[s] = 40; /* the encoder starts in state 0 */
    unsigned decs[64];
    unsigned state = 0;
    lcg_state = noise_seed;
    for (int t = 0; t < len; t++) {
        unsigned reg = ((unsigned)msg[t] << (K - 1)) | state;
        state = reg >> 1;
        int r0 = parity(reg & G0) ? SOFT_MAX : 0;
        int r1 = parity(reg & G1) ? SOFT_MAX : 0;
        if (noise && lcg_next() % 5 == 0) r0 = r0 ? r0 - noise : r0 + noise;
        if (noise && lcg_next() % 7 == 0) r1 = r1 ? r1 - noise : r1 + noise;
        int want[NS], got[NS];
        unsigned dwant, dgot;
        ref_step(pm, r0, r1, want, &dwant);
        run_step(pm, r0, r1, got, &dgot);
        DUCKFIX_CHECK_ARRAY_EQ(got, want, NS);
        DUCKFIX_CHECK_EQ(dgot, dwant);
        decs[t] = dgot;
        for (int s = 0; s < NS; s++) pm[s] = got[s];
    }
    int s = 0;
    for (int i = 1; i < NS; i++) if (pm[i] < pm[s]) s = i;
    int decoded[64];
    for (int t = len - 1; t >= 0; t--) {
        decoded[t] = s >> (K - 2);
        int bit = (int)((decs[t] >> s) & 1u);
        s = ((s << 1) & (NS - 1)) | bit;
    }
    DUCKFIX_CHECK_ARRAY_EQ(decoded, msg, len);
}

/* Metrics near the top of pm_t: the sum needs the extra bit of acc_t. */
DUCKFIX_CASE(large_metrics) {
    int pm[NS];
    for (int s = 0; s < NS; s++) pm[s] = 4080 + s;
    check_one(pm, 7, 7);
    check_one(pm, 1, 6);
}

DUCKFIX_CASE(random_wide) { check_random(909u, 80, 3000); }

DUCKFIX_CASE(long_noisy_sequence) {
    int msg[48];
    lcg_state = 31u;
    for (int t = 0; t < 45; t++) msg[t] = (int)(lcg_next() & 1u);
    for (int t = 45; t < 48; t++) msg[t] = 0;
    decode_sequence(msg, 48, 8u, 2);
}

DUCKFIX_MAIN
