// AVX2/FMA/F16C dot products. Every function carries the target attribute, so this file builds
// without -mavx2 and runs only where matmul.cc found the instructions at load time.
#include <immintrin.h>

#include <cstring>

#include "dot.h"
#include "kernels.h"

namespace pyagent {

#define PYAGENT_AVX2 __attribute__((target("avx2,fma,f16c")))

// The block scale, converted by the F16C instruction (same result as the table).
static PYAGENT_AVX2 inline float scale_of(const uint8_t* block) { return _cvtsh_ss(load_u16(block)); }

static PYAGENT_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The end of an f32 dot after its 32-wide steps: 8-wide steps into a0, the four accumulators
// summed pairwise, then the scalar tail. dot_f32_avx2 and every batched f32 kernel (both levels)
// end here, so a token gets the same bits alone (decode) as inside a batch (prefill, batched decode).
static PYAGENT_AVX2 inline float finish_f32(const uint8_t* wbytes, const float* x, int c, int cols, __m256 a0, __m256 a1, __m256 a2,
                                            __m256 a3) {
  const float* w = reinterpret_cast<const float*>(wbytes);
  for (; c + 8 <= cols; c += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), a0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; c < cols; c++) {
    float value;
    std::memcpy(&value, wbytes + c * 4, 4);
    sum += value * x[c];
  }
  return sum;
}

PYAGENT_AVX2 float dot_f32_avx2(const uint8_t* wbytes, const float* x, int cols) {
  const float* w = reinterpret_cast<const float*>(wbytes);
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int c = 0;
  for (; c + 32 <= cols; c += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 8), _mm256_loadu_ps(x + c + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 16), _mm256_loadu_ps(x + c + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 24), _mm256_loadu_ps(x + c + 24), a3);
  }
  return finish_f32(wbytes, x, c, cols, a0, a1, a2, a3);
}

static PYAGENT_AVX2 inline __m256 load_f16x8(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

PYAGENT_AVX2 float dot_f16_avx2(const uint8_t* w, const float* x, int cols) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int c = 0;
  for (; c + 32 <= cols; c += 32) {
    a0 = _mm256_fmadd_ps(load_f16x8(w + 2 * c), _mm256_loadu_ps(x + c), a0);
    a1 = _mm256_fmadd_ps(load_f16x8(w + 2 * c + 16), _mm256_loadu_ps(x + c + 8), a1);
    a2 = _mm256_fmadd_ps(load_f16x8(w + 2 * c + 32), _mm256_loadu_ps(x + c + 16), a2);
    a3 = _mm256_fmadd_ps(load_f16x8(w + 2 * c + 48), _mm256_loadu_ps(x + c + 24), a3);
  }
  for (; c + 8 <= cols; c += 8) a0 = _mm256_fmadd_ps(load_f16x8(w + 2 * c), _mm256_loadu_ps(x + c), a0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; c < cols; c++) sum += f16_to_f32(load_u16(w + 2 * c)) * x[c];
  return sum;
}

// Sum of the 32 int8 products of a and b as 8 int32 lanes, as floats. maddubs needs one unsigned
// operand, so multiply |a| by b carrying a's sign; pairs stay below 2 * 128 * 127, no saturation.
static PYAGENT_AVX2 inline __m256 dot_i8x32(__m256i a, __m256i b) {
  __m256i products = _mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(products, _mm256_set1_epi16(1)));
}

// One accumulator, blocks in order, then hsum: the same float operations as ggml's AVX2
// ggml_vec_dot_q8_0_q8_0, so a decode matvec gives llama.cpp's bits (checked against the shipped
// libggml-cpu). Bit-equality matters on q8 models: the next layer requantizes these outputs.
PYAGENT_AVX2 float dot_q8_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks) {
  __m256 acc = _mm256_setzero_ps();
  for (int b = 0; b < blocks; b++) {
    const uint8_t* w0 = w + b * kQ8Bytes;
    __m256 p0 = dot_i8x32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w0 + 2)),
                          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * kBlock)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w0) * xs[b]), p0, acc);
  }
  return hsum(acc);
}

// 16 packed bytes -> 32 int8 values in [-8, 7]: low nibbles are values 0..15, high nibbles 16..31.
static PYAGENT_AVX2 inline __m256i unpack_q4(const uint8_t* p) {
  __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i mask = _mm_set1_epi8(0x0f);
  __m128i low = _mm_and_si128(raw, mask);
  __m128i high = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
  return _mm256_sub_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1), _mm256_set1_epi8(8));
}

PYAGENT_AVX2 float dot_q4_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int b = 0;
  for (; b + 2 <= blocks; b += 2) {
    const uint8_t* w0 = w + b * kQ4Bytes;
    const uint8_t* w1 = w0 + kQ4Bytes;
    __m256 p0 = dot_i8x32(unpack_q4(w0 + 2), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * kBlock)));
    __m256 p1 = dot_i8x32(unpack_q4(w1 + 2), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + (b + 1) * kBlock)));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w0) * xs[b]), p0, acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w1) * xs[b + 1]), p1, acc1);
  }
  for (; b < blocks; b++) {
    const uint8_t* w0 = w + b * kQ4Bytes;
    __m256 p0 = dot_i8x32(unpack_q4(w0 + 2), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * kBlock)));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w0) * xs[b]), p0, acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

PYAGENT_AVX2 void quantize_q8_avx2(const float* x, int cols, int8_t* quants, float* scales) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  for (int b = 0; b < cols / kBlock; b++) {
    const float* xb = x + b * kBlock;
    __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8), v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
    __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign_mask, v0), _mm256_andnot_ps(sign_mask, v1)),
                             _mm256_max_ps(_mm256_andnot_ps(sign_mask, v2), _mm256_andnot_ps(sign_mask, v3)));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    float amax = _mm_cvtss_f32(h);
    scales[b] = f16_to_f32(f32_to_f16(amax / 127.0f));
    __m256 inverse = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    constexpr int kNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, inverse), kNearest));
    __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, inverse), kNearest));
    __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, inverse), kNearest));
    __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, inverse), kNearest));
    // packs interleave 128-bit lanes; the permute puts the 32 values back in order.
    __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
    packed = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(quants + b * kBlock), packed);
  }
}


// ---- several tokens against rows (prefill, batched decode): each weight is loaded once per tile ----

PYAGENT_AVX2 float finish_f32_avx2(const uint8_t* w, const float* x, int c, int cols, const float* acc) {
  return finish_f32(w, x, c, cols, _mm256_loadu_ps(acc), _mm256_loadu_ps(acc + 8), _mm256_loadu_ps(acc + 16), _mm256_loadu_ps(acc + 24));
}

// kRows rows x kTokens tokens with dot_f32_avx2's four accumulators per (row, token): a[j] takes
// columns c + 8j .. c + 8j + 7 of every 32-column step, through the same FMAs in the same order.
// The four are independent chains, so they are run one after another (pass j builds every a[j]),
// and the single dot's finish ends each pair: every output is the single dot's bits. A pass holds
// kRows x kTokens accumulators, the token vectors and one weight vector: 1 x 4 leaves most of the
// sixteen ymm registers free (no spills), and one row at a time keeps the weights one stream.
// A pass reads 32 of every 128 bytes, not a stream the hardware prefetchers follow: the first pass
// prefetches the rows this many rows ahead (the next tiles') into L2. A prefetch past the matrix
// never faults.
constexpr int kPrefetchRowsAvx2 = 8;

template <int kRows, int kTokens>
static PYAGENT_AVX2 void tile_f32_avx2(const uint8_t* w, size_t row_bytes, const float* x, int cols, float* out, size_t out_stride) {
  const int full = cols / 32 * 32;
  __m256 done[kRows][kTokens][4];
  for (int j = 0; j < 4; j++) {
    __m256 acc[kRows][kTokens];
    for (int r = 0; r < kRows; r++)
      for (int t = 0; t < kTokens; t++) acc[r][t] = _mm256_setzero_ps();
    for (int c = 8 * j; c < full; c += 32) {
      if (j == 0) {
        for (int r = 0; r < kRows; r++) {
          const char* ahead = reinterpret_cast<const char*>(w + (r + kPrefetchRowsAvx2) * row_bytes) + c * 4;
          _mm_prefetch(ahead, _MM_HINT_T1);
          _mm_prefetch(ahead + 64, _MM_HINT_T1);
        }
      }
      __m256 xv[kTokens];
      for (int t = 0; t < kTokens; t++) xv[t] = _mm256_loadu_ps(x + static_cast<size_t>(t) * cols + c);
      for (int r = 0; r < kRows; r++) {
        __m256 wv = _mm256_loadu_ps(reinterpret_cast<const float*>(w + r * row_bytes) + c);
        for (int t = 0; t < kTokens; t++) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
      }
    }
    for (int r = 0; r < kRows; r++)
      for (int t = 0; t < kTokens; t++) done[r][t][j] = acc[r][t];
  }
  for (int r = 0; r < kRows; r++) {
    for (int t = 0; t < kTokens; t++) {
      out[t * out_stride + r] = finish_f32(w + r * row_bytes, x + static_cast<size_t>(t) * cols, full, cols, done[r][t][0], done[r][t][1],
                                           done[r][t][2], done[r][t][3]);
    }
  }
}

const int kBatchRowsF32Avx2 = 1;
constexpr int kTokensF32Avx2 = 4;

PYAGENT_AVX2 void batch_f32_avx2(const uint8_t* w, size_t row_bytes, int rows, const float* x, int n, int cols, float* out,
                                 size_t out_stride) {
  static const FloatTile kTiles[kBatchRowsF32Avx2][kTokensF32Avx2] = {
      {tile_f32_avx2<1, 1>, tile_f32_avx2<1, 2>, tile_f32_avx2<1, 3>, tile_f32_avx2<1, 4>},
  };
  run_float_tiles(kTiles, w, row_bytes, rows, x, n, cols, out, out_stride);
}

// One quantized block of token k's activations against the row's block (|w| and w's signs
// already unpacked), added to acc: the float operations of dot_q8_avx2 / dot_q4_avx2 per block.
static PYAGENT_AVX2 inline __m256 add_block(__m256 acc, __m256i wabs, __m256i wq, float dw, const int8_t* xb, const float* sb, int k,
                                            int stride_q, int stride_s) {
  __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb + k * stride_q));
  __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, _mm256_sign_epi8(xv, wq)), _mm256_set1_epi16(1));
  return _mm256_fmadd_ps(_mm256_set1_ps(dw * sb[k * stride_s]), _mm256_cvtepi32_ps(p), acc);
}

// |w| as unsigned bytes once per block; each token's int8 values take w's sign. Each token keeps
// the accumulators of its single-token dot, so a token's bits do not depend on its batch: one for
// q8_0 (dot_q8_avx2), and for q4_0 one for even and one for odd blocks (dot_q4_avx2), summed last.
template <bool kQ4>
static PYAGENT_AVX2 inline void add_blocks4(__m256& a0, __m256& a1, __m256& a2, __m256& a3, const uint8_t* block, const int8_t* xb,
                                            const float* sb, int stride_q, int stride_s) {
  __m256i wq = kQ4 ? unpack_q4(block + 2) : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
  __m256i wabs = _mm256_sign_epi8(wq, wq);
  float dw = scale_of(block);
  a0 = add_block(a0, wabs, wq, dw, xb, sb, 0, stride_q, stride_s);
  a1 = add_block(a1, wabs, wq, dw, xb, sb, 1, stride_q, stride_s);
  a2 = add_block(a2, wabs, wq, dw, xb, sb, 2, stride_q, stride_s);
  a3 = add_block(a3, wabs, wq, dw, xb, sb, 3, stride_q, stride_s);
}

template <bool kQ4>
static PYAGENT_AVX2 inline void dot4_quant_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks, int cols, float* sums) {
  // a*: token k's accumulator (q4_0: of its even blocks); o*: q4_0's odd blocks.
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  __m256 o0 = _mm256_setzero_ps(), o1 = _mm256_setzero_ps(), o2 = _mm256_setzero_ps(), o3 = _mm256_setzero_ps();
  const int bytes = kQ4 ? kQ4Bytes : kQ8Bytes;
  const int stride_q = cols, stride_s = cols / kBlock;
  int b = 0;
  if (kQ4) {
    for (; b + 2 <= blocks; b += 2) {
      add_blocks4<kQ4>(a0, a1, a2, a3, w + b * bytes, xq + b * kBlock, xs + b, stride_q, stride_s);
      add_blocks4<kQ4>(o0, o1, o2, o3, w + (b + 1) * bytes, xq + (b + 1) * kBlock, xs + b + 1, stride_q, stride_s);
    }
  }
  for (; b < blocks; b++) add_blocks4<kQ4>(a0, a1, a2, a3, w + b * bytes, xq + b * kBlock, xs + b, stride_q, stride_s);
  if (kQ4) {
    sums[0] = hsum(_mm256_add_ps(a0, o0));
    sums[1] = hsum(_mm256_add_ps(a1, o1));
    sums[2] = hsum(_mm256_add_ps(a2, o2));
    sums[3] = hsum(_mm256_add_ps(a3, o3));
  } else {
    sums[0] = hsum(a0);
    sums[1] = hsum(a1);
    sums[2] = hsum(a2);
    sums[3] = hsum(a3);
  }
}

PYAGENT_AVX2 void dot4_q8_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks, int cols, float* sums) {
  dot4_quant_avx2<false>(w, xq, xs, blocks, cols, sums);
}

PYAGENT_AVX2 void dot4_q4_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks, int cols, float* sums) {
  dot4_quant_avx2<true>(w, xq, xs, blocks, cols, sums);
}

}  // namespace pyagent
