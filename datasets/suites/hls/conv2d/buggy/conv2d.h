#ifndef CONV2D_H
#define CONV2D_H
#include <ap_int.h>

#define IMG_H 8
#define IMG_W 10
#define OUT_H (IMG_H - 2)
#define OUT_W (IMG_W - 2)

typedef ap_uint<8> pix_t;
typedef ap_int<8> coef_t;
typedef ap_int<20> out_t;

void conv2d(const pix_t img[IMG_H][IMG_W], const coef_t k[3][3], out_t out[OUT_H][OUT_W]);
#endif
