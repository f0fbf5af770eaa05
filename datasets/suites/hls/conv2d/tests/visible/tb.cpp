#include "duckfix_tb.h"
#include "conv2d.h"

static unsigned lcg_state;
static int lcg_range(int lo, int hi) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lo + (int)((lcg_state >> 8) % (unsigned)(hi - lo + 1));
}

static void run_and_check(const int im[IMG_H][IMG_W], const int kk[3][3]) {
    pix_t img[IMG_H][IMG_W];
    coef_t k[3][3];
    out_t out[OUT_H][OUT_W];
    for (int r = 0; r < IMG_H; r++)
        for (int c = 0; c < IMG_W; c++) img[r][c] = im[r][c];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) k[i][j] = kk[i][j];
    for (int r = 0; r < OUT_H; r++)
        for (int c = 0; c < OUT_W; c++) out[r][c] = 0;
    conv2d(img, k, out);
    long got[OUT_H * OUT_W], want[OUT_H * OUT_W];
    for (int r = 0; r < OUT_H; r++)
        for (int c = 0; c < OUT_W; c++) {
            long s = 0;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) s += (long)kk[i][j] * im[r + i][c + j];
            want[r * OUT_W + c] = s;
            got[r * OUT_W + c] = (long)out[r][c].to_int();
        }
    DUCKFIX_CHECK_ARRAY_EQ(got, want, OUT_H * OUT_W);
}

DUCKFIX_CASE(box_filter_random) {
    int im[IMG_H][IMG_W], kk[3][3];
    lcg_state = 3;
    for (int r = 0; r < IMG_H; r++)
        for (int c = 0; c < IMG_W; c++) im[r][c] = lcg_range(0, 255);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) kk[i][j] = 1;
    run_and_check(im, kk);
}

DUCKFIX_CASE(vertical_gradient) {
    int im[IMG_H][IMG_W];
    const int kk[3][3] = {{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}};
    for (int r = 0; r < IMG_H; r++)
        for (int c = 0; c < IMG_W; c++) im[r][c] = (r * r * 3 + c) % 256;
    run_and_check(im, kk);
}

DUCKFIX_CASE(random_kernel_random_image) {
    int im[IMG_H][IMG_W], kk[3][3];
    lcg_state = 777;
    for (int r = 0; r < IMG_H; r++)
        for (int c = 0; c < IMG_W; c++) im[r][c] = lcg_range(0, 255);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) kk[i][j] = lcg_range(-128, 127);
    run_and_check(im, kk);
}

DUCKFIX_CASE(constant_image) {
    int im[IMG_H][IMG_W];
    const int kk[3][3] = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
    for (int r = 0; r < IMG_H; r++)
        for (int c = 0; c < IMG_W; c++) im[r][c] = 200;
    run_and_check(im, kk);
}

DUCKFIX_MAIN
