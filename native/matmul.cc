// Matrix products over GGUF bytes. For q8_0/q4_0 the activations are first quantized to q8
// blocks (one scale per 32 values, rounded to f16 like llama.cpp does), then every weight block
// meets its activation block in an integer dot product: this is what makes quantized decode fast.
// Each product has a scalar version (dot_scalar.cc) and an AVX2/FMA/F16C version (dot_avx2.cc),
// picked once at load time; rows are split into chunks across the thread pool.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "dot.h"
#include "kernels.h"
#include "thread_pool.h"

namespace pyagent {

size_t row_bytes(int type, int cols) {
  switch (type) {
    case kF32: return static_cast<size_t>(cols) * 4;
    case kF16: return static_cast<size_t>(cols) * 2;
    case kQ8_0: return static_cast<size_t>(cols / kBlock) * kQ8Bytes;
    case kQ4_0: return static_cast<size_t>(cols / kBlock) * kQ4Bytes;
    default: return 0;
  }
}

namespace {

using DotFloat = float (*)(const uint8_t*, const float*, int);
using DotQuant = float (*)(const uint8_t*, const int8_t*, const float*, int);
using Quantize = void (*)(const float*, int, int8_t*, float*);
using Dot4Float = void (*)(const uint8_t*, const float*, int, float*);
using Dot4Quant = void (*)(const uint8_t*, const int8_t*, const float*, int, int, float*);

struct Paths {
  bool avx2;
  DotFloat f32, f16;
  DotQuant q8, q4;
  Quantize quantize;
  // Four consecutive tokens against one row, each token's result bit-equal to the single dot's;
  // null where the scalar path has none.
  Dot4Float f32x4;
  Dot4Quant q8x4, q4x4;
};

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

Paths pick_paths(bool avx2) {
  if (avx2) return {true, dot_f32_avx2, dot_f16_avx2, dot_q8_avx2, dot_q4_avx2, quantize_q8_avx2, dot4_f32_avx2, dot4_q8_avx2, dot4_q4_avx2};
  return {false, dot_f32_scalar, dot_f16_scalar, dot_q8_scalar, dot_q4_scalar, quantize_q8_scalar, nullptr, nullptr, nullptr};
}

// Written only by use_scalar_kernels (JS thread, between calls); read by every kernel call.
Paths paths = pick_paths(cpu_has_avx2());

// Weight bytes of one row tile: with four tokens' activations it stays in a 32 KiB L1.
constexpr size_t kTileBytes = 16 * 1024;

struct MatmulJob {
  float* out;
  const uint8_t* weights;
  int type;
  const float* x;
  const int8_t* xq;
  const float* xs;
  int n, rows, cols;
  size_t bytes_per_row;
  int rows_per_chunk;
};

// Rows begin .. end of W against every token. Token t's out[t, r] has the same bits whatever n
// is and wherever t falls in a group (the grouped dots keep the single dot's float operations):
// a sequence decoded inside a batch gets the greedy tokens it gets alone.
//
// Loop order for a batch: a tile of rows small enough to stay in L1, then every group of four
// tokens over that tile. Each weight byte is read from memory once per call, and each token's
// outputs are written a cache line at a time (row-major over tokens, a token's row of `out`
// would otherwise take one line per row, and with power-of-two row counts every token's line
// lands in the same cache set).
void matmul_rows(const MatmulJob& job, int begin, int end) {
  const int blocks = job.cols / kBlock;
  const int tile = std::max(1, static_cast<int>(kTileBytes / job.bytes_per_row));
  for (int tile_begin = begin; tile_begin < end; tile_begin += tile) {
    const int tile_end = std::min(end, tile_begin + tile);
    int t = 0;
    float sums[4];
    const bool grouped = (job.type == kF32 && paths.f32x4 != nullptr) || (job.type == kQ8_0 && paths.q8x4 != nullptr) ||
                         (job.type == kQ4_0 && paths.q4x4 != nullptr);
    for (; grouped && t + 4 <= job.n; t += 4) {
      const float* x = job.x + static_cast<size_t>(t) * job.cols;
      const int8_t* xq = job.xq + static_cast<size_t>(t) * job.cols;
      const float* xs = job.xs + static_cast<size_t>(t) * blocks;
      for (int r = tile_begin; r < tile_end; r++) {
        const uint8_t* row = job.weights + job.bytes_per_row * r;
        if (job.type == kF32) paths.f32x4(row, x, job.cols, sums);
        else if (job.type == kQ8_0) paths.q8x4(row, xq, xs, blocks, job.cols, sums);
        else paths.q4x4(row, xq, xs, blocks, job.cols, sums);
        for (int k = 0; k < 4; k++) job.out[static_cast<size_t>(t + k) * job.rows + r] = sums[k];
      }
    }
    for (; t < job.n; t++) {
      for (int r = tile_begin; r < tile_end; r++) {
        const uint8_t* row = job.weights + job.bytes_per_row * r;
        float value;
        switch (job.type) {
          case kF32: value = paths.f32(row, job.x + static_cast<size_t>(t) * job.cols, job.cols); break;
          case kF16: value = paths.f16(row, job.x + static_cast<size_t>(t) * job.cols, job.cols); break;
          case kQ8_0: value = paths.q8(row, job.xq + static_cast<size_t>(t) * job.cols, job.xs + static_cast<size_t>(t) * blocks, blocks); break;
          default: value = paths.q4(row, job.xq + static_cast<size_t>(t) * job.cols, job.xs + static_cast<size_t>(t) * blocks, blocks); break;
        }
        job.out[static_cast<size_t>(t) * job.rows + r] = value;
      }
    }
  }
}

// A chunk is a run of rows; several chunks per thread let a fast thread take a slow one's share.
void matmul_chunk(void* context, int chunk) {
  const MatmulJob& job = *static_cast<const MatmulJob*>(context);
  int begin = chunk * job.rows_per_chunk;
  matmul_rows(job, begin, std::min(job.rows, begin + job.rows_per_chunk));
}

// Activations quantized for the current call; only the JavaScript thread touches them outside a job.
std::vector<int8_t> activation_quants;
std::vector<float> activation_scales;

// Below this many multiply-adds, waking the other threads costs more than it saves.
constexpr int64_t kParallelWork = 32 * 1024;
constexpr int kChunksPerThread = 4;

}  // namespace

bool using_avx2() { return paths.avx2; }

void use_scalar_kernels(bool scalar) { paths = pick_paths(!scalar && cpu_has_avx2()); }

void matmul(ThreadPool& pool, float* out, const uint8_t* weights, int type, const float* x, int n, int rows, int cols) {
  MatmulJob job{out, weights, type, x, nullptr, nullptr, n, rows, cols, row_bytes(type, cols), rows};
  if (type == kQ8_0 || type == kQ4_0) {
    size_t count = static_cast<size_t>(n) * cols;
    if (activation_quants.size() < count) {
      activation_quants.resize(count);
      activation_scales.resize(count / kBlock);
    }
    for (int t = 0; t < n; t++) {
      paths.quantize(x + static_cast<size_t>(t) * cols, cols, activation_quants.data() + static_cast<size_t>(t) * cols,
                     activation_scales.data() + static_cast<size_t>(t) * (cols / kBlock));
    }
    job.xq = activation_quants.data();
    job.xs = activation_scales.data();
  }
  if (static_cast<int64_t>(n) * rows * cols < kParallelWork || pool.size() == 1) {
    matmul_rows(job, 0, rows);
  } else {
    int chunks = std::min(rows, pool.size() * kChunksPerThread);
    job.rows_per_chunk = (rows + chunks - 1) / chunks;
    pool.run((rows + job.rows_per_chunk - 1) / job.rows_per_chunk, matmul_chunk, &job);
  }
}

}  // namespace pyagent
