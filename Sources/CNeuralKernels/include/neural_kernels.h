#ifndef TRIAGE_NEURAL_KERNELS_H
#define TRIAGE_NEURAL_KERNELS_H
// Element-wise kernels of the Neural engine that dominate LSTM training. Each is compiled
// for AVX-512, AVX2 and baseline x86-64 (target_clones); the loader picks one for the CPU.
// Swift itself compiles for baseline x86-64 only. Imported by Neural/Kernels.swift alone.

// One LSTM step for one row: z holds the pre-activations [i f g o] (4n); activates them in
// place and writes c = f*cPrev + i*g, tanhC = tanh(c), h = o*tanhC. cPrev may be NULL (zeros).
void nk_lstm_cell_forward(float *z, const float *cPrev, float *c, float *tanhC, float *h, long n);

// Backward of one step for one row: a = activated gates, dz = gate pre-activation gradients
// (out), dh (read, then zeroed), dc (read, replaced by dc(t-1)). cPrev may be NULL.
void nk_lstm_cell_backward(const float *a, float *dz, const float *cPrev, const float *tanhC,
                           float *dh, float *dc, long n);

// y = sigmoid(x) and y = tanh(x) element-wise (y may equal x).
void nk_sigmoid(const float *x, float *y, long n);
void nk_tanh(const float *x, float *y, long n);

// C (m x n, row stride ldc) += A (m x k, row stride lda) * B (k x n, row stride ldb) by kernel
// level `level` (2 AVX-512, 1 AVX2 + FMA), for the small products of the LSTM recurrence (m <= 64,
// n and k a few hundred), where OpenBLAS spends as long packing B as multiplying, and for direct
// convolutions: no operand is packed, so the rows of A (or B) may overlap (lda < k: the sliding
// windows of a sequence, read in place). Each element of C adds its k products in order with
// fused multiply-adds, so both levels give the same bits. AVX-512 covers 32 columns a block (the
// rest scalar); AVX2 16 a block, then 8, then scalar. Keep k small (the caller blocks it) so a
// k x 32 panel of B stays in L1. Returns 0 (and does nothing) when the CPU lacks that level or
// level is 0.
int nk_gemm_accumulate_level(int level, long m, long n, long k, const float *a, long lda, const float *b,
                             long ldb, float *c, long ldc);

// One Adam (or AdamW) update of n weights: g' = g + l2 w; m = b1 m + (1 - b1) g';
// v = b2 v + (1 - b2) g'^2; w = shrink w - step m / (sqrt(v) invSqrtBc2 + eps).
void nk_adam(float *w, const float *g, float *m, float *v, long n, float b1, float b2, float step,
             float invSqrtBc2, float eps, float l2, float shrink);

// Max pooling of one image x (ih, iw, c) over windows kh x kw with steps sh, sw into out
// (oh, ow, c); arg gets each maximum's pixel index within the image (first maximum on ties).
void nk_maxpool2d(const float *x, long ih, long iw, long c, long kh, long kw, long sh, long sw,
                  long oh, long ow, float *out, float *arg);

// Its backward for one image: dx (ih, iw, c) += dy (oh, ow, c) routed to the arg-max pixels.
void nk_maxpool2d_backward(const float *dy, const float *arg, long c, long oh, long ow, float *dx);

// The best level of nk_gemm_accumulate this CPU runs: 2 AVX-512, 1 AVX2 + FMA, 0 none.
int nk_gemm_level(void);

#endif
