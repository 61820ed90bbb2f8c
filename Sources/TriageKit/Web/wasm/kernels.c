// The offline runtime's WebAssembly kernels (triage.js embeds the modules this builds; see
// tools/build-wasm). Conv2D without im2col, on an input already zero-padded:
//   out (P, F) = bias (F) + taps (P, K) x wt (K, F),  K = KH KW C
// P = OH OW output pixels, F filters; row-major float32, the weight transposed so the inner loop
// reads 8 filters of one k as two 128-bit vectors. Pixel p's row of taps is never copied out: in
// the padded (Hp, Wp, C) input the KW C values of one kernel row are contiguous, so the loop walks
// them in place, in the k order (KH, KW, C) of the im2col product it replaces. Sums run in float32
// in k order, as a float32 BLAS sums; triage.js keeps the scalar JavaScript product (float64 sums)
// as its fallback and as the oracle its tests compare this with.
//
// Built twice: plain 128-bit SIMD (a multiply then an add, as before), and with -DTRIAGE_FMA and
// -mrelaxed-simd, where each step is f32x4.relaxed_madd (one fused multiply-add on CPUs that have
// it, as OpenBLAS's float32 kernels use): twice the arithmetic per instruction, the rounding of one
// product per step left out.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

#ifdef TRIAGE_FMA
#define MADD(s, u, w) wasm_f32x4_relaxed_madd(u, w, s)
#else
#define MADD(s, u, w) wasm_f32x4_add(s, wasm_f32x4_mul(u, w))
#endif

/// 4 pixels x 8 filters: 8 accumulators, 2 weight loads and 4 splats per k. a0...a3 point at each
/// pixel's first tap; row = Wp C floats between kernel rows; run = KW C taps per kernel row; F floats
/// between the weights of one k and the next; no bias (null) starts the sums at zero.
static void block4x8(const float *a0, const float *a1, const float *a2, const float *a3, int KH, int row, int run,
                     const float *wt, int F, const float *bias, float *o0, float *o1, float *o2, float *o3, int f) {
  v128_t b0 = bias ? wasm_v128_load(bias + f) : wasm_f32x4_splat(0), b1 = bias ? wasm_v128_load(bias + f + 4) : b0;
  v128_t s00 = b0, s01 = b1, s10 = b0, s11 = b1, s20 = b0, s21 = b1, s30 = b0, s31 = b1;
  const float *w = wt + f;
  for (int i = 0; i < KH; i++, a0 += row, a1 += row, a2 += row, a3 += row) {
    for (int k = 0; k < run; k++, w += F) {
      v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
      v128_t u0 = wasm_f32x4_splat(a0[k]), u1 = wasm_f32x4_splat(a1[k]), u2 = wasm_f32x4_splat(a2[k]), u3 = wasm_f32x4_splat(a3[k]);
      s00 = MADD(s00, u0, w0); s01 = MADD(s01, u0, w1);
      s10 = MADD(s10, u1, w0); s11 = MADD(s11, u1, w1);
      s20 = MADD(s20, u2, w0); s21 = MADD(s21, u2, w1);
      s30 = MADD(s30, u3, w0); s31 = MADD(s31, u3, w1);
    }
  }
  wasm_v128_store(o0 + f, s00); wasm_v128_store(o0 + f + 4, s01);
  wasm_v128_store(o1 + f, s10); wasm_v128_store(o1 + f + 4, s11);
  wasm_v128_store(o2 + f, s20); wasm_v128_store(o2 + f + 4, s21);
  wasm_v128_store(o3 + f, s30); wasm_v128_store(o3 + f + 4, s31);
}

/// One pixel x 4 filters.
static void block1x4(const float *a, int KH, int row, int run, const float *wt, int F, const float *bias, float *o, int f) {
  v128_t s = bias ? wasm_v128_load(bias + f) : wasm_f32x4_splat(0);
  const float *w = wt + f;
  for (int i = 0; i < KH; i++, a += row) {
    for (int k = 0; k < run; k++, w += F) s = MADD(s, wasm_f32x4_splat(a[k]), wasm_v128_load(w));
  }
  wasm_v128_store(o + f, s);
}

/// One pixel x one filter.
static void block1x1(const float *a, int KH, int row, int run, const float *wt, int F, const float *bias, float *o, int f) {
  float s = bias[f];
  const float *w = wt + f;
  for (int i = 0; i < KH; i++, a += row) {
    for (int k = 0; k < run; k++, w += F) s += a[k] * *w;
  }
  o[f] = s;
}

/// Pixel p's first tap in the padded input xp (Hp, Wp, C).
static const float *taps(const float *xp, int p, int OW, int Wp, int C, int SH, int SW) {
  return xp + ((p / OW) * SH * Wp + (p % OW) * SW) * C;
}

/// Batch norm in inference form after a Conv2D, in place on y (P, F): y scale + shift per filter in
/// float64, rounded to float32 (as the JavaScript batchnorm node computes it), then ReLU if `relu`.
static void affine(float *y, int P, int F, const double *scale, const double *shift, int relu) {
  for (int p = 0; p < P; p++, y += F) {
    for (int f = 0; f < F; f++) {
      float v = (float)((double)y[f] * scale[f] + shift[f]);
      y[f] = relu && v < 0 ? 0 : v;
    }
  }
}

/// Conv2D: out (OH OW, F) = bias (F) + the (KH, KW, C) windows of xp (Hp, Wp, C) at strides SH, SW
/// x wt (KH KW C, F); xp holds the padding's zeros, so every window lies inside it. A batch norm after
/// it (scale and shift (F) in float64; scale 0 for none) and a ReLU (relu != 0) run by `affine` on each
/// block of output rows as soon as it is written, while it is in the cache.
EXPORT("conv")
void conv(const float *xp, int Wp, int C, const float *wt, const float *bias, int F, int KH, int KW, int SH, int SW,
          int OH, int OW, float *out, const double *scale, const double *shift, int relu) {
  const int P = OH * OW, row = Wp * C, run = KW * C;
  int p = 0;
  for (; p + 4 <= P; p += 4) {
    const float *a0 = taps(xp, p, OW, Wp, C, SH, SW), *a1 = taps(xp, p + 1, OW, Wp, C, SH, SW);
    const float *a2 = taps(xp, p + 2, OW, Wp, C, SH, SW), *a3 = taps(xp, p + 3, OW, Wp, C, SH, SW);
    float *o0 = out + p * F, *o1 = o0 + F, *o2 = o1 + F, *o3 = o2 + F;
    int f = 0;
    for (; f + 8 <= F; f += 8) block4x8(a0, a1, a2, a3, KH, row, run, wt, F, bias, o0, o1, o2, o3, f);
    for (; f + 4 <= F; f += 4) {
      block1x4(a0, KH, row, run, wt, F, bias, o0, f); block1x4(a1, KH, row, run, wt, F, bias, o1, f);
      block1x4(a2, KH, row, run, wt, F, bias, o2, f); block1x4(a3, KH, row, run, wt, F, bias, o3, f);
    }
    for (; f < F; f++) {
      block1x1(a0, KH, row, run, wt, F, bias, o0, f); block1x1(a1, KH, row, run, wt, F, bias, o1, f);
      block1x1(a2, KH, row, run, wt, F, bias, o2, f); block1x1(a3, KH, row, run, wt, F, bias, o3, f);
    }
    if (scale) affine(o0, 4, F, scale, shift, relu);
  }
  for (; p < P; p++) {
    const float *a = taps(xp, p, OW, Wp, C, SH, SW);
    float *o = out + p * F;
    int f = 0;
    for (; f + 4 <= F; f += 4) block1x4(a, KH, row, run, wt, F, bias, o, f);
    for (; f < F; f++) block1x1(a, KH, row, run, wt, F, bias, o, f);
    if (scale) affine(o, 1, F, scale, shift, relu);
  }
}

// Winograd F(2x2, 3x3) (Lavin and Gray 2016, "Fast Algorithms for Convolutional Neural Networks"):
// a 3x3 stride-1 Conv2D as 16 products of (T, C) x (C, F) for T tiles of 2x2 output pixels, 16
// multiplies per tile and channel pair where the direct product has 36. The input tile d (4x4)
// becomes B^T d B, the filter g (3x3) G g G^T (done once, at load, in triage.js), the product m
// A^T m A; the transforms add and subtract only (G's halves are exact), so the sums differ from
// the direct product's by rounding alone. U (16, C, F) is the transformed weight, each of its 16
// (C, F) planes packed for gemmPacked.

/// V (16, T, C) = B^T d B of every 4x4 input tile d; tile t = (ty, tx) starts at (2 ty, 2 tx) of xp (Hp, Wp, C). C % 4 == 0.
static void winogradInput(const float *xp, int Wp, int C, int TH, int TW, float *V) {
  const int T = TH * TW, plane = T * C;
  for (int t = 0; t < T; t++) {
    const float *d = xp + (2 * (t / TW) * Wp + 2 * (t % TW)) * C;
    float *v = V + t * C;
    for (int c = 0; c < C; c += 4) {
      v128_t r[4][4], s[4][4];
      for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) r[i][j] = wasm_v128_load(d + (i * Wp + j) * C + c);
      // B^T d: rows.
      for (int j = 0; j < 4; j++) {
        s[0][j] = wasm_f32x4_sub(r[0][j], r[2][j]);
        s[1][j] = wasm_f32x4_add(r[1][j], r[2][j]);
        s[2][j] = wasm_f32x4_sub(r[2][j], r[1][j]);
        s[3][j] = wasm_f32x4_sub(r[1][j], r[3][j]);
      }
      // (B^T d) B: columns.
      for (int i = 0; i < 4; i++) {
        wasm_v128_store(v + (i * 4 + 0) * plane + c, wasm_f32x4_sub(s[i][0], s[i][2]));
        wasm_v128_store(v + (i * 4 + 1) * plane + c, wasm_f32x4_add(s[i][1], s[i][2]));
        wasm_v128_store(v + (i * 4 + 2) * plane + c, wasm_f32x4_sub(s[i][2], s[i][1]));
        wasm_v128_store(v + (i * 4 + 3) * plane + c, wasm_f32x4_sub(s[i][1], s[i][3]));
      }
    }
  }
}

/// Four float32 outputs of filters f...f+3 through a fused batch norm and ReLU (`affine`'s arithmetic:
/// y scale + shift in float64 rounded to float32, then y < 0 ? 0 : y by f32x4.pmax), or as they are
/// without a batch norm (scale 0).
static v128_t normalised(v128_t y, const double *scale, const double *shift, int relu, int f) {
  if (!scale) return y;
  const v128_t lo = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(y), wasm_v128_load(scale + f)), wasm_v128_load(shift + f));
  const v128_t hi = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(y, y, 2, 3, 0, 1)), wasm_v128_load(scale + f + 2)),
                                   wasm_v128_load(shift + f + 2));
  const v128_t v = wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5);
  return relu ? wasm_f32x4_pmax(v, wasm_f32x4_splat(0)) : v;
}

/// out (OH, OW, F) = bias + A^T m A of every tile's 16 products M (16, T, F), the pixels inside the
/// output only, through `normalised`. F % 4 == 0. With `pooled`, out is instead the 2x2 stride-2 max
/// pool of that output, (OH / 2, OW / 2, F): each tile's 4 pixels are one window (a tile past the last
/// whole window, at an odd edge, gives none), taken in `pool`'s order and arithmetic.
static void winogradOutput(const float *M, int T, int TW, int F, const float *bias, int OH, int OW, float *out,
                           const double *scale, const double *shift, int relu, int pooled) {
  const int plane = T * F;
  for (int t = 0; t < T; t++) {
    const int oy = 2 * (t / TW), ox = 2 * (t % TW);
    const float *m = M + t * F;
    if (pooled && (oy + 1 >= OH || ox + 1 >= OW)) continue;
    for (int f = 0; f < F; f += 4) {
      v128_t r[4][4], s[2][4], y[2][2];
      for (int i = 0; i < 16; i++) r[i / 4][i % 4] = wasm_v128_load(m + i * plane + f);
      for (int j = 0; j < 4; j++) {
        s[0][j] = wasm_f32x4_add(wasm_f32x4_add(r[0][j], r[1][j]), r[2][j]);
        s[1][j] = wasm_f32x4_sub(wasm_f32x4_sub(r[1][j], r[2][j]), r[3][j]);
      }
      const v128_t b = wasm_v128_load(bias + f);
      for (int i = 0; i < 2; i++) {
        y[i][0] = normalised(wasm_f32x4_add(b, wasm_f32x4_add(wasm_f32x4_add(s[i][0], s[i][1]), s[i][2])), scale, shift, relu, f);
        y[i][1] = normalised(wasm_f32x4_add(b, wasm_f32x4_sub(wasm_f32x4_sub(s[i][1], s[i][2]), s[i][3])), scale, shift, relu, f);
      }
      if (pooled) {
        v128_t v = wasm_f32x4_splat(-__builtin_inff());
        for (int i = 0; i < 2; i++) v = wasm_f32x4_pmax(wasm_f32x4_pmax(v, y[i][0]), y[i][1]);
        wasm_v128_store(out + ((oy / 2) * (OW / 2) + ox / 2) * F + f, v);
        continue;
      }
      for (int i = 0; i < 2 && oy + i < OH; i++) {
        float *o = out + ((oy + i) * OW + ox) * F + f;
        wasm_v128_store(o, y[i][0]);
        if (ox + 1 < OW) wasm_v128_store(o + F, y[i][1]);
      }
    }
  }
}

/// M (T, F) = V (T, C) x U (C, F), F % 4 == 0, with U packed in blocks of 8 filters: block b holds U[c][8b ... 8b+7]
/// for c = 0...C-1 one after the other (8 C floats), then a last block of 4 filters (4 C floats) when F % 8 == 4, so
/// that the 4 pixels x 8 filters loop reads the weight in order. Sums in c order from zero, as `conv` with zero bias.
static void gemmPacked(const float *V, int T, int C, const float *U, int F, float *M) {
  // block4x8 and block1x4 read the weights of filter f at wt + f: wt is offset by -f to the block.
  int t = 0;
  for (; t + 4 <= T; t += 4) {
    const float *a0 = V + t * C, *a1 = a0 + C, *a2 = a1 + C, *a3 = a2 + C;
    float *o0 = M + t * F, *o1 = o0 + F, *o2 = o1 + F, *o3 = o2 + F;
    int f = 0;
    for (; f + 8 <= F; f += 8) block4x8(a0, a1, a2, a3, 1, 0, C, U + f * C - f, 8, 0, o0, o1, o2, o3, f);
    if (f < F) {
      const float *wt = U + f * C - f;
      block1x4(a0, 1, 0, C, wt, 4, 0, o0, f); block1x4(a1, 1, 0, C, wt, 4, 0, o1, f);
      block1x4(a2, 1, 0, C, wt, 4, 0, o2, f); block1x4(a3, 1, 0, C, wt, 4, 0, o3, f);
    }
  }
  for (; t < T; t++) {
    for (int f = 0; f < F; f += 4) {
      const int lane = f % 8, width = f - lane + 8 <= F ? 8 : 4;
      block1x4(V + t * C, 1, 0, C, U + (f - lane) * C + lane - f, width, 0, M + t * F, f);
    }
  }
}

/// A 3x3 stride-1 Conv2D by Winograd F(2x2, 3x3): out (OH, OW, F) from xp (Hp, Wp, C), Hp >= 2 ceil(OH / 2) + 2 and
/// Wp >= 2 ceil(OW / 2) + 2 (zeros past the input), U (16, C, F) the transformed weight (packed),
/// V (16, T, C) and M (16, T, F) scratch. C and F multiples of 4. A batch norm after it (scale and shift
/// (F) in float64, scale 0 for none) and a ReLU (relu != 0) run as `affine` runs them, fused; then, with
/// `pooled`, a 2x2 stride-2 max pool (out is then (OH / 2, OW / 2, F)).
EXPORT("winograd")
void winograd(const float *xp, int Wp, int C, const float *U, const float *bias, int F, int OH, int OW,
              float *V, float *M, float *out, const double *scale, const double *shift, int relu, int pooled) {
  const int TH = (OH + 1) / 2, TW = (OW + 1) / 2, T = TH * TW;
  winogradInput(xp, Wp, C, TH, TW, V);
  // Each of the 16 products is a 1x1 convolution of T pixels.
  for (int x = 0; x < 16; x++) gemmPacked(V + x * T * C, T, C, U + x * C * F, F, M + x * T * F);
  winogradOutput(M, T, TW, F, bias, OH, OW, out, scale, shift, relu, pooled);
}

/// Pool2D, windows inside the image only: out (OH, OW, C) = the maximum (max != 0) or the mean of
/// each KH x KW window of x (H, W, C) at strides SH, SW. The mean sums in float64 and scales by
/// 1 / (KH KW), as the JavaScript pool2d node does. Four channels at a time: the maximum by
/// f32x4.pmax (b < s ? s : b, the scalar `if (s > v) v = s` lane by lane, NaN and signed zeros
/// included), the mean in two f64x2 halves summed in the same order as the scalar loop.
EXPORT("pool")
void pool(const float *x, int W, int C, int KH, int KW, int SH, int SW, int OH, int OW, int max, float *out) {
  const double scale = 1.0 / (KH * KW);
  const v128_t scale2 = wasm_f64x2_splat(scale);
  for (int oy = 0; oy < OH; oy++) {
    for (int ox = 0; ox < OW; ox++, out += C) {
      const float *w = x + (oy * SH * W + ox * SW) * C;
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        if (max) {
          v128_t v = wasm_f32x4_splat(-__builtin_inff());
          for (int i = 0; i < KH; i++) for (int j = 0; j < KW; j++) v = wasm_f32x4_pmax(v, wasm_v128_load(w + (i * W + j) * C + c));
          wasm_v128_store(out + c, v);
        } else {
          v128_t lo = wasm_f64x2_splat(0), hi = lo;
          for (int i = 0; i < KH; i++) {
            for (int j = 0; j < KW; j++) {
              const v128_t s = wasm_v128_load(w + (i * W + j) * C + c);
              lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(s));
              hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(s, s, 2, 3, 0, 1)));
            }
          }
          const v128_t a = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_mul(lo, scale2)), b = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_mul(hi, scale2));
          wasm_v128_store(out + c, wasm_i32x4_shuffle(a, b, 0, 1, 4, 5));
        }
      }
      for (; c < C; c++) {
        if (max) {
          float v = -__builtin_inff();
          for (int i = 0; i < KH; i++) for (int j = 0; j < KW; j++) { float s = w[(i * W + j) * C + c]; if (s > v) v = s; }
          out[c] = v;
        } else {
          double v = 0;
          for (int i = 0; i < KH; i++) for (int j = 0; j < KW; j++) v += w[(i * W + j) * C + c];
          out[c] = (float)(v * scale);
        }
      }
    }
  }
}
