#ifndef KMEANS_STEP_H
#define KMEANS_STEP_H
#include <ap_fixed.h>
#include <ap_int.h>

#define NPTS 32
#define KC 4
#define DIM 2

typedef ap_fixed<16, 8> coord_t;
typedef ap_fixed<17, 9> diff_t;
typedef ap_fixed<36, 20> dist_t;   // squared distance, exact
typedef ap_fixed<24, 16> sum_t;    // sum of up to NPTS coordinates, exact
typedef ap_uint<6> count_t;
typedef ap_uint<2> label_t;

// One k-means step: label[p] = nearest centroid of points[p] (ties go to the
// lowest index), cent_out[k] = mean of the points labelled k, or cent_in[k]
// when the cluster is empty.
void kmeans_step(const coord_t points[NPTS][DIM], const coord_t cent_in[KC][DIM],
                 coord_t cent_out[KC][DIM], label_t label[NPTS]);
#endif
