// The offline runtime's WebAssembly kernel (triage.js embeds the module this builds; see
// tools/build-wasm). One product, the heart of Conv2D after im2col:
//   out (P, F) = bias (F) + a (P, K) x wt (K, F)
// P pixels, K = KH KW C values per pixel, F filters; row-major float32, the weight transposed so
// the inner loop reads 8 filters of one k as two 128-bit vectors. Sums run in float32 in k order,
// as a float32 BLAS sums; triage.js keeps the scalar JavaScript product (float64 sums) as its
// fallback and as the oracle its tests compare this with.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

/// 4 pixels x 8 filters per step: 8 accumulators, 2 weight loads and 4 splats per k.
static void block4x8(const float *a, int K, const float *wt, int F, const float *bias, float *out, int f) {
  v128_t b0 = wasm_v128_load(bias + f), b1 = wasm_v128_load(bias + f + 4);
  v128_t s00 = b0, s01 = b1, s10 = b0, s11 = b1, s20 = b0, s21 = b1, s30 = b0, s31 = b1;
  const float *a0 = a, *a1 = a + K, *a2 = a + 2 * K, *a3 = a + 3 * K;
  for (int k = 0; k < K; k++) {
    const float *w = wt + k * F + f;
    v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
    v128_t u0 = wasm_f32x4_splat(a0[k]), u1 = wasm_f32x4_splat(a1[k]), u2 = wasm_f32x4_splat(a2[k]), u3 = wasm_f32x4_splat(a3[k]);
    s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(u0, w0)); s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(u0, w1));
    s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(u1, w0)); s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(u1, w1));
    s20 = wasm_f32x4_add(s20, wasm_f32x4_mul(u2, w0)); s21 = wasm_f32x4_add(s21, wasm_f32x4_mul(u2, w1));
    s30 = wasm_f32x4_add(s30, wasm_f32x4_mul(u3, w0)); s31 = wasm_f32x4_add(s31, wasm_f32x4_mul(u3, w1));
  }
  wasm_v128_store(out + f, s00); wasm_v128_store(out + f + 4, s01);
  wasm_v128_store(out + F + f, s10); wasm_v128_store(out + F + f + 4, s11);
  wasm_v128_store(out + 2 * F + f, s20); wasm_v128_store(out + 2 * F + f + 4, s21);
  wasm_v128_store(out + 3 * F + f, s30); wasm_v128_store(out + 3 * F + f + 4, s31);
}

/// One pixel x 4 filters.
static void block1x4(const float *a, int K, const float *wt, int F, const float *bias, float *out, int f) {
  v128_t s = wasm_v128_load(bias + f);
  for (int k = 0; k < K; k++) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_f32x4_splat(a[k]), wasm_v128_load(wt + k * F + f)));
  wasm_v128_store(out + f, s);
}

/// One pixel x one filter.
static void block1x1(const float *a, int K, const float *wt, int F, const float *bias, float *out, int f) {
  float s = bias[f];
  for (int k = 0; k < K; k++) s += a[k] * wt[k * F + f];
  out[f] = s;
}

/// out (P, F) = bias (F) + a (P, K) x wt (K, F).
EXPORT("gemm")
void gemm(const float *a, const float *wt, const float *bias, float *out, int P, int K, int F) {
  int p = 0;
  for (; p + 4 <= P; p += 4) {
    const float *ap = a + p * K;
    float *op = out + p * F;
    int f = 0;
    for (; f + 8 <= F; f += 8) block4x8(ap, K, wt, F, bias, op, f);
    for (; f + 4 <= F; f += 4) for (int r = 0; r < 4; r++) block1x4(ap + r * K, K, wt, F, bias, op + r * F, f);
    for (; f < F; f++) for (int r = 0; r < 4; r++) block1x1(ap + r * K, K, wt, F, bias, op + r * F, f);
  }
  for (; p < P; p++) {
    int f = 0;
    for (; f + 4 <= F; f += 4) block1x4(a + p * K, K, wt, F, bias, out + p * F, f);
    for (; f < F; f++) block1x1(a + p * K, K, wt, F, bias, out + p * F, f);
  }
}
