#include "duckfix_tb.h"
#include "kmeans_step.h"

/* Coordinates sit on the 2^-8 grid of ap_fixed<16,8>; the reference works on
   the raw integers (value * 256), so distances and sums are exact, and divides
   the sum by the count with C's truncation toward zero. */
static unsigned lcg_state;
static unsigned lcg_next(void) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (lcg_state >> 16) & 0x7fff;
}

/* raw value in [-range*256, range*256) */
static int rand_raw(int range) {
    int steps = range * 256;
    return (int)(lcg_next() % (unsigned)(2 * steps)) - steps;
}

static void ref_kmeans(const int pts[NPTS][DIM], const int cin[KC][DIM], int cout_[KC][DIM],
                       int lab[NPTS]) {
    long long sum[KC][DIM] = {{0}};
    int count[KC] = {0};
    for (int p = 0; p < NPTS; p++) {
        int best = 0;
        long long best_d = 0;
        for (int k = 0; k < KC; k++) {
            long long d = 0;
            for (int j = 0; j < DIM; j++) {
                long long diff = pts[p][j] - cin[k][j];
                d += diff * diff;
            }
            if (k == 0 || d < best_d) {
                best = k;
                best_d = d;
            }
        }
        lab[p] = best;
        count[best]++;
        for (int j = 0; j < DIM; j++) sum[best][j] += pts[p][j];
    }
    for (int k = 0; k < KC; k++)
        for (int j = 0; j < DIM; j++)
            cout_[k][j] = count[k] ? (int)(sum[k][j] / count[k]) : cin[k][j];
}

static void check_kmeans(const int pts[NPTS][DIM], const int cin[KC][DIM]) {
    coord_t points[NPTS][DIM], cent_in[KC][DIM], cent_out[KC][DIM];
    label_t label[NPTS];
    for (int p = 0; p < NPTS; p++)
        for (int j = 0; j < DIM; j++) points[p][j] = pts[p][j] / 256.0;
    for (int k = 0; k < KC; k++)
        for (int j = 0; j < DIM; j++) {
            cent_in[k][j] = cin[k][j] / 256.0;
            cent_out[k][j] = 0;
        }
    for (int p = 0; p < NPTS; p++) label[p] = 0;
    kmeans_step(points, cent_in, cent_out, label);

    int want_cent[KC][DIM], want_label[NPTS], got_label[NPTS];
    ref_kmeans(pts, cin, want_cent, want_label);
    for (int p = 0; p < NPTS; p++) got_label[p] = (int)label[p].to_uint();
    DUCKFIX_CHECK_ARRAY_EQ(got_label, want_label, NPTS);
    double got[KC * DIM], want[KC * DIM];
    for (int k = 0; k < KC; k++)
        for (int j = 0; j < DIM; j++) {
            got[k * DIM + j] = cent_out[k][j].to_double();
            want[k * DIM + j] = want_cent[k][j] / 256.0;
        }
    DUCKFIX_CHECK_ARRAY_NEAR(got, want, KC * DIM, 1e-12);
}

DUCKFIX_CASE(random_full_range) {
    int pts[NPTS][DIM], cin[KC][DIM];
    lcg_state = 8080u;
    for (int p = 0; p < NPTS; p++)
        for (int j = 0; j < DIM; j++) pts[p][j] = rand_raw(100);
    for (int k = 0; k < KC; k++)
        for (int j = 0; j < DIM; j++) cin[k][j] = rand_raw(60);
    check_kmeans(pts, cin);
}

DUCKFIX_CASE(all_centroids_equal) {
    int pts[NPTS][DIM], cin[KC][DIM];
    lcg_state = 61u;
    for (int p = 0; p < NPTS; p++)
        for (int j = 0; j < DIM; j++) pts[p][j] = rand_raw(50);
    for (int k = 0; k < KC; k++) {
        cin[k][0] = -7 * 256 - 3;
        cin[k][1] = 2 * 256 + 100;
    }
    check_kmeans(pts, cin);
}

DUCKFIX_CASE(points_on_centroids) {
    int pts[NPTS][DIM];
    const int cin[KC][DIM] = {{0, 0}, {0, 0}, {10 * 256, 10 * 256}, {-10 * 256, 10 * 256}};
    for (int p = 0; p < NPTS; p++) {
        pts[p][0] = cin[p % KC][0] + (p % 3) - 1;
        pts[p][1] = cin[p % KC][1] - (p % 5) + 2;
    }
    check_kmeans(pts, cin);
}

DUCKFIX_MAIN
