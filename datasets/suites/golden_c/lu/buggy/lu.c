/* lu: solve linear systems A x = b by LU decomposition with partial pivoting.
 *
 *     lu [-v] [-i] [-p DECIMALS] < system
 *
 * The input holds n, then the n x n matrix A row by row, then one or more
 * right-hand sides b (n numbers each).  For each b the solution x and the
 * residual |A x - b| (max norm) are printed; with -v also the permutation,
 * L, U and det(A), with -i the inverse and the condition number.  A singular matrix (a pivot below 1e-12) is reported.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_N 32
#define EPS 1e-12

static double a[MAX_N][MAX_N];   /* the input matrix, kept for residuals */
static double lu[MAX_N][MAX_N];  /* L below the diagonal (unit diagonal), U on and above */
static int perm[MAX_N];
static int swaps;
static int decimals = 6;

static int read_matrix(int *n) {
    if (scanf("%d", n) != 1) return -1;
    if (*n < 1 || *n > MAX_N) return -2;
    for (int i = 0; i < *n; i++)
        for (int j = 0; j < *n; j++)
            if (scanf("%lf", &a[i][j]) != 1) return -3;
    return 0;
}

static int read_vector(int n, double *b) {
    for (int i = 0; i < n; i++)
        if (scanf("%lf", &b[i]) != 1) return i == 0 ? 0 : -1;
    return 1;
}

static void print_row(const double *row, int n) {
    for (int j = 0; j < n; j++) {
        double v = row[j];
        if (fabs(v) < 0.5 * pow(10, -decimals)) v = 0.0; /* no "-0.000000" */
        printf("%s%.*f", j ? " " : "", decimals, v);
    }
    putchar('\n');
}

/* Doolittle with row pivoting: P A = L U.  Returns the first singular column, or -1. */
static int decompose(int n) {
    memcpy(lu, a, sizeof lu);
    swaps = 0;
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int k = 0; k < n; k++) {
        int p = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(lu[i][k]) > fabs(lu[p][k])) p = i;
        if (fabs(lu[p][k]) < EPS) return k;
        if (p != k) {
            double tmp[MAX_N];
            memcpy(tmp, lu[p], sizeof tmp);
            memcpy(lu[p], lu[k], sizeof tmp);
            memcpy(lu[k], tmp, sizeof tmp);
            int t = perm[p];
            perm[p] = perm[k];
            perm[k] = t;
            swaps++;
        }
        for (int i = k + 1; i < n; i++) {
            lu[i][k] /= lu[k][k];
            for (int j = k + 1; j < n; j++) lu[i][j] -= lu[i][k] * lu[k][j];
        }
    }
    return -1;
}

static double determinant(int n) {
    double det = swaps % 2 ? -1.0 : 1.0;
    for (int i = 0; i < n; i++) det *= lu[i][i];
    return det;
}

static void print_factors(int n) {
    double row[MAX_N];
    printf("permutation:");
    for (int i = 0; i < n; i++) printf(" %d", perm[i]);
    printf("\nL:\n");
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) row[j] = j < i ? lu[i][j] : (i == j ? 1.0 : 0.0);
        print_row(row, n);
    }
    printf("U:\n");
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) row[j] = j >= i ? lu[i][j] : 0.0;
        print_row(row, n);
    }
    printf("det: %.*g\n", decimals, determinant(n));
}

/* Forward substitution with L (unit diagonal), then back substitution with U. */
static void solve(int n, const double *b, double *x) {
    double y[MAX_N];
    for (int i = 0; i < n; i++) {
        double s = b[perm[i]];
        for (int j = 0; j < i - 1; j++) s -= lu[i][j] * y[j];
        y[i] = s;
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = y[i];
        for (int j = i + 1; j < n; j++) s -= lu[i][j] * x[j];
        x[i] = s / lu[i][i];
    }
}

static double residual(int n, const double *b, const double *x) {
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        double s = -b[i];
        for (int j = 0; j < n; j++) s += a[i][j] * x[j];
        if (fabs(s) > worst) worst = fabs(s);
    }
    return worst;
}

/* The inverse, column by column: A^-1 e_j.  Also the 1-norm condition number. */
static void print_inverse(int n) {
    static double inv[MAX_N][MAX_N];
    double e[MAX_N], col[MAX_N];
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < n; i++) e[i] = i == j ? 1.0 : 0.0;
        solve(n, e, col);
        for (int i = 0; i < n; i++) inv[i][j] = col[i];
    }
    printf("inverse:\n");
    for (int i = 0; i < n; i++) print_row(inv[i], n);
    double norm_a = 0.0, norm_inv = 0.0;
    for (int j = 0; j < n; j++) {
        double sa = 0.0, si = 0.0;
        for (int i = 0; i < n; i++) {
            sa += fabs(a[i][j]);
            si += fabs(inv[i][j]);
        }
        if (sa > norm_a) norm_a = sa;
        if (si > norm_inv) norm_inv = si;
    }
    printf("condition (1-norm): %.*g\n", decimals, norm_a * norm_inv);
}

static int usage(void) {
    fprintf(stderr, "usage: lu [-v] [-i] [-p DECIMALS] < system\n");
    return 2;
}

int main(int argc, char **argv) {
    int verbose = 0, inverse = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else if (strcmp(argv[i], "-i") == 0) {
            inverse = 1;
        } else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
            decimals = atoi(argv[++i]);
            if (decimals < 0 || decimals > 15) return usage();
        } else {
            return usage();
        }
    }
    int n;
    int status = read_matrix(&n);
    if (status == -2) {
        printf("n must be between 1 and %d\n", MAX_N);
        return 1;
    }
    if (status < 0) {
        printf("malformed input: expected n and an n x n matrix\n");
        return 1;
    }
    int singular = decompose(n);
    if (singular >= 0) {
        printf("singular matrix: no pivot in column %d\n", singular);
        return 1;
    }
    if (verbose) print_factors(n);
    if (inverse) print_inverse(n);
    double b[MAX_N], x[MAX_N];
    int systems = 0;
    for (;;) {
        int got = read_vector(n, b);
        if (got == 0) break;
        if (got < 0) {
            printf("malformed input: a right-hand side needs %d numbers\n", n);
            return 1;
        }
        solve(n, b, x);
        systems++;
        printf("x%d:", systems);
        for (int i = 0; i < n; i++) {
            double v = fabs(x[i]) < 0.5 * pow(10, -decimals) ? 0.0 : x[i];
            printf(" %.*f", decimals, v);
        }
        printf("\nresidual%d: %.2e\n", systems, residual(n, b, x) < 1e-9 ? 0.0 : residual(n, b, x));
    }
    if (!systems) printf("no right-hand side given\n");
    return 0;
}
