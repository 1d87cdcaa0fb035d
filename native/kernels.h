// Compute kernels behind the N-API addon. Layouts match src/engine/kernels/kernel-set.ts:
// matrices are row-major rows of `cols` values in their GGML type; activations of n tokens are
// (n, width) float rows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pyagent {

class ThreadPool;

enum GgmlType : int { kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8 };

constexpr int kBlock = 32;          // values per q8_0 / q4_0 block
constexpr int kQ8Bytes = 34;        // [f16 d][32 x int8]
constexpr int kQ4Bytes = 18;        // [f16 d][16 bytes: low nibbles = values 0..15, high = 16..31]

// Bytes of one row of `cols` values of `type`; 0 for an unsupported type.
size_t row_bytes(int type, int cols);

// Which instruction sets the kernels found at load time and use.
struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512vl = false;
  bool avx512bw = false;
  bool avx512vnni = false;
};
CpuFeatures cpu_features();
// Kernel sets, each bit-identical to itself at every batch size. kAvx2 needs avx2, fma and f16c;
// kAvx512 also avx512f, avx512vl, avx512bw and avx512vnni (it batches f32 and q8_0 with them and
// keeps kAvx2's single-token dots and bits).
enum class SimdLevel : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
SimdLevel simd_level();
bool cpu_supports(SimdLevel level);
// Uses `level`'s kernels from the next call on; false (nothing changed) when the CPU lacks it.
bool set_simd_level(SimdLevel level);
// Back to the best level the CPU has (the load-time choice).
void use_best_simd_level();
// True when the AVX2/FMA/F16C paths are in use (kAvx2 or kAvx512).
bool using_avx2();

float f16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);

// out (n, rows) = x (n, cols) * W^T, rows split across the pool's threads.
void matmul(ThreadPool& pool, float* out, const uint8_t* weights, int type, const float* x, int n, int rows, int cols);

void rmsnorm(float* out, const float* x, const float* weight, size_t length, int width, float eps);
void rope(float* vec, int n, int heads, int head_dim, int position, float freq_base, int style);
void softmax(float* x, int length);
void swiglu(ThreadPool& pool, float* out, const float* gate, const float* up, size_t length);
// Index of the largest of x[0 .. length): the lowest index among equal values (-0 equals +0), a
// NaN never picked over a number, 0 when x[0] is NaN or length is 0 (a scan that keeps the first
// strictly greater value gives the same). Long arrays are split across the pool.
int argmax(ThreadPool& pool, const float* x, int length);
// out[i] += x[i] for i < length (the residual connection).
void add(float* out, const float* x, size_t length);
// Causal GQA attention of n query tokens at positions position .. position + n - 1 over a paged
// KV cache. keys/values are pools of physical rows of n_kv_heads * head_dim floats; logical
// position p lives in physical row block_table[p / block_size] * block_size + p % block_size:
//
//   logical positions  0 1 2 3 | 4 5 6 7 | 8 9        (block_size 4)
//   block_table        [  2    ,    0    ,  5  ]
//   physical rows      8 9 10 11 0 1 2 3  20 21
//
// A contiguous cache is block_table = {0}, block_size = its row count. The caller (addon.cc)
// has checked that every table entry used addresses rows inside keys and values.
void attention(ThreadPool& pool, float* out, const float* q, const float* keys, const float* values, const int32_t* block_table,
               int block_size, int position, int n, int n_heads, int n_kv_heads, int head_dim);

// The attention half of a layer for a step of several sequences ("segments"), after the q/k/v
// products. segments holds 4 ints per segment: position, count (its rows of q/k/v, which follow the
// rows of the segments before it), the offset of its block table in `tables`, and that table's
// length. For every segment: rope on its q and k rows at positions position .. position + count - 1;
// then every q, k and v value rounded to f16 (llama.cpp's f16 KV cache and f16 K·Q); then its k and
// v rows written to the cache rows its block table gives; then attention() of its queries, with
// the (segment, token, head) units of the whole step spread over the pool. Each token gets the bits
// rope, attention and the f16 rounding give it one segment at a time. The caller (addon.cc) has
// checked the tables and sizes.
void attend_batch(ThreadPool& pool, float* out, float* q, float* k, float* v, float* keys, float* values, const int32_t* segments,
                  int n_segments, const int32_t* tables, int block_size, int n_heads, int n_kv_heads, int head_dim, float freq_base,
                  int style);

}  // namespace pyagent
