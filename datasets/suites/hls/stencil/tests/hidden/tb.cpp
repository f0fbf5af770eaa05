#include "duckfix_tb.h"
#include "stencil.h"

/* Grid values sit on the 2^-8 grid of ap_fixed<16,8>, so doubles hold them
   exactly; the reference rounds the /8 toward minus infinity on that grid. */
static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (lcg_state >> 16) & 0x7fff;
}

static double rand_fixed(double range) {
    int steps = (int)(range * 256.0);
    return (double)((int)(lcg_next() % (unsigned)(2 * steps)) - steps) / 256.0;
}

static void ref_stencil(const double g[H][W], double out[H][W]) {
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            if (i == 0 || i == H - 1 || j == 0 || j == W - 1) {
                out[i][j] = g[i][j];
            } else {
                double total = 4.0 * g[i][j] + g[i - 1][j] + g[i + 1][j] + g[i][j - 1] + g[i][j + 1];
                out[i][j] = floor(total * 256.0 / 8.0) / 256.0;
            }
        }
}

static void check_grid(const double g[H][W]) {
    static data_t in[H][W], out[H][W];
    double want[H][W], got[H][W];
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            in[i][j] = g[i][j];
            out[i][j] = 0;
        }
    stencil(in, out);
    ref_stencil(g, want);
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) got[i][j] = out[i][j].to_double();
    /* row-major: index i * W + j */
    const double *got_cells = &got[0][0], *want_cells = &want[0][0];
    DUCKFIX_CHECK_ARRAY_NEAR(got_cells, want_cells, H * W, 1e-12);
}

static void check_random(unsigned seed, double range) {
    double g[H][W];
    lcg_state = seed;
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) g[i][j] = rand_fixed(range);
    check_grid(g);
}

DUCKFIX_CASE(horizontal_ramp) {
    double g[H][W];
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) g[i][j] = 1.5 * j - 0.25 * i;
    check_grid(g);
}

DUCKFIX_CASE(full_range) { check_random(5150u, 127.0); }

DUCKFIX_CASE(checkerboard) {
    double g[H][W];
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) g[i][j] = ((i + j) % 2) ? 100.0 : -100.0 + j / 256.0;
    check_grid(g);
}

DUCKFIX_MAIN
