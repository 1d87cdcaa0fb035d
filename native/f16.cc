#include <cstring>

#include "kernels.h"

namespace pyagent {

namespace {
struct F16Table {
  float values[65536];
  F16Table() {
    for (uint32_t bits = 0; bits < 65536; bits++) {
      uint32_t sign = (bits & 0x8000u) << 16;
      uint32_t exponent = (bits >> 10) & 0x1f;
      uint32_t mantissa = bits & 0x3ff;
      uint32_t out;
      if (exponent == 0) {
        float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);  // 2^-24
        std::memcpy(&out, &magnitude, 4);
        out |= sign;
      } else if (exponent == 31) {
        out = sign | 0x7f800000u | (mantissa << 13);
      } else {
        out = sign | ((exponent + 112) << 23) | (mantissa << 13);
      }
      std::memcpy(&values[bits], &out, 4);
    }
  }
};
const F16Table table;
}  // namespace

float f16_to_f32(uint16_t bits) { return table.values[bits]; }

// Round-to-nearest-even, the same result as the F16C instruction.
uint16_t f32_to_f16(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exponent = static_cast<int32_t>((x >> 23) & 0xff);
  uint32_t mantissa = x & 0x7fffffu;
  if (exponent == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mantissa ? 0x200u : 0));
  int32_t e = exponent - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return static_cast<uint16_t>(sign);
    mantissa |= 0x800000u;
    int shift = 14 - e;
    uint32_t half = 1u << (shift - 1);
    uint32_t rounded = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    if (rest > half || (rest == half && (rounded & 1))) rounded++;
    return static_cast<uint16_t>(sign | rounded);
  }
  uint32_t rounded = mantissa >> 13;
  uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (rounded & 1))) {
    rounded++;
    if (rounded == 0x400) {
      rounded = 0;
      e++;
      if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);
    }
  }
  return static_cast<uint16_t>(sign | (static_cast<uint32_t>(e) << 10) | rounded);
}

}  // namespace pyagent
