// AVX-512 batched products (avx512f/vl/bw/vnni). Every function carries the target attribute, so
// this file builds without -m flags and runs only where matmul.cc found the instructions at load
// time. Single-token products stay dot_f32_avx2 / dot_q8_avx2: each kernel here reproduces their
// bits lane by lane, it only lets several rows and tokens share each load.

// GCC 12's avx512fintrin.h makes its "undefined" vectors with `__m512 __Y = __Y;`, which
// -Wuninitialized reports at every cast from 256 to 512 bits; those upper lanes are always
// overwritten or never read here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "dot.h"
#include "kernels.h"

namespace pyagent {

#define PYAGENT_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni,avx2,fma,f16c")))

// dot_f32_avx2's and dot_q8_avx2's horizontal sum: the same adds in the same order.
static PYAGENT_AVX512 inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

static PYAGENT_AVX512 inline __m256 upper_half(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }

// A tile reads kRows rows side by side, which the hardware prefetchers do not follow as one
// stream; each tile prefetches the rows this many rows ahead (the next tiles' rows: a matrix's
// rows are contiguous) into L2, not L1, where they would evict the tile's rows and activations.
// A prefetch past the matrix never faults.
constexpr int kPrefetchRows = 6;

// ---- f32 ----------------------------------------------------------------------------------------
//
// dot_f32_avx2 keeps four ymm accumulators; in every 32-column step a0 takes columns c .. c+7,
// a1 c+8 .. c+15, a2 c+16 .. c+23, a3 c+24 .. c+31. Here one zmm holds a0 | a1 (lanes 0-7 | 8-15,
// fed columns c .. c+15) and another a2 | a3: FMA is lane-wise, so each lane sees exactly the
// single dot's operations. finish_f32_avx2 then ends it the single dot's way.
//
// kRows x kTokens = 3 x 4: 24 accumulators, two weight registers, x as memory operands: no spills
// in 32 zmm registers.
constexpr int kTokensF32Avx512 = 4;
const int kBatchRowsF32Avx512 = 3;

template <int kRows, int kTokens>
static PYAGENT_AVX512 void tile_f32_avx512(const uint8_t* w, size_t row_bytes, const float* x, int cols, float* out, size_t out_stride) {
  __m512 low[kRows][kTokens], high[kRows][kTokens];  // a0 | a1, a2 | a3
  for (int r = 0; r < kRows; r++) {
    for (int t = 0; t < kTokens; t++) {
      low[r][t] = _mm512_setzero_ps();
      high[r][t] = _mm512_setzero_ps();
    }
  }
  int c = 0;
  for (; c + 32 <= cols; c += 32) {
    for (int r = 0; r < kRows; r++) {
      const float* row = reinterpret_cast<const float*>(w + r * row_bytes) + c;
      _mm_prefetch(reinterpret_cast<const char*>(row) + kPrefetchRows * row_bytes, _MM_HINT_T1);
      _mm_prefetch(reinterpret_cast<const char*>(row) + kPrefetchRows * row_bytes + 64, _MM_HINT_T1);
      __m512 w_low = _mm512_loadu_ps(row), w_high = _mm512_loadu_ps(row + 16);
      for (int t = 0; t < kTokens; t++) {
        const float* xt = x + static_cast<size_t>(t) * cols + c;
        low[r][t] = _mm512_fmadd_ps(w_low, _mm512_loadu_ps(xt), low[r][t]);
        high[r][t] = _mm512_fmadd_ps(w_high, _mm512_loadu_ps(xt + 16), high[r][t]);
      }
    }
  }
  if (c == cols) {
    // Nothing left after the 32-wide steps: finish_f32 is then hsum((a0 + a1) + (a2 + a3)).
    for (int r = 0; r < kRows; r++) {
      for (int t = 0; t < kTokens; t++) {
        __m256 a01 = _mm256_add_ps(_mm512_castps512_ps256(low[r][t]), upper_half(low[r][t]));
        __m256 a23 = _mm256_add_ps(_mm512_castps512_ps256(high[r][t]), upper_half(high[r][t]));
        out[t * out_stride + r] = hsum8(_mm256_add_ps(a01, a23));
      }
    }
    return;
  }
  alignas(64) float acc[32];
  for (int r = 0; r < kRows; r++) {
    for (int t = 0; t < kTokens; t++) {
      _mm512_store_ps(acc, low[r][t]);
      _mm512_store_ps(acc + 16, high[r][t]);
      out[t * out_stride + r] = finish_f32_avx2(w + r * row_bytes, x + static_cast<size_t>(t) * cols, c, cols, acc);
    }
  }
}

PYAGENT_AVX512 void batch_f32_avx512(const uint8_t* w, size_t row_bytes, int rows, const float* x, int n, int cols, float* out,
                                     size_t out_stride) {
  static const FloatTile kTiles[kBatchRowsF32Avx512][kTokensF32Avx512] = {
#define PYAGENT_F32_ROW(r) {tile_f32_avx512<r, 1>, tile_f32_avx512<r, 2>, tile_f32_avx512<r, 3>, tile_f32_avx512<r, 4>}
      PYAGENT_F32_ROW(1), PYAGENT_F32_ROW(2), PYAGENT_F32_ROW(3),
#undef PYAGENT_F32_ROW
  };
  run_float_tiles(kTiles, w, row_bytes, rows, x, n, cols, out, out_stride);
}

// ---- q8_0 ---------------------------------------------------------------------------------------
//
// dot_q8_avx2 per block: lanes = madd(maddubs(|w|, sign(x, w)), 1), int32 lane i being the exact
// sum of the products of bytes 4i .. 4i+3 (no saturation: |x| <= 127), then
// acc = fmadd(set1(scale(w) * xs[b]), cvtepi32_ps(lanes), acc), blocks in order, hsum last.
//
// Here a zmm carries two tokens, lanes 0-7 token t0 and 8-15 token t1, against one weight block
// broadcast to both halves. The integer lanes come from VNNI with the weights offset to unsigned:
// dpbusd(-128 * sum4(x), w + 128, x) = sum4((w + 128) * x) - 128 * sum4(x) = sum4(w * x), exact in
// int32 (each term is at most 4 * 255 * 127), so the same integers as maddubs + madd. The float
// part is the same multiply (scale(w) * xs[b], one IEEE single product per lane) and the same FMA
// per lane, and each token's half ends in the single dot's hsum: every token gets dot_q8_avx2's bits.
//
// Packed activations (pack_q8_avx512), per token pair p and block b, kPackedBlock bytes:
//   int8  x[64]           token t0's 32 values | token t1's 32 values
//   int32 correction[16]  -128 * sum4(x), lanes 0-7 from t0, 8-15 from t1
//   float scale[16]       xs_t0[b] x 8 | xs_t1[b] x 8
// A lone last token is its own pair partner; its upper half is computed and dropped.
constexpr int kPackedBlock = 192;

size_t packed_q8_bytes_avx512(int n, int cols) { return static_cast<size_t>((n + 1) / 2) * (cols / kBlock) * kPackedBlock; }

PYAGENT_AVX512 void pack_q8_avx512(const int8_t* xq, const float* xs, int n, int cols, uint8_t* packed) {
  const int blocks = cols / kBlock;
  const __m512i ones = _mm512_set1_epi8(1);
  for (int p = 0; p < (n + 1) / 2; p++) {
    const int t0 = 2 * p, t1 = t0 + 1 < n ? t0 + 1 : t0;
    for (int b = 0; b < blocks; b++) {
      uint8_t* block = packed + (static_cast<size_t>(p) * blocks + b) * kPackedBlock;
      __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + static_cast<size_t>(t0) * cols + b * kBlock));
      __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + static_cast<size_t>(t1) * cols + b * kBlock));
      __m512i x = _mm512_inserti64x4(_mm512_castsi256_si512(x0), x1, 1);
      __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, x);
      __m512 scale = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(xs[t0 * blocks + b])),
                                                         _mm256_castps_pd(_mm256_set1_ps(xs[t1 * blocks + b])), 1));
      _mm512_storeu_si512(block, x);
      _mm512_storeu_si512(block + 64, _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sums, 7)));
      _mm512_storeu_ps(block + 128, scale);
    }
  }
}

// kRows rows x kPairs token pairs: 4 x 4 is sixteen accumulators; each row's block is loaded and
// offset once for every pair, each pair's packed block read once per row from L1.
constexpr int kPairsQ8Avx512 = 4;
const int kBatchRowsQ8Avx512 = 4;

template <int kRows, int kPairs>
static PYAGENT_AVX512 void tile_q8_avx512(const uint8_t* w, size_t row_bytes, const uint8_t* packed, int tokens, int blocks, float* out,
                                          size_t out_stride) {
  __m512 acc[kRows][kPairs];
  for (int r = 0; r < kRows; r++)
    for (int p = 0; p < kPairs; p++) acc[r][p] = _mm512_setzero_ps();
  const __m512i offset = _mm512_set1_epi8(static_cast<char>(0x80));
  const size_t pair_stride = static_cast<size_t>(blocks) * kPackedBlock;
  for (int b = 0; b < blocks; b++) {
    __m512i x[kPairs], correction[kPairs];
    __m512 x_scale[kPairs];
    for (int p = 0; p < kPairs; p++) {
      const uint8_t* pair_block = packed + p * pair_stride + static_cast<size_t>(b) * kPackedBlock;
      x[p] = _mm512_load_si512(pair_block);
      correction[p] = _mm512_load_si512(pair_block + 64);
      x_scale[p] = _mm512_load_ps(pair_block + 128);
    }
    for (int r = 0; r < kRows; r++) {
      const uint8_t* block = w + r * row_bytes + b * kQ8Bytes;
      _mm_prefetch(reinterpret_cast<const char*>(block + kPrefetchRows * row_bytes), _MM_HINT_T1);
      __m512i w_unsigned = _mm512_xor_si512(_mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2))), offset);
      __m512 w_scale = _mm512_set1_ps(_cvtsh_ss(load_u16(block)));
      for (int p = 0; p < kPairs; p++) {
        __m512i lanes = _mm512_dpbusd_epi32(correction[p], w_unsigned, x[p]);
        acc[r][p] = _mm512_fmadd_ps(_mm512_mul_ps(w_scale, x_scale[p]), _mm512_cvtepi32_ps(lanes), acc[r][p]);
      }
    }
  }
  for (int r = 0; r < kRows; r++) {
    for (int p = 0; p < kPairs; p++) {
      out[2 * p * out_stride + r] = hsum8(_mm512_castps512_ps256(acc[r][p]));
      if (2 * p + 1 < tokens) out[(2 * p + 1) * out_stride + r] = hsum8(upper_half(acc[r][p]));
    }
  }
}

PYAGENT_AVX512 void batch_q8_avx512(const uint8_t* w, size_t row_bytes, int rows, const uint8_t* packed, int n, int cols, float* out,
                                    size_t out_stride) {
  using Tile = void (*)(const uint8_t*, size_t, const uint8_t*, int, int, float*, size_t);
  static const Tile kTiles[kBatchRowsQ8Avx512][kPairsQ8Avx512] = {
#define PYAGENT_Q8_ROW(r) {tile_q8_avx512<r, 1>, tile_q8_avx512<r, 2>, tile_q8_avx512<r, 3>, tile_q8_avx512<r, 4>}
      PYAGENT_Q8_ROW(1), PYAGENT_Q8_ROW(2), PYAGENT_Q8_ROW(3), PYAGENT_Q8_ROW(4),
#undef PYAGENT_Q8_ROW
  };
  const int blocks = cols / kBlock;
  constexpr int kTokens = 2 * kPairsQ8Avx512;
  for (int t = 0; t < n; t += kTokens) {
    const int tokens = n - t < kTokens ? n - t : kTokens;
    const uint8_t* group = packed + static_cast<size_t>(t / 2) * blocks * kPackedBlock;
    for (int r = 0; r < rows; r += kBatchRowsQ8Avx512) {
      const int tile_rows = rows - r < kBatchRowsQ8Avx512 ? rows - r : kBatchRowsQ8Avx512;
      kTiles[tile_rows - 1][(tokens + 1) / 2 - 1](w + r * row_bytes, row_bytes, group, tokens, blocks, out + t * out_stride + r, out_stride);
    }
  }
}

}  // namespace pyagent
