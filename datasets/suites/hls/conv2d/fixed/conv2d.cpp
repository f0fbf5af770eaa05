#include "conv2d.h"

/* Shift the 3x3 window one column left and put the new column on the right:
   top is from row r-2, mid from row r-1, bot from the current row r. */
static void shift_window(pix_t win[3][3], pix_t top, pix_t mid, pix_t bot) {
#pragma HLS INLINE
    for (int i = 0; i < 3; i++) {
#pragma HLS UNROLL
        win[i][0] = win[i][1];
        win[i][1] = win[i][2];
    }
    win[0][2] = top;
    win[1][2] = mid;
    win[2][2] = bot;
}

void conv2d(const pix_t img[IMG_H][IMG_W], const coef_t k[3][3], out_t out[OUT_H][OUT_W]) {
#pragma HLS ARRAY_PARTITION variable=k type=complete dim=0
    pix_t line[2][IMG_W]; /* line[0]: row r-2, line[1]: row r-1 */
#pragma HLS ARRAY_PARTITION variable=line type=complete dim=1
    pix_t win[3][3];
#pragma HLS ARRAY_PARTITION variable=win type=complete dim=0
    for (int c = 0; c < IMG_W; c++) {
        line[0][c] = 0;
        line[1][c] = 0;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) win[i][j] = 0;
ROWS:
    for (int r = 0; r < IMG_H; r++) {
    COLS:
        for (int c = 0; c < IMG_W; c++) {
#pragma HLS PIPELINE II=1
            pix_t pix = img[r][c];
            shift_window(win, line[0][c], line[1][c], pix);
            line[0][c] = line[1][c];
            line[1][c] = pix;
            if (r >= 2 && c >= 2) {
                out_t acc = 0;
            MAC:
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++) acc += k[i][j] * win[i][j];
                out[r - 2][c - 2] = acc;
            }
        }
    }
}
