// Element-wise kernels and attention. Shapes are documented on KernelSet
// (src/engine/kernels/kernel-set.ts).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "thread_pool.h"

namespace pyagent {

CpuFeatures cpu_features() {
  __builtin_cpu_init();
  CpuFeatures features;
  features.avx2 = __builtin_cpu_supports("avx2");
  features.fma = __builtin_cpu_supports("fma");
  features.f16c = __builtin_cpu_supports("f16c");
  features.avx512f = __builtin_cpu_supports("avx512f");
  features.avx512vl = __builtin_cpu_supports("avx512vl");
  features.avx512bw = __builtin_cpu_supports("avx512bw");
  features.avx512vnni = __builtin_cpu_supports("avx512vnni");
  return features;
}

void rmsnorm(float* out, const float* x, const float* weight, size_t length, int width, float eps) {
  // As llama.cpp: float squares summed in double, in order, the mean rounded to float. Up to eight
  // rows are summed side by side (each row's additions in the same order, so the same bits), which
  // overlaps their chains of dependent additions; every sum is done before any row is written
  // (out may be x).
  constexpr size_t kRows = 8;
  const size_t rows = length / width;
  for (size_t first = 0; first < rows; first += kRows) {
    const size_t count = std::min(kRows, rows - first);
    double sums[kRows] = {};
    const float* block = x + first * width;
    for (int i = 0; i < width; i++) {
      for (size_t r = 0; r < count; r++) {
        const float value = block[r * width + i];
        sums[r] += static_cast<double>(value * value);
      }
    }
    for (size_t r = 0; r < count; r++) {
      const size_t base = (first + r) * width;
      float mean = static_cast<float>(sums[r] / width);
      float scale = 1.0f / std::sqrt(mean + eps);
      for (int i = 0; i < width; i++) out[base + i] = x[base + i] * scale * weight[i];
    }
  }
}

namespace {

// cos and sin of every pair's angle at one position, as llama.cpp's CPU rope forms the angles, in
// float: theta_0 = pos, theta_{i+1} = theta_i * powf(base, -2 / head_dim), then cosf/sinf. (The
// rounding of that running product moves the angles by ~1e-5 rad from the exact pos *
// base^(-2i/d), enough to flip q8 roundings downstream.) out: half cosines, then half sines.
void compute_angles(float* out, int position, int half, float theta_scale) {
  float theta = static_cast<float>(position);
  for (int i = 0; i < half; i++) {
    out[i] = std::cos(theta);
    out[half + i] = std::sin(theta);
    theta *= theta_scale;
  }
}

// The angles are the same in every layer and for q and k, so each thread keeps them per position
// (for the head size and base of its last call): a decode step computes them once, not twice per layer.
constexpr int kCachedPositions = 1 << 16;

const float* rope_angles(int position, int head_dim, float freq_base) {
  struct Cache {
    int half = -1;
    float base = 0;
    float theta_scale = 0;
    std::vector<float> values;  // 2 * half per position
    std::vector<uint8_t> ready;
    std::vector<float> scratch;  // positions past kCachedPositions
  };
  thread_local Cache cache;
  const int half = head_dim / 2;
  if (cache.half != half || cache.base != freq_base) {
    cache = Cache();
    cache.half = half;
    cache.base = freq_base;
    cache.theta_scale = std::pow(freq_base, -2.0f / static_cast<float>(head_dim));
  }
  const size_t width = 2 * static_cast<size_t>(half);
  if (position >= kCachedPositions) {
    cache.scratch.resize(width);
    compute_angles(cache.scratch.data(), position, half, cache.theta_scale);
    return cache.scratch.data();
  }
  if (static_cast<size_t>(position) >= cache.ready.size()) {
    const size_t positions = std::min<size_t>(kCachedPositions, std::max<size_t>(position + 1, 2 * cache.ready.size()));
    cache.ready.resize(positions, 0);
    cache.values.resize(positions * width);
  }
  float* angles = cache.values.data() + position * width;
  if (!cache.ready[position]) {
    compute_angles(angles, position, half, cache.theta_scale);
    cache.ready[position] = 1;
  }
  return angles;
}

}  // namespace

void rope(float* vec, int n, int heads, int head_dim, int position, float freq_base, int style) {
  int half = head_dim / 2;
  // style 0 rotates adjacent pairs (2i, 2i+1); style 2 (NEOX) rotates (i, i + half).
  int pair_stride = style == 0 ? 2 : 1;
  int partner = style == 0 ? 1 : half;
  for (int t = 0; t < n; t++) {
    const float* angles = rope_angles(position + t, head_dim, freq_base);
    const float* cosines = angles;
    const float* sines = angles + half;
    for (int h = 0; h < heads; h++) {
      float* head = vec + (static_cast<size_t>(t) * heads + h) * head_dim;
      for (int i = 0; i < half; i++) {
        float* a = head + i * pair_stride;
        float x0 = a[0], x1 = a[partner];
        a[0] = x0 * cosines[i] - x1 * sines[i];
        a[partner] = x0 * sines[i] + x1 * cosines[i];
      }
    }
  }
}

void softmax(float* x, int length) {
  float max = -INFINITY;
  for (int i = 0; i < length; i++) max = std::fmax(max, x[i]);
  float sum = 0;
  for (int i = 0; i < length; i++) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  float inverse = 1.0f / sum;
  for (int i = 0; i < length; i++) x[i] *= inverse;
}

namespace {

// e^x for eight floats: x = n ln2 + r with |r| <= ln2 / 2 (n rounded, ln2 in two parts), e^r by its
// Taylor polynomial to degree 7 (truncation error below 1e-8 relative), times 2^n as two powers of
// two (each a valid float exponent, so the one rounding is the final overflow to infinity past
// ln(FLT_MAX)). Below -87.3 the result is 0 where std::exp gives a subnormal; NaN stays NaN.
// Checked against glibc's expf for every float in [-87.3, 88.8]: at most 1 ulp apart.
__attribute__((target("avx2,fma"))) __m256 exp_avx2(__m256 x) {
  const __m256 lowest = _mm256_set1_ps(-87.3f);
  const __m256 clamped = _mm256_min_ps(_mm256_max_ps(x, lowest), _mm256_set1_ps(89.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(clamped, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), clamped);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i whole = _mm256_cvtps_epi32(n);
  const __m256i half = _mm256_srai_epi32(whole, 1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 first = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
  const __m256 second = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(whole, half), bias), 23));
  __m256 result = _mm256_mul_ps(_mm256_mul_ps(p, first), second);
  result = _mm256_blendv_ps(result, _mm256_setzero_ps(), _mm256_cmp_ps(x, lowest, _CMP_LT_OQ));
  return _mm256_blendv_ps(result, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

void swiglu_range(float* out, const float* gate, const float* up, size_t begin, size_t end) {
  for (size_t i = begin; i < end; i++) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

// swiglu_range eight values at a time, the same operations with exp_avx2 for std::exp (every value,
// the last few too).
__attribute__((target("avx2,fma"))) void swiglu_range_avx2(float* out, const float* gate, const float* up, size_t begin, size_t end) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  size_t i = begin;
  for (; i + 8 <= end; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp_avx2(_mm256_xor_ps(g, sign));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
  if (i == end) return;
  // The last few values through the same vector code (padded), so that a value's bits do not
  // depend on where a chunk or a batch row ends.
  alignas(32) float g_tail[8] = {}, up_tail[8] = {}, out_tail[8];
  std::copy(gate + i, gate + end, g_tail);
  std::copy(up + i, up + end, up_tail);
  swiglu_range_avx2(out_tail, g_tail, up_tail, 0, 8);
  std::copy(out_tail, out_tail + (end - i), out + i);
}

void swiglu_any(float* out, const float* gate, const float* up, size_t begin, size_t end) {
  if (using_avx2()) {
    swiglu_range_avx2(out, gate, up, begin, end);
  } else {
    swiglu_range(out, gate, up, begin, end);
  }
}

struct SwigluJob {
  float* out;
  const float* gate;
  const float* up;
  size_t length, per_chunk;
};

void swiglu_chunk(void* context, int chunk) {
  const SwigluJob& job = *static_cast<const SwigluJob*>(context);
  const size_t begin = static_cast<size_t>(chunk) * job.per_chunk;
  swiglu_any(job.out, job.gate, job.up, begin, std::min(job.length, begin + job.per_chunk));
}

// Below this many values (one decode token's FFN width and more), waking the pool costs more than it saves.
constexpr size_t kParallelSwiglu = 16 * 1024;

}  // namespace

// Each value is computed on its own, so splitting the range across threads changes no bit.
void swiglu(ThreadPool& pool, float* out, const float* gate, const float* up, size_t length) {
  if (length < kParallelSwiglu || pool.size() == 1) {
    swiglu_any(out, gate, up, 0, length);
    return;
  }
  const size_t chunks = static_cast<size_t>(pool.size()) * 2;
  SwigluJob job{out, gate, up, length, (length + chunks - 1) / chunks};
  pool.run(static_cast<int>((length + job.per_chunk - 1) / job.per_chunk), swiglu_chunk, &job);
}

namespace {

// The largest non-NaN value of x[begin, end), -inf when there is none.
float max_scalar(const float* x, int begin, int end) {
  float max = -INFINITY;
  for (int i = begin; i < end; i++) max = x[i] > max ? x[i] : max;
  return max;
}

// First i in [begin, end) with x[i] == value, or -1.
int find_scalar(const float* x, int begin, int end, float value) {
  for (int i = begin; i < end; i++) {
    if (x[i] == value) return i;
  }
  return -1;
}

// max_ps(v, m) keeps m where v is NaN: the scalar rule above, 32 values per step.
__attribute__((target("avx2"))) float max_avx2(const float* x, int begin, int end) {
  __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
  int i = begin;
  for (; i + 32 <= end; i += 32) {
    m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
    m1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), m1);
    m2 = _mm256_max_ps(_mm256_loadu_ps(x + i + 16), m2);
    m3 = _mm256_max_ps(_mm256_loadu_ps(x + i + 24), m3);
  }
  __m256 m = _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float max = std::max(max_scalar(lanes, 0, 8), max_scalar(x, i, end));
  return max;
}

__attribute__((target("avx2"))) int find_avx2(const float* x, int begin, int end, float value) {
  const __m256 target = _mm256_set1_ps(value);
  int i = begin;
  for (; i + 8 <= end; i += 8) {
    int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), target, _CMP_EQ_OQ));
    if (mask != 0) return i + __builtin_ctz(static_cast<unsigned>(mask));
  }
  return find_scalar(x, i, end, value);
}

struct ArgmaxJob {
  const float* x;
  int length, per_chunk;
  bool avx2;
  float maxima[64];
  int indices[64];
};

void argmax_chunk(void* context, int chunk) {
  ArgmaxJob& job = *static_cast<ArgmaxJob*>(context);
  const int begin = chunk * job.per_chunk, end = std::min(job.length, begin + job.per_chunk);
  float max = job.avx2 ? max_avx2(job.x, begin, end) : max_scalar(job.x, begin, end);
  job.maxima[chunk] = max;
  job.indices[chunk] = job.avx2 ? find_avx2(job.x, begin, end, max) : find_scalar(job.x, begin, end, max);
}

// Below this many values one thread scans faster than the pool wakes.
constexpr int kParallelArgmax = 16 * 1024;

}  // namespace

void add(float* out, const float* x, size_t length) {
  for (size_t i = 0; i < length; i++) out[i] += x[i];
}

int argmax(ThreadPool& pool, const float* x, int length) {
  if (length <= 0 || std::isnan(x[0])) return 0;
  ArgmaxJob job;
  job.x = x;
  job.length = length;
  job.avx2 = using_avx2();
  const int chunks = length < kParallelArgmax || pool.size() == 1 ? 1 : std::min(pool.size(), 64);
  job.per_chunk = (length + chunks - 1) / chunks;
  const int used = (length + job.per_chunk - 1) / job.per_chunk;
  if (used == 1) argmax_chunk(&job, 0);
  else pool.run(used, argmax_chunk, &job);
  // Chunks in order: a later chunk wins only with a strictly larger value (ties keep the lowest index).
  int best = 0;
  float best_value = x[0];
  for (int c = 0; c < used; c++) {
    if (job.indices[c] >= 0 && job.maxima[c] > best_value) {
      best_value = job.maxima[c];
      best = job.indices[c];
    }
  }
  return best;
}

namespace {

struct AttentionJob {
  float* out;
  const float* q;
  const float* keys;
  const float* values;
  const int32_t* block_table;
  int block_size;
  int position, n, n_heads, n_kv_heads, head_dim;
};

#define PYAGENT_AVX2 __attribute__((target("avx2,fma")))

PYAGENT_AVX2 float dot_avx2(const float* a, const float* b, int length) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= length; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= length; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  __m256 v = _mm256_add_ps(acc0, acc1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  float sum = _mm_cvtss_f32(s);
  for (; i < length; i++) sum += a[i] * b[i];
  return sum;
}

// out += weight * v
PYAGENT_AVX2 void axpy_avx2(float* out, float weight, const float* v, int length) {
  __m256 w = _mm256_set1_ps(weight);
  int i = 0;
  for (; i + 8 <= length; i += 8) _mm256_storeu_ps(out + i, _mm256_fmadd_ps(w, _mm256_loadu_ps(v + i), _mm256_loadu_ps(out + i)));
  for (; i < length; i++) out[i] += weight * v[i];
}

// out = sum over positions p (in order, block by block) of weights[p] * v_p, for heads of 8 * V
// floats. The same FMAs in the same order as axpy_avx2 into a zeroed out, so the same bits, but
// the running sums stay in V registers instead of being loaded and stored at every position.
template <int V>
PYAGENT_AVX2 void attend_values_avx2(float* out, const float* weights, const float* values, const int32_t* block_table, int block_size,
                                     int length, size_t kv_dim, size_t kv_offset, int /* head_dim = 8 * V */) {
  __m256 sums[V];
  for (int j = 0; j < V; j++) sums[j] = _mm256_setzero_ps();
  for (int start = 0; start < length; start += block_size) {
    const float* block = values + static_cast<size_t>(block_table[start / block_size]) * block_size * kv_dim + kv_offset;
    int count = std::min(block_size, length - start);
    for (int i = 0; i < count; i++) {
      const float* v = block + static_cast<size_t>(i) * kv_dim;
      __m256 weight = _mm256_set1_ps(weights[start + i]);
      for (int j = 0; j < V; j++) sums[j] = _mm256_fmadd_ps(weight, _mm256_loadu_ps(v + 8 * j), sums[j]);
    }
  }
  for (int j = 0; j < V; j++) _mm256_storeu_ps(out + 8 * j, sums[j]);
}

// scores[p] = dot_avx2(q, k_p) * scale for every position p, with q held in V registers: per
// position the same FMAs into the same two accumulators and the same horizontal sum as dot_avx2.
template <int V>
PYAGENT_AVX2 void score_keys_avx2(float* scores, const float* q, const float* keys, const int32_t* block_table, int block_size, int length,
                                  size_t kv_dim, size_t kv_offset, int /* head_dim = 8 * V */, float scale) {
  __m256 query[V];
  for (int j = 0; j < V; j++) query[j] = _mm256_loadu_ps(q + 8 * j);
  for (int start = 0; start < length; start += block_size) {
    const float* block = keys + static_cast<size_t>(block_table[start / block_size]) * block_size * kv_dim + kv_offset;
    int count = std::min(block_size, length - start);
    for (int i = 0; i < count; i++) {
      const float* k = block + static_cast<size_t>(i) * kv_dim;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      int j = 0;
      for (; j + 2 <= V; j += 2) {
        acc0 = _mm256_fmadd_ps(query[j], _mm256_loadu_ps(k + 8 * j), acc0);
        acc1 = _mm256_fmadd_ps(query[j + 1], _mm256_loadu_ps(k + 8 * j + 8), acc1);
      }
      if (j < V) acc0 = _mm256_fmadd_ps(query[j], _mm256_loadu_ps(k + 8 * j), acc0);
      __m256 v = _mm256_add_ps(acc0, acc1);
      __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
      sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
      sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
      scores[start + i] = _mm_cvtss_f32(sum) * scale;
    }
  }
}

using ScoreKeys = void (*)(float*, const float*, const float*, const int32_t*, int, int, size_t, size_t, int, float);
using AttendValues = void (*)(float*, const float*, const float*, const int32_t*, int, int, size_t, size_t, int);

// Both halves of attention for one head: scores[p] = q·k_p * scale, then out = sum of
// scores[p] * v_p, positions in order, one block at a time (the float operations of a contiguous
// cache whatever the table says, so a paged sequence gets the bits it would get alone).
struct HeadKernels {
  ScoreKeys score_keys;
  AttendValues attend_values;
};

template <int V>
constexpr HeadKernels head_kernels() {
  return {score_keys_avx2<V>, attend_values_avx2<V>};
}

float dot_scalar(const float* a, const float* b, int length);
void axpy_scalar(float* out, float weight, const float* v, int length);

// Any head size: one dot product per position, and the value sum accumulated in `out`.
template <bool kAvx2>
void score_keys_any(float* scores, const float* q, const float* keys, const int32_t* block_table, int block_size, int length, size_t kv_dim,
                    size_t kv_offset, int head_dim, float scale) {
  for (int start = 0; start < length; start += block_size) {
    const float* block = keys + static_cast<size_t>(block_table[start / block_size]) * block_size * kv_dim + kv_offset;
    int count = std::min(block_size, length - start);
    for (int i = 0; i < count; i++) {
      const float* k = block + static_cast<size_t>(i) * kv_dim;
      scores[start + i] = (kAvx2 ? dot_avx2(q, k, head_dim) : dot_scalar(q, k, head_dim)) * scale;
    }
  }
}

template <bool kAvx2>
void attend_values_any(float* out, const float* weights, const float* values, const int32_t* block_table, int block_size, int length,
                       size_t kv_dim, size_t kv_offset, int head_dim) {
  for (int i = 0; i < head_dim; i++) out[i] = 0;
  for (int start = 0; start < length; start += block_size) {
    const float* block = values + static_cast<size_t>(block_table[start / block_size]) * block_size * kv_dim + kv_offset;
    int count = std::min(block_size, length - start);
    for (int i = 0; i < count; i++) {
      const float* v = block + static_cast<size_t>(i) * kv_dim;
      if (kAvx2) {
        axpy_avx2(out, weights[start + i], v, head_dim);
      } else {
        axpy_scalar(out, weights[start + i], v, head_dim);
      }
    }
  }
}

// Register versions for head sizes 8 .. 128 that are multiples of 8; loops over memory otherwise.
HeadKernels head_kernels_for(bool avx2, int head_dim) {
  if (!avx2) return {score_keys_any<false>, attend_values_any<false>};
  switch (head_dim) {
    case 8: return head_kernels<1>();
    case 16: return head_kernels<2>();
    case 32: return head_kernels<4>();
    case 48: return head_kernels<6>();
    case 64: return head_kernels<8>();
    case 80: return head_kernels<10>();
    case 96: return head_kernels<12>();
    case 128: return head_kernels<16>();
    default: return {score_keys_any<true>, attend_values_any<true>};
  }
}

// softmax() with the maximum and the exponentials eight at a time: the same maximum (max_ps keeps
// the running maximum when a value is NaN, as fmax does), exponentials within 1 ulp of std::exp
// (exp_avx2), the same sum (one float, in order) and the same scaling.
__attribute__((target("avx2,fma"))) void softmax_avx2(float* x, int length) {
  __m256 running = _mm256_set1_ps(-INFINITY);
  int i = 0;
  for (; i + 8 <= length; i += 8) running = _mm256_max_ps(_mm256_loadu_ps(x + i), running);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, running);
  float max = -INFINITY;
  for (float lane : lanes) max = std::fmax(max, lane);
  for (; i < length; i++) max = std::fmax(max, x[i]);
  const __m256 shift = _mm256_set1_ps(max);
  i = 0;
  for (; i + 8 <= length; i += 8) _mm256_storeu_ps(x + i, exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), shift)));
  if (i < length) {
    alignas(32) float tail[8] = {};
    std::copy(x + i, x + length, tail);
    _mm256_store_ps(tail, exp_avx2(_mm256_sub_ps(_mm256_load_ps(tail), shift)));
    std::copy(tail, tail + (length - i), x + i);
  }
  float sum = 0;
  for (int j = 0; j < length; j++) sum += x[j];
  float inverse = 1.0f / sum;
  for (int j = 0; j < length; j++) x[j] *= inverse;
}

// Each attention weight rounded to f16 and back, eight at a time (F16C rounds to nearest even,
// as f32_to_f16 does).
__attribute__((target("avx2,f16c"))) void round_to_f16_avx2(float* values, int length) {
  int p = 0;
  for (; p + 8 <= length; p += 8) {
    __m256 x = _mm256_loadu_ps(values + p);
    _mm256_storeu_ps(values + p, _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)));
  }
  for (; p < length; p++) values[p] = f16_to_f32(f32_to_f16(values[p]));
}

// Every value rounded to f16 and back (the level's way; both round to nearest even).
void round_to_f16(float* values, size_t length) {
  if (using_avx2()) {
    round_to_f16_avx2(values, static_cast<int>(length));
  } else {
    for (size_t i = 0; i < length; i++) values[i] = f16_to_f32(f32_to_f16(values[i]));
  }
}

float dot_scalar(const float* a, const float* b, int length) {
  float sum = 0;
  for (int i = 0; i < length; i++) sum += a[i] * b[i];
  return sum;
}

void axpy_scalar(float* out, float weight, const float* v, int length) {
  for (int i = 0; i < length; i++) out[i] += weight * v[i];
}

// Attention of (token, head) pairs begin .. end - 1, unit = head * n + token.
void attention_units(const AttentionJob& job, int begin, int end) {
  thread_local std::vector<float> scores;
  const bool attention_avx2 = using_avx2();
  int kv_dim = job.n_kv_heads * job.head_dim;
  int group = job.n_heads / job.n_kv_heads;
  float scale = 1.0f / std::sqrt(static_cast<float>(job.head_dim));
  const HeadKernels head = head_kernels_for(attention_avx2, job.head_dim);
  for (int unit = begin; unit < end; unit++) {
    // Head-major: consecutive units are consecutive tokens of one head, which read the same slice
    // of every cached row, so the slice stays in the core's L2 from one token to the next (token-
    // major, each token's heads together read whole rows, from L3 again for every token).
    int h = unit / job.n, t = unit % job.n;
    int length = job.position + t + 1;
    if (scores.size() < static_cast<size_t>(length)) scores.resize(length);
    const size_t row = static_cast<size_t>(t) * job.n_heads + h;
    const float* q = job.q + row * job.head_dim;
    size_t kv_offset = static_cast<size_t>(h / group) * job.head_dim;
    head.score_keys(scores.data(), q, job.keys, job.block_table, job.block_size, length, kv_dim, kv_offset, job.head_dim, scale);
    if (attention_avx2) {
      softmax_avx2(scores.data(), length);
    } else {
      softmax(scores.data(), length);
    }
    // The attention weights meet V in f16, as in llama.cpp's softmax(KQ)·V over its f16 cache.
    round_to_f16(scores.data(), static_cast<size_t>(length));
    float* out = job.out + row * job.head_dim;
    head.attend_values(out, scores.data(), job.values, job.block_table, job.block_size, length, kv_dim, kv_offset, job.head_dim);
  }
}

// Below this much work (query tokens x heads x positions x head size) the calling thread attends alone.
constexpr int64_t kParallelAttention = 16 * 1024;

// One chunk is one (token, head) pair.
void attention_chunk(void* context, int chunk) { attention_units(*static_cast<const AttentionJob*>(context), chunk, chunk + 1); }

}  // namespace

namespace {

// Every segment's attention units (token, head) as one job: chunk c belongs to the segment whose
// range of units holds it.
struct BatchAttentionJob {
  std::vector<AttentionJob> jobs;
  std::vector<int> first_unit;  // jobs.size() + 1 entries
};

void batch_attention_chunk(void* context, int chunk) {
  const BatchAttentionJob& batch = *static_cast<const BatchAttentionJob*>(context);
  size_t j = std::upper_bound(batch.first_unit.begin(), batch.first_unit.end(), chunk) - batch.first_unit.begin() - 1;
  int unit = chunk - batch.first_unit[j];
  attention_units(batch.jobs[j], unit, unit + 1);
}

}  // namespace

void attend_batch(ThreadPool& pool, float* out, float* q, float* k, float* v, float* keys, float* values, const int32_t* segments,
                  int n_segments, const int32_t* tables, int block_size, int n_heads, int n_kv_heads, int head_dim, float freq_base,
                  int style) {
  const size_t q_dim = static_cast<size_t>(n_heads) * head_dim, kv_dim = static_cast<size_t>(n_kv_heads) * head_dim;
  size_t total = 0;
  for (int s = 0; s < n_segments; s++) {
    const int32_t* segment = segments + 4 * s;
    rope(q + total * q_dim, segment[1], n_heads, head_dim, segment[0], freq_base, style);
    rope(k + total * kv_dim, segment[1], n_kv_heads, head_dim, segment[0], freq_base, style);
    total += segment[1];
  }
  round_to_f16(q, total * q_dim);
  round_to_f16(k, total * kv_dim);
  round_to_f16(v, total * kv_dim);
  BatchAttentionJob batch;
  batch.first_unit.push_back(0);
  int64_t work = 0;
  size_t row = 0;
  for (int s = 0; s < n_segments; s++) {
    const int32_t* segment = segments + 4 * s;
    const int position = segment[0], count = segment[1];
    const int32_t* table = tables + segment[2];
    for (int t = 0; t < count; t++) {
      const int at = position + t;
      const size_t physical = (static_cast<size_t>(table[at / block_size]) * block_size + at % block_size) * kv_dim;
      std::copy(k + (row + t) * kv_dim, k + (row + t + 1) * kv_dim, keys + physical);
      std::copy(v + (row + t) * kv_dim, v + (row + t + 1) * kv_dim, values + physical);
    }
    batch.jobs.push_back(
        AttentionJob{out + row * q_dim, q + row * q_dim, keys, values, table, block_size, position, count, n_heads, n_kv_heads, head_dim});
    batch.first_unit.push_back(batch.first_unit.back() + count * n_heads);
    work += static_cast<int64_t>(count) * n_heads * (position + count) * head_dim;
    row += count;
  }
  const int units = batch.first_unit.back();
  if (work < kParallelAttention || pool.size() == 1) {
    for (const AttentionJob& job : batch.jobs) attention_units(job, 0, job.n * n_heads);
  } else {
    pool.run(units, batch_attention_chunk, &batch);
  }
}

void attention(ThreadPool& pool, float* out, const float* q, const float* keys, const float* values, const int32_t* block_table,
               int block_size, int position, int n, int n_heads, int n_kv_heads, int head_dim) {
  AttentionJob job{out, q, keys, values, block_table, block_size, position, n, n_heads, n_kv_heads, head_dim};
  int64_t work = static_cast<int64_t>(n) * n_heads * (position + n) * head_dim;
  if (work < kParallelAttention) {
    attention_units(job, 0, n * n_heads);
  } else {
    pool.run(n * n_heads, attention_chunk, &job);
  }
}

}  // namespace pyagent
