// Dot products of one weight row with activations, in a scalar and an AVX2/FMA/F16C version
// (matmul.cc picks one set at load time). Quantized versions take activations already quantized
// to q8 blocks: xq = int8 values, xs = one f16-rounded scale per 32 values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pyagent {

inline uint16_t load_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

float dot_f32_scalar(const uint8_t* w, const float* x, int cols);
float dot_f16_scalar(const uint8_t* w, const float* x, int cols);
float dot_q8_scalar(const uint8_t* w, const int8_t* xq, const float* xs, int blocks);
float dot_q4_scalar(const uint8_t* w, const int8_t* xq, const float* xs, int blocks);
// x (cols, a multiple of 32) -> q8 blocks the way llama.cpp quantizes activations.
void quantize_q8_scalar(const float* x, int cols, int8_t* quants, float* scales);

float dot_f32_avx2(const uint8_t* w, const float* x, int cols);
float dot_f16_avx2(const uint8_t* w, const float* x, int cols);
float dot_q8_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks);
float dot_q4_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks);
void quantize_q8_avx2(const float* x, int cols, int8_t* quants, float* scales);
// Several consecutive tokens (x rows `cols` apart) against one row, the weights loaded once;
// sums[k] receives token k's result, bit for bit the single-token dot's (batch invariance).
void dot4_q8_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks, int cols, float* sums);
void dot4_q4_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks, int cols, float* sums);


// The end of dot_f32_avx2 after its 32-wide steps, for kernels that ran those steps themselves:
// acc holds its four accumulators a0 | a1 | a2 | a3 (8 floats each), c the first column left.
float finish_f32_avx2(const uint8_t* w, const float* x, int c, int cols, const float* acc);

// Batched products: rows 0 .. rows-1 of W (row r at w + r * row_bytes) against tokens 0 .. n-1,
// out[t * out_stride + r]. Every output is bit for bit the single-token dot of its level
// (dot_f32_avx2, dot_q8_avx2), whatever n, rows and the token's place in the batch.
void batch_f32_avx2(const uint8_t* w, size_t row_bytes, int rows, const float* x, int n, int cols, float* out, size_t out_stride);
void batch_f32_avx512(const uint8_t* w, size_t row_bytes, int rows, const float* x, int n, int cols, float* out, size_t out_stride);
// The AVX-512 q8_0 batch reads activations packed by pack_q8_avx512 (token pairs, layout in
// dot_avx512.cc) from the quantized ones; packed_q8_bytes_avx512 is the buffer it needs.
size_t packed_q8_bytes_avx512(int n, int cols);
void pack_q8_avx512(const int8_t* xq, const float* xs, int n, int cols, uint8_t* packed);
void batch_q8_avx512(const uint8_t* w, size_t row_bytes, int rows, const uint8_t* packed, int n, int cols, float* out, size_t out_stride);
// A batched f32 kernel's register tile: up to kRows rows (row r at w + r * row_bytes) against up to
// kTokens tokens (x rows `cols` apart), out[t * out_stride + r].
using FloatTile = void (*)(const uint8_t* w, size_t row_bytes, const float* x, int cols, float* out, size_t out_stride);

// Runs a batch through a kernel's tiles, tiles[rows - 1][tokens - 1] for every tile shape: groups
// of kTokens tokens, and within each group kRows rows at a time (the last row and token groups may
// be smaller). Plain loops over function pointers, so any level's kernel can use it.
template <int kRows, int kTokens>
inline void run_float_tiles(const FloatTile (&tiles)[kRows][kTokens], const uint8_t* w, size_t row_bytes, int rows, const float* x, int n,
                            int cols, float* out, size_t out_stride) {
  for (int t = 0; t < n; t += kTokens) {
    const int tokens = n - t < kTokens ? n - t : kTokens;
    for (int r = 0; r < rows; r += kRows) {
      const int tile_rows = rows - r < kRows ? rows - r : kRows;
      tiles[tile_rows - 1][tokens - 1](w + r * row_bytes, row_bytes, x + static_cast<size_t>(t) * cols, cols, out + t * out_stride + r,
                                       out_stride);
    }
  }
}

// Rows a batch kernel takes together; matmul.cc makes its L1 row tiles a multiple of this.
extern const int kBatchRowsF32Avx2, kBatchRowsF32Avx512, kBatchRowsQ8Avx512;

}  // namespace pyagent
