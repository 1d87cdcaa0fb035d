// Dot products of one weight row with activations, in a scalar and an AVX2/FMA/F16C version
// (matmul.cc picks one set at load time). Quantized versions take activations already quantized
// to q8 blocks: xq = int8 values, xs = one f16-rounded scale per 32 values.
#pragma once

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
void dot4_f32_avx2(const uint8_t* w, const float* x, int cols, float* sums);
void dot4_q8_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks, int cols, float* sums);
void dot4_q4_avx2(const uint8_t* w, const int8_t* xq, const float* xs, int blocks, int cols, float* sums);

}  // namespace pyagent
