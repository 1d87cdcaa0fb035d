// Matrix products over GGUF bytes. For q8_0/q4_0 the activations are first quantized to q8
// blocks (one scale per 32 values, rounded to f16 like llama.cpp does), then every weight block
// meets its activation block in an integer dot product: this is what makes quantized decode fast.
// Each product has a scalar version (dot_scalar.cc), an AVX2/FMA/F16C version (dot_avx2.cc) and,
// for batches of f32 and q8_0, an AVX-512 version (dot_avx512.cc); the best level the CPU has is
// picked at load time (tests may force another); rows are split into chunks across the pool.
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
using Dot4Quant = void (*)(const uint8_t*, const int8_t*, const float*, int, int, float*);
// Rows 0 .. rows-1 (row_bytes apart) against tokens 0 .. n-1 into out[t * out_stride + r]; each
// output bit-equal to the level's single dot of that row and token.
using BatchFloat = void (*)(const uint8_t*, size_t, int, const float*, int, int, float*, size_t);
// Quantized activations of n tokens: q (n, cols) int8, s (n, cols / 32) scales; packed, the
// level's own layout of the same values where its batch kernel wants one (else null).
struct QuantActivations {
  const int8_t* q;
  const float* s;
  const uint8_t* packed;
};
using BatchQuant = void (*)(const uint8_t*, size_t, int, const QuantActivations&, int, int, float*, size_t);
using PackedBytes = size_t (*)(int, int);
using Pack = void (*)(const int8_t*, const float*, int, int, uint8_t*);

// Token by token through the single dot: the batch of a level without a batched kernel for a type.
template <DotFloat kDot>
void batch_float_each(const uint8_t* w, size_t row_bytes, int rows, const float* x, int n, int cols, float* out, size_t out_stride) {
  for (int t = 0; t < n; t++)
    for (int r = 0; r < rows; r++) out[t * out_stride + r] = kDot(w + row_bytes * r, x + static_cast<size_t>(t) * cols, cols);
}

template <DotQuant kDot>
void batch_quant_each(const uint8_t* w, size_t row_bytes, int rows, const QuantActivations& x, int n, int cols, float* out,
                      size_t out_stride) {
  const int blocks = cols / kBlock;
  for (int t = 0; t < n; t++) {
    for (int r = 0; r < rows; r++)
      out[t * out_stride + r] = kDot(w + row_bytes * r, x.q + static_cast<size_t>(t) * cols, x.s + static_cast<size_t>(t) * blocks, blocks);
  }
}

// Groups of four tokens through kGroup (each token bit-equal to kDot), the rest through kDot.
template <Dot4Quant kGroup, DotQuant kDot>
void batch_quant_grouped(const uint8_t* w, size_t row_bytes, int rows, const QuantActivations& x, int n, int cols, float* out,
                         size_t out_stride) {
  const int blocks = cols / kBlock;
  int t = 0;
  float sums[4];
  for (; t + 4 <= n; t += 4) {
    for (int r = 0; r < rows; r++) {
      kGroup(w + row_bytes * r, x.q + static_cast<size_t>(t) * cols, x.s + static_cast<size_t>(t) * blocks, blocks, cols, sums);
      for (int k = 0; k < 4; k++) out[(t + k) * out_stride + r] = sums[k];
    }
  }
  const QuantActivations rest{x.q + static_cast<size_t>(t) * cols, x.s + static_cast<size_t>(t) * blocks, nullptr};
  batch_quant_each<kDot>(w, row_bytes, rows, rest, n - t, cols, out + t * out_stride, out_stride);
}

void batch_q8_packed_avx512(const uint8_t* w, size_t row_bytes, int rows, const QuantActivations& x, int n, int cols, float* out,
                            size_t out_stride) {
  batch_q8_avx512(w, row_bytes, rows, x.packed, n, cols, out, out_stride);
}

struct Paths {
  SimdLevel level;
  DotFloat f32, f16;
  DotQuant q8, q4;
  Quantize quantize;
  BatchFloat f32_batch, f16_batch;
  BatchQuant q8_batch, q4_batch;
  // Rows the f32 / q8_0 batch kernels take together (row tiles are a multiple of it).
  int f32_rows, q8_rows;
  // Where q8_batch reads packed activations: their size and the packing; null otherwise.
  PackedBytes q8_packed_bytes;
  Pack q8_pack;
};

// The AVX2 level: its single dots, f32 batches through its own tile, quantized ones in groups of four.
Paths avx2_paths() {
  return {SimdLevel::kAvx2,
          dot_f32_avx2,
          dot_f16_avx2,
          dot_q8_avx2,
          dot_q4_avx2,
          quantize_q8_avx2,
          batch_f32_avx2,
          batch_float_each<dot_f16_avx2>,
          batch_quant_grouped<dot4_q8_avx2, dot_q8_avx2>,
          batch_quant_grouped<dot4_q4_avx2, dot_q4_avx2>,
          kBatchRowsF32Avx2,
          1,
          nullptr,
          nullptr};
}

// The AVX-512 level keeps the AVX2 single dots (and their bits) and adds batched f32 and q8_0
// kernels that reproduce them; f16 and q4_0 batches are the AVX2 ones.
Paths paths_for(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512: {
      Paths avx512 = avx2_paths();
      avx512.level = level;
      avx512.f32_batch = batch_f32_avx512;
      avx512.q8_batch = batch_q8_packed_avx512;
      avx512.f32_rows = kBatchRowsF32Avx512;
      avx512.q8_rows = kBatchRowsQ8Avx512;
      avx512.q8_packed_bytes = packed_q8_bytes_avx512;
      avx512.q8_pack = pack_q8_avx512;
      return avx512;
    }
    case SimdLevel::kAvx2:
      return avx2_paths();
    default:
      return {SimdLevel::kScalar,
              dot_f32_scalar,
              dot_f16_scalar,
              dot_q8_scalar,
              dot_q4_scalar,
              quantize_q8_scalar,
              batch_float_each<dot_f32_scalar>,
              batch_float_each<dot_f16_scalar>,
              batch_quant_each<dot_q8_scalar>,
              batch_quant_each<dot_q4_scalar>,
              1,
              1,
              nullptr,
              nullptr};
  }
}

bool cpu_has(SimdLevel level) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  switch (level) {
    case SimdLevel::kScalar: return true;
    case SimdLevel::kAvx2: return avx2;
    case SimdLevel::kAvx512:
      return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vnni");
  }
  return false;
}

SimdLevel best_level() {
  if (cpu_has(SimdLevel::kAvx512)) return SimdLevel::kAvx512;
  if (cpu_has(SimdLevel::kAvx2)) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

// Written only by set_simd_level (JS thread, between calls); read by every kernel call.
Paths paths = paths_for(best_level());

// Weight bytes of one row tile: with a few tokens' activations it stays in a 32 KiB L1.
constexpr size_t kTileBytes = 16 * 1024;

struct MatmulJob {
  float* out;
  const uint8_t* weights;
  int type;
  const float* x;
  QuantActivations xq;
  int n, rows, cols;
  size_t bytes_per_row;
  int rows_per_chunk;
};

// Rows begin .. end of W against every token. Token t's out[t, r] has the same bits whatever n
// is and wherever t falls in a batch (every batch kernel reproduces its level's single dot): a
// sequence decoded inside a batch gets the greedy tokens it gets alone.
//
// Loop order for a batch: a tile of rows small enough to stay in L1 (a multiple of the rows the
// batch kernel takes together), then the batch kernel runs every group of tokens over that tile.
// Each weight byte is read from memory once per call, and each token's outputs are written a
// cache line at a time (row-major over tokens, a token's row of `out` would otherwise take one
// line per row, and with power-of-two row counts every token's line lands in the same cache set).
void matmul_rows(const MatmulJob& job, int begin, int end) {
  const int blocks = job.cols / kBlock;
  if (job.n == 1) {
    for (int r = begin; r < end; r++) {
      const uint8_t* row = job.weights + job.bytes_per_row * r;
      switch (job.type) {
        case kF32: job.out[r] = paths.f32(row, job.x, job.cols); break;
        case kF16: job.out[r] = paths.f16(row, job.x, job.cols); break;
        case kQ8_0: job.out[r] = paths.q8(row, job.xq.q, job.xq.s, blocks); break;
        default: job.out[r] = paths.q4(row, job.xq.q, job.xq.s, blocks); break;
      }
    }
    return;
  }
  const int together = job.type == kF32 ? paths.f32_rows : job.type == kQ8_0 ? paths.q8_rows : 1;
  const int fit = static_cast<int>(kTileBytes / job.bytes_per_row);
  const int tile = std::max(together, fit / together * together);
  for (int tile_begin = begin; tile_begin < end; tile_begin += tile) {
    const int tile_rows = std::min(end - tile_begin, tile);
    const uint8_t* rows = job.weights + job.bytes_per_row * tile_begin;
    float* out = job.out + tile_begin;
    switch (job.type) {
      case kF32: paths.f32_batch(rows, job.bytes_per_row, tile_rows, job.x, job.n, job.cols, out, job.rows); break;
      case kF16: paths.f16_batch(rows, job.bytes_per_row, tile_rows, job.x, job.n, job.cols, out, job.rows); break;
      case kQ8_0: paths.q8_batch(rows, job.bytes_per_row, tile_rows, job.xq, job.n, job.cols, out, job.rows); break;
      default: paths.q4_batch(rows, job.bytes_per_row, tile_rows, job.xq, job.n, job.cols, out, job.rows); break;
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
// 64-byte aligned storage for the level's packed activations (a vector of these).
struct alignas(64) Line {
  uint8_t bytes[64];
};
std::vector<Line> activation_packed;

// Below this many multiply-adds, waking the other threads costs more than it saves.
constexpr int64_t kParallelWork = 32 * 1024;
constexpr int kChunksPerThread = 4;

}  // namespace

bool using_avx2() { return paths.level != SimdLevel::kScalar; }

SimdLevel simd_level() { return paths.level; }

bool cpu_supports(SimdLevel level) { return cpu_has(level); }

bool set_simd_level(SimdLevel level) {
  if (!cpu_has(level)) return false;
  paths = paths_for(level);
  return true;
}

void use_best_simd_level() { paths = paths_for(best_level()); }

void matmul(ThreadPool& pool, float* out, const uint8_t* weights, int type, const float* x, int n, int rows, int cols) {
  MatmulJob job{out, weights, type, x, {nullptr, nullptr, nullptr}, n, rows, cols, row_bytes(type, cols), rows};
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
    job.xq.q = activation_quants.data();
    job.xq.s = activation_scales.data();
    if (type == kQ8_0 && n > 1 && paths.q8_pack != nullptr) {
      size_t lines = (paths.q8_packed_bytes(n, cols) + sizeof(Line) - 1) / sizeof(Line);
      if (activation_packed.size() < lines) activation_packed.resize(lines);
      uint8_t* packed = activation_packed.data()->bytes;
      paths.q8_pack(job.xq.q, job.xq.s, n, cols, packed);
      job.xq.packed = packed;
    }
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
