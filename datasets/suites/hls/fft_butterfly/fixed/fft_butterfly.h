#ifndef FFT_BUTTERFLY_H
#define FFT_BUTTERFLY_H

#define LOGN 4
#define FFT_N (1 << LOGN)

// One radix-2 DIT stage (stage = 0 .. LOGN-1) over split real / imaginary
// arrays. Applying stages 0, 1, ..., LOGN-1 to bit-reversed input yields the
// forward DFT X[k] = sum_n x[n] * exp(-2*pi*i*k*n/FFT_N).
void fft_butterfly(const float in_re[FFT_N], const float in_im[FFT_N], float out_re[FFT_N],
                   float out_im[FFT_N], int stage);
#endif
