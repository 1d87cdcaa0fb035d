// Portable dot products: the fallback on CPUs without AVX2/FMA/F16C.
#include <cmath>
#include <cstring>

#include "dot.h"
#include "kernels.h"

namespace pyagent {

float dot_f32_scalar(const uint8_t* w, const float* x, int cols) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int c = 0;
  for (; c + 4 <= cols; c += 4) {
    float w4[4];
    std::memcpy(w4, w + c * 4, 16);
    s0 += w4[0] * x[c];
    s1 += w4[1] * x[c + 1];
    s2 += w4[2] * x[c + 2];
    s3 += w4[3] * x[c + 3];
  }
  for (; c < cols; c++) {
    float value;
    std::memcpy(&value, w + c * 4, 4);
    s0 += value * x[c];
  }
  return (s0 + s1) + (s2 + s3);
}

float dot_f16_scalar(const uint8_t* w, const float* x, int cols) {
  float s0 = 0, s1 = 0;
  int c = 0;
  for (; c + 2 <= cols; c += 2) {
    s0 += f16_to_f32(load_u16(w + 2 * c)) * x[c];
    s1 += f16_to_f32(load_u16(w + 2 * c + 2)) * x[c + 1];
  }
  for (; c < cols; c++) s0 += f16_to_f32(load_u16(w + 2 * c)) * x[c];
  return s0 + s1;
}

float dot_q8_scalar(const uint8_t* w, const int8_t* xq, const float* xs, int blocks) {
  float sum = 0;
  for (int b = 0; b < blocks; b++) {
    const uint8_t* block = w + b * kQ8Bytes;
    const int8_t* q = reinterpret_cast<const int8_t*>(block + 2);
    int isum = 0;
    for (int j = 0; j < kBlock; j++) isum += q[j] * xq[b * kBlock + j];
    sum += static_cast<float>(isum) * (f16_to_f32(load_u16(block)) * xs[b]);
  }
  return sum;
}

float dot_q4_scalar(const uint8_t* w, const int8_t* xq, const float* xs, int blocks) {
  float sum = 0;
  for (int b = 0; b < blocks; b++) {
    const uint8_t* block = w + b * kQ4Bytes;
    const int8_t* xb = xq + b * kBlock;
    int isum = 0;
    for (int j = 0; j < 16; j++) {
      isum += ((block[2 + j] & 0x0f) - 8) * xb[j];
      isum += ((block[2 + j] >> 4) - 8) * xb[j + 16];
    }
    sum += static_cast<float>(isum) * (f16_to_f32(load_u16(block)) * xs[b]);
  }
  return sum;
}

void quantize_q8_scalar(const float* x, int cols, int8_t* quants, float* scales) {
  for (int b = 0; b < cols / kBlock; b++) {
    const float* xb = x + b * kBlock;
    float amax = 0;
    for (int j = 0; j < kBlock; j++) amax = std::fmax(amax, std::fabs(xb[j]));
    float d = amax / 127.0f;
    float inverse = amax != 0.0f ? 127.0f / amax : 0.0f;
    scales[b] = f16_to_f32(f32_to_f16(d));
    for (int j = 0; j < kBlock; j++) quants[b * kBlock + j] = static_cast<int8_t>(std::nearbyintf(xb[j] * inverse));
  }
}

}  // namespace pyagent
