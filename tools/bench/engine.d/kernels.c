// Single-core rate of Triage's unpacked kernels (nk_gemm_accumulate_level, AVX2 and AVX-512, in K
// blocks of 128 as the engine calls them) against OpenBLAS's sgemm on the LSTM's and the
// convolutions' product shapes; best of 50 short runs, so a loaded machine's preemptions drop out.
// A level the CPU lacks prints 0 (the kernel returns without running).
//   clang -O2 -ISources/CNeuralKernels/include tools/bench/engine.d/kernels.c \
//     Sources/CNeuralKernels/neural_kernels.c -lopenblas -lm -o /tmp/kernels
//   OPENBLAS_CORETYPE=Haswell /tmp/kernels    # OpenBLAS as an AVX2-only CPU runs it (or SkylakeX)
#include "neural_kernels.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// C (m, n) += A (m, k) B (k, n) at `level` (0 OpenBLAS), row-major and contiguous.
static int product(int level, long m, long n, long k, const float *a, const float *b, float *c) {
    if (level == 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 1, c, n);
        return 1;
    }
    for (long p = 0; p < k; p += 128) {
        long depth = k - p < 128 ? k - p : 128;
        if (!nk_gemm_accumulate_level(level, m, n, depth, a + p, k, b + p * n, n, c, n)) return 0;
    }
    return 1;
}

int main(void) {
    openblas_set_num_threads(1);
    // LSTM backward and forward recurrence (rows per core x ...), cnn2d's second and first convolution.
    const long shapes[][3] = {{32, 128, 512}, {32, 512, 128}, {256, 64, 288}, {64, 288, 256}, {256, 32, 9}};
    const char *names[] = {"openblas", "avx2", "avx512"};
    for (int s = 0; s < 5; s++) {
        long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = calloc(m * k, 4), *b = calloc(k * n, 4), *c = calloc(m * n, 4);
        if (!a || !b || !c) return 1;
        for (long i = 0; i < m * k; i++) a[i] = (float)(i % 7) * 0.1f;
        for (long i = 0; i < k * n; i++) b[i] = (float)(i % 5) * 0.1f;
        int reps = (int)(3e6 / (2.0 * m * n * k)) + 1;  // about 3 MFLOP a run
        double flops = 2.0 * m * n * k * reps;
        for (int level = 0; level < 3; level++) {
            double best = 1e9;
            int ran = 1;
            for (int r = 0; r < 50; r++) {
                double t = now();
                for (int i = 0; i < reps; i++) ran &= product(level, m, n, k, a, b, c);
                t = now() - t;
                if (t < best) best = t;
            }
            printf("%ldx%ldx%ld %-8s %6.1f GFLOP/s\n", m, n, k, names[level], ran ? flops / best / 1e9 : 0.0);
        }
        free(a); free(b); free(c);
    }
    return 0;
}
