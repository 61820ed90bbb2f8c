#include "neural_kernels.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

// exp(x) by the Cephes polynomial (about 2 ulp on [-87, 88], clamped outside); written so the
// compiler vectorises the loops that call it (no libm calls, no branches).
static inline float fast_exp(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    // Adding 1.5 * 2^23 rounds x / ln 2 to the nearest integer, which lands in the low mantissa bits.
    float shifted = x * 1.44269504088896341f + 12582912.0f;
    float fx = shifted - 12582912.0f;
    x = x - fx * 0.693359375f;
    x = x + fx * 2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * x * x + x + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, 4);
    int32_t scaleBits = (bits - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &scaleBits, 4);
    return y * scale;
}

static inline float sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }
static inline float tanh_(float x) { return 2.0f / (1.0f + fast_exp(-2.0f * x)) - 1.0f; }

CLONES void nk_lstm_cell_forward(float *restrict z, const float *restrict cPrev, float *restrict c,
                                 float *restrict tanhC, float *restrict h, long n) {
    float *zi = z, *zf = z + n, *zg = z + 2 * n, *zo = z + 3 * n;
    if (cPrev) {
        for (long j = 0; j < n; j++) {
            float i = sigmoid(zi[j]), f = sigmoid(zf[j]), g = tanh_(zg[j]), o = sigmoid(zo[j]);
            float cv = f * cPrev[j] + i * g, tc = tanh_(cv);
            zi[j] = i; zf[j] = f; zg[j] = g; zo[j] = o;
            c[j] = cv; tanhC[j] = tc; h[j] = o * tc;
        }
    } else {
        for (long j = 0; j < n; j++) {
            float i = sigmoid(zi[j]), f = sigmoid(zf[j]), g = tanh_(zg[j]), o = sigmoid(zo[j]);
            float cv = i * g, tc = tanh_(cv);
            zi[j] = i; zf[j] = f; zg[j] = g; zo[j] = o;
            c[j] = cv; tanhC[j] = tc; h[j] = o * tc;
        }
    }
}

CLONES void nk_lstm_cell_backward(const float *restrict a, float *restrict dz, const float *restrict cPrev,
                                  const float *restrict tanhC, float *restrict dh, float *restrict dc, long n) {
    const float *ai = a, *af = a + n, *ag = a + 2 * n, *ao = a + 3 * n;
    for (long j = 0; j < n; j++) {
        float i = ai[j], f = af[j], g = ag[j], o = ao[j], tc = tanhC[j], dhv = dh[j];
        float cp = cPrev ? cPrev[j] : 0.0f;
        float dcv = dc[j] + dhv * o * (1.0f - tc * tc);
        dz[j] = dcv * g * i * (1.0f - i);
        dz[n + j] = dcv * cp * f * (1.0f - f);
        dz[2 * n + j] = dcv * i * (1.0f - g * g);
        dz[3 * n + j] = dhv * tc * o * (1.0f - o);
        dc[j] = dcv * f;
        dh[j] = 0.0f;
    }
}

CLONES void nk_sigmoid(const float *x, float *y, long n) {
    for (long j = 0; j < n; j++) y[j] = sigmoid(x[j]);
}

CLONES void nk_tanh(const float *x, float *y, long n) {
    for (long j = 0; j < n; j++) y[j] = tanh_(x[j]);
}

CLONES void nk_adam(float *restrict w, const float *restrict g, float *restrict m, float *restrict v, long n,
                    float b1, float b2, float step, float invSqrtBc2, float eps, float l2, float shrink) {
    for (long i = 0; i < n; i++) {
        float gv = g[i] + l2 * w[i];
        float mv = b1 * m[i] + (1.0f - b1) * gv, vv = b2 * v[i] + (1.0f - b2) * gv * gv;
        m[i] = mv;
        v[i] = vv;
        w[i] = w[i] * shrink - step * mv / (__builtin_sqrtf(vv) * invSqrtBc2 + eps);
    }
}

CLONES void nk_maxpool2d(const float *restrict x, long ih, long iw, long c, long kh, long kw, long sh, long sw,
                         long oh, long ow, float *restrict out, float *restrict arg) {
    (void)ih;
    for (long y = 0; y < oh; y++) {
        for (long xo = 0; xo < ow; xo++) {
            float *o = out + (y * ow + xo) * c, *a = arg + (y * ow + xo) * c;
            long first = y * sh * iw + xo * sw;
            const float *src = x + first * c;
            for (long ch = 0; ch < c; ch++) { o[ch] = src[ch]; a[ch] = (float)first; }
            for (long i = 0; i < kh; i++) {
                for (long j = 0; j < kw; j++) {
                    if (i == 0 && j == 0) continue;
                    long pix = first + i * iw + j;
                    const float *v = x + pix * c;
                    float index = (float)pix;
                    for (long ch = 0; ch < c; ch++) {
                        int better = v[ch] > o[ch];
                        o[ch] = better ? v[ch] : o[ch];
                        a[ch] = better ? index : a[ch];
                    }
                }
            }
        }
    }
}

void nk_maxpool2d_backward(const float *restrict dy, const float *restrict arg, long c, long oh, long ow,
                           float *restrict dx) {
    for (long q = 0; q < oh * ow; q++) {
        const float *g = dy + q * c, *a = arg + q * c;
        for (long ch = 0; ch < c; ch++) dx[(long)a[ch] * c + ch] += g[ch];
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// Calls kernel(R, ...) for the rest (< 6) rows of a column block, R a constant so it unrolls.
#define GEMM_ROW_TAIL(kernel, rest, k, a, lda, b, ldb, c, ldc) \
    switch (rest) { \
    case 5: kernel(5, k, a, lda, b, ldb, c, ldc); break; \
    case 4: kernel(4, k, a, lda, b, ldb, c, ldc); break; \
    case 3: kernel(3, k, a, lda, b, ldb, c, ldc); break; \
    case 2: kernel(2, k, a, lda, b, ldb, c, ldc); break; \
    case 1: kernel(1, k, a, lda, b, ldb, c, ldc); break; \
    default: break; \
    }

// R rows (at most 6) x 32 columns of C in 2R AVX-512 registers; B's 32-column panel is reused by
// every block of rows (it stays in L1/L2), A is read one broadcast scalar at a time. Inlined with a
// constant R, the loops unroll and the accumulators stay in registers.
__attribute__((target("avx512f"), always_inline))
static inline void gemm_rows_avx512(const int R, long k, const float *A, long lda, const float *B, long ldb,
                                    float *C, long ldc) {
    __m512 c0[6], c1[6];
    for (int r = 0; r < R; r++) { c0[r] = _mm512_loadu_ps(C + r * ldc); c1[r] = _mm512_loadu_ps(C + r * ldc + 16); }
    for (long p = 0; p < k; p++) {
        __m512 b0 = _mm512_loadu_ps(B + p * ldb), b1 = _mm512_loadu_ps(B + p * ldb + 16);
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_set1_ps(A[r * lda + p]);
            c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
            c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
        }
    }
    for (int r = 0; r < R; r++) { _mm512_storeu_ps(C + r * ldc, c0[r]); _mm512_storeu_ps(C + r * ldc + 16, c1[r]); }
}

__attribute__((target("avx512f")))
static void gemm_accumulate_avx512(long m, long n, long k, const float *A, long lda, const float *B, long ldb,
                                   float *C, long ldc) {
    long j = 0;
    for (; j + 32 <= n; j += 32) {
        long i = 0;
        for (; i + 6 <= m; i += 6) gemm_rows_avx512(6, k, A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc);
        GEMM_ROW_TAIL(gemm_rows_avx512, m - i, k, A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc)
    }
    for (; j < n; j++) {
        for (long i = 0; i < m; i++) {
            float s = C[i * ldc + j];
            for (long p = 0; p < k; p++) s = __builtin_fmaf(A[i * lda + p], B[p * ldb + j], s);
            C[i * ldc + j] = s;
        }
    }
}

// The AVX2 + FMA version of the same kernel: R rows (at most 6) x 16 columns of C in 2R 256-bit
// registers (12 accumulators, 2 B vectors and the broadcast: 15 of the 16 registers).
__attribute__((target("avx2,fma"), always_inline))
static inline void gemm_rows_avx2(const int R, long k, const float *A, long lda, const float *B, long ldb,
                                  float *C, long ldc) {
    __m256 c0[6], c1[6];
    for (int r = 0; r < R; r++) { c0[r] = _mm256_loadu_ps(C + r * ldc); c1[r] = _mm256_loadu_ps(C + r * ldc + 8); }
    for (long p = 0; p < k; p++) {
        __m256 b0 = _mm256_loadu_ps(B + p * ldb), b1 = _mm256_loadu_ps(B + p * ldb + 8);
        for (int r = 0; r < R; r++) {
            __m256 av = _mm256_broadcast_ss(A + r * lda + p);
            c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
            c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
        }
    }
    for (int r = 0; r < R; r++) { _mm256_storeu_ps(C + r * ldc, c0[r]); _mm256_storeu_ps(C + r * ldc + 8, c1[r]); }
}

// R rows x 8 columns: the last 8 columns when n is not a multiple of 16.
__attribute__((target("avx2,fma"), always_inline))
static inline void gemm_rows8_avx2(const int R, long k, const float *A, long lda, const float *B, long ldb,
                                   float *C, long ldc) {
    __m256 c0[6];
    for (int r = 0; r < R; r++) c0[r] = _mm256_loadu_ps(C + r * ldc);
    for (long p = 0; p < k; p++) {
        __m256 b0 = _mm256_loadu_ps(B + p * ldb);
        for (int r = 0; r < R; r++) c0[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(A + r * lda + p), b0, c0[r]);
    }
    for (int r = 0; r < R; r++) _mm256_storeu_ps(C + r * ldc, c0[r]);
}

__attribute__((target("avx2,fma")))
static void gemm_accumulate_avx2(long m, long n, long k, const float *A, long lda, const float *B, long ldb,
                                 float *C, long ldc) {
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        long i = 0;
        for (; i + 6 <= m; i += 6) gemm_rows_avx2(6, k, A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc);
        GEMM_ROW_TAIL(gemm_rows_avx2, m - i, k, A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc)
    }
    if (j + 8 <= n) {
        long i = 0;
        for (; i + 6 <= m; i += 6) gemm_rows8_avx2(6, k, A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc);
        GEMM_ROW_TAIL(gemm_rows8_avx2, m - i, k, A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc)
        j += 8;
    }
    for (; j < n; j++) {
        for (long i = 0; i < m; i++) {
            float s = C[i * ldc + j];
            for (long p = 0; p < k; p++) s = __builtin_fmaf(A[i * lda + p], B[p * ldb + j], s);
            C[i * ldc + j] = s;
        }
    }
}

int nk_gemm_level(void) {
    static int level = -1;  // -1 unknown; every thread computes the same value
    int s = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (s < 0) {
        s = __builtin_cpu_supports("avx512f") ? 2 : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
        __atomic_store_n(&level, s, __ATOMIC_RELAXED);
    }
    return s;
}

int nk_gemm_accumulate_level(int level, long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                             float *c, long ldc) {
    if (level <= 0 || level > nk_gemm_level()) return 0;
    if (level == 2) gemm_accumulate_avx512(m, n, k, a, lda, b, ldb, c, ldc);
    else gemm_accumulate_avx2(m, n, k, a, lda, b, ldb, c, ldc);
    return 1;
}
#else
int nk_gemm_level(void) { return 0; }

int nk_gemm_accumulate_level(int level, long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                             float *c, long ldc) {
    (void)level; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc;
    return 0;
}

#endif
