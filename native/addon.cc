// N-API surface of the kernels. Every function takes typed arrays and writes into the caller's
// output array (zero copy); arguments are checked here so a bad call throws instead of touching
// memory it does not own. The JavaScript wrapper is src/engine/kernels/native.ts.
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "kernels.h"
#include "thread_pool.h"

namespace {

using pyagent::ThreadPool;

// One pool per process, shared by every model; setThreads replaces it.
std::unique_ptr<ThreadPool> pool;
// The pool, the SIMD choice and matmul's activation scratch are process-wide: calls from several
// JavaScript threads (worker_threads) take turns. Uncontended, the lock costs nanoseconds.
std::mutex kernel_mutex;

ThreadPool& the_pool() {
  if (!pool) pool = std::make_unique<ThreadPool>(1);
  return *pool;
}

struct ArrayView {
  void* data = nullptr;
  size_t bytes = 0;
};

// The bytes behind a typed array, or nullptr (with a pending TypeError) when it is not one of `expected`.
bool view_of(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type expected, const char* what, ArrayView& view) {
  napi_env env = info.Env();
  napi_value value = info[index];
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  napi_typedarray_type type;
  size_t length = 0;
  if (is_typed) napi_get_typedarray_info(env, value, &type, &length, &view.data, nullptr, nullptr);
  if (!is_typed || type != expected) {
    Napi::TypeError::New(env, std::string("argument ") + std::to_string(index) + " (" + what + ") has the wrong array type")
        .ThrowAsJavaScriptException();
    return false;
  }
  size_t element = expected == napi_float32_array || expected == napi_int32_array ? 4 : 1;
  view.bytes = length * element;
  return true;
}

int int_arg(const Napi::CallbackInfo& info, size_t index) { return info[index].As<Napi::Number>().Int32Value(); }

bool require(const Napi::CallbackInfo& info, bool condition, const std::string& message) {
  if (!condition) Napi::RangeError::New(info.Env(), message).ThrowAsJavaScriptException();
  return condition;
}

// matmul(out: Float32Array, weights: Uint8Array, type, x: Float32Array, n, rows, cols)
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  ArrayView out, weights, x;
  if (!view_of(info, 0, napi_float32_array, "out", out) || !view_of(info, 1, napi_uint8_array, "weights", weights) ||
      !view_of(info, 3, napi_float32_array, "x", x))
    return info.Env().Undefined();
  int type = int_arg(info, 2), n = int_arg(info, 4), rows = int_arg(info, 5), cols = int_arg(info, 6);
  size_t bytes_per_row = pyagent::row_bytes(type, cols);
  bool quantized = type == pyagent::kQ8_0 || type == pyagent::kQ4_0;
  if (!require(info, bytes_per_row > 0 && n >= 0 && rows >= 0 && (!quantized || cols % pyagent::kBlock == 0),
               "unsupported tensor type or shape") ||
      !require(info, weights.bytes >= bytes_per_row * rows, "weights are smaller than rows x cols") ||
      !require(info, x.bytes >= static_cast<size_t>(n) * cols * 4, "x is smaller than n x cols") ||
      !require(info, out.bytes >= static_cast<size_t>(n) * rows * 4, "out is smaller than n x rows"))
    return info.Env().Undefined();
  std::lock_guard<std::mutex> lock(kernel_mutex);
  pyagent::matmul(the_pool(), static_cast<float*>(out.data), static_cast<const uint8_t*>(weights.data), type,
                  static_cast<const float*>(x.data), n, rows, cols);
  return info.Env().Undefined();
}

// rmsnorm(out, x, weight, eps)
Napi::Value Rmsnorm(const Napi::CallbackInfo& info) {
  ArrayView out, x, weight;
  if (!view_of(info, 0, napi_float32_array, "out", out) || !view_of(info, 1, napi_float32_array, "x", x) ||
      !view_of(info, 2, napi_float32_array, "weight", weight))
    return info.Env().Undefined();
  int width = static_cast<int>(weight.bytes / 4);
  if (!require(info, width > 0 && x.bytes % weight.bytes == 0 && out.bytes >= x.bytes, "x must hold whole rows of weight.length"))
    return info.Env().Undefined();
  pyagent::rmsnorm(static_cast<float*>(out.data), static_cast<const float*>(x.data), static_cast<const float*>(weight.data),
                   x.bytes / 4, width, info[3].As<Napi::Number>().FloatValue());
  return info.Env().Undefined();
}

// rope(vec, n, heads, headDim, position, freqBase, style)
Napi::Value Rope(const Napi::CallbackInfo& info) {
  ArrayView vec;
  if (!view_of(info, 0, napi_float32_array, "vec", vec)) return info.Env().Undefined();
  int n = int_arg(info, 1), heads = int_arg(info, 2), head_dim = int_arg(info, 3);
  if (!require(info, head_dim % 2 == 0 && vec.bytes >= static_cast<size_t>(n) * heads * head_dim * 4, "vec is smaller than n x heads x headDim"))
    return info.Env().Undefined();
  pyagent::rope(static_cast<float*>(vec.data), n, heads, head_dim, int_arg(info, 4), info[5].As<Napi::Number>().FloatValue(),
                int_arg(info, 6));
  return info.Env().Undefined();
}

// softmax(x, length)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  ArrayView x;
  if (!view_of(info, 0, napi_float32_array, "x", x)) return info.Env().Undefined();
  int length = int_arg(info, 1);
  if (!require(info, length >= 0 && x.bytes >= static_cast<size_t>(length) * 4, "length is past the end of x")) return info.Env().Undefined();
  pyagent::softmax(static_cast<float*>(x.data), length);
  return info.Env().Undefined();
}

// swiglu(out, gate, up)
Napi::Value Swiglu(const Napi::CallbackInfo& info) {
  ArrayView out, gate, up;
  if (!view_of(info, 0, napi_float32_array, "out", out) || !view_of(info, 1, napi_float32_array, "gate", gate) ||
      !view_of(info, 2, napi_float32_array, "up", up))
    return info.Env().Undefined();
  if (!require(info, gate.bytes >= out.bytes && up.bytes >= out.bytes, "gate and up must be at least as long as out"))
    return info.Env().Undefined();
  std::lock_guard<std::mutex> lock(kernel_mutex);
  pyagent::swiglu(the_pool(), static_cast<float*>(out.data), static_cast<const float*>(gate.data), static_cast<const float*>(up.data),
                  out.bytes / 4);
  return info.Env().Undefined();
}

// add(out, x): out += x over out's length
Napi::Value Add(const Napi::CallbackInfo& info) {
  ArrayView out, x;
  if (!view_of(info, 0, napi_float32_array, "out", out) || !view_of(info, 1, napi_float32_array, "x", x)) return info.Env().Undefined();
  if (!require(info, x.bytes >= out.bytes, "x must be at least as long as out")) return info.Env().Undefined();
  pyagent::add(static_cast<float*>(out.data), static_cast<const float*>(x.data), out.bytes / 4);
  return info.Env().Undefined();
}

// argmax(x, length) -> index
Napi::Value Argmax(const Napi::CallbackInfo& info) {
  ArrayView x;
  if (!view_of(info, 0, napi_float32_array, "x", x)) return info.Env().Undefined();
  int length = int_arg(info, 1);
  if (!require(info, length >= 0 && x.bytes >= static_cast<size_t>(length) * 4, "length is past the end of x")) return info.Env().Undefined();
  std::lock_guard<std::mutex> lock(kernel_mutex);
  return Napi::Number::New(info.Env(), pyagent::argmax(the_pool(), static_cast<const float*>(x.data), length));
}

// The rows of the blocks that positions 0 .. length - 1 occupy must lie inside pools of `rows` rows
// (src/engine/kernels/block-table.ts checks the same in TypeScript).
bool require_table(const Napi::CallbackInfo& info, const int32_t* entries, int64_t entry_count, int block_size, int64_t length, int64_t rows) {
  int64_t blocks = (length + block_size - 1) / block_size;
  if (!require(info, blocks <= entry_count, "block table has " + std::to_string(entry_count) + " entries, position + n needs " + std::to_string(blocks)))
    return false;
  for (int64_t b = 0; b < blocks; b++) {
    int64_t used = std::min<int64_t>(block_size, length - b * block_size);
    if (!require(info, entries[b] >= 0 && static_cast<int64_t>(entries[b]) * block_size + used <= rows,
                 "block table entry " + std::to_string(b) + " (" + std::to_string(entries[b]) + ") addresses rows outside keys/values (" +
                     std::to_string(rows) + " rows)"))
      return false;
  }
  return true;
}

// attention(out, q, keys, values, blockTable: Int32Array, blockSize, position, n, nHeads, nKvHeads, headDim)
Napi::Value Attention(const Napi::CallbackInfo& info) {
  ArrayView out, q, keys, values, table;
  if (!view_of(info, 0, napi_float32_array, "out", out) || !view_of(info, 1, napi_float32_array, "q", q) ||
      !view_of(info, 2, napi_float32_array, "keys", keys) || !view_of(info, 3, napi_float32_array, "values", values) ||
      !view_of(info, 4, napi_int32_array, "blockTable", table))
    return info.Env().Undefined();
  int block_size = int_arg(info, 5), position = int_arg(info, 6), n = int_arg(info, 7), n_heads = int_arg(info, 8),
      n_kv_heads = int_arg(info, 9), head_dim = int_arg(info, 10);
  if (!require(info, n_heads > 0 && n_kv_heads > 0 && head_dim > 0 && n_heads % n_kv_heads == 0,
               "nHeads must be a positive multiple of nKvHeads, headDim positive") ||
      !require(info, block_size > 0 && position >= 0 && n >= 0, "blockSize must be positive, position and n not negative"))
    return info.Env().Undefined();
  size_t q_bytes = static_cast<size_t>(n) * n_heads * head_dim * 4;
  if (!require(info, out.bytes >= q_bytes && q.bytes >= q_bytes, "q/out are smaller than n x nHeads x headDim"))
    return info.Env().Undefined();
  // Every block the queries read must lie inside both pools.
  int64_t row_bytes = static_cast<int64_t>(n_kv_heads) * head_dim * 4;
  int64_t rows = static_cast<int64_t>(std::min(keys.bytes, values.bytes)) / row_bytes;
  const int32_t* entries = static_cast<const int32_t*>(table.data);
  if (!require_table(info, entries, static_cast<int64_t>(table.bytes / 4), block_size, static_cast<int64_t>(position) + n, rows))
    return info.Env().Undefined();
  std::lock_guard<std::mutex> lock(kernel_mutex);
  pyagent::attention(the_pool(), static_cast<float*>(out.data), static_cast<const float*>(q.data), static_cast<const float*>(keys.data),
                     static_cast<const float*>(values.data), entries, block_size, position, n, n_heads, n_kv_heads, head_dim);
  return info.Env().Undefined();
}

// attendBatch(out, q, k, v, keys, values, segments: Int32Array, tables: Int32Array, blockSize, nHeads, nKvHeads, headDim, freqBase, style)
Napi::Value AttendBatch(const Napi::CallbackInfo& info) {
  ArrayView out, q, k, v, keys, values, segments, tables;
  if (!view_of(info, 0, napi_float32_array, "out", out) || !view_of(info, 1, napi_float32_array, "q", q) ||
      !view_of(info, 2, napi_float32_array, "k", k) || !view_of(info, 3, napi_float32_array, "v", v) ||
      !view_of(info, 4, napi_float32_array, "keys", keys) || !view_of(info, 5, napi_float32_array, "values", values) ||
      !view_of(info, 6, napi_int32_array, "segments", segments) || !view_of(info, 7, napi_int32_array, "tables", tables))
    return info.Env().Undefined();
  int block_size = int_arg(info, 8), n_heads = int_arg(info, 9), n_kv_heads = int_arg(info, 10), head_dim = int_arg(info, 11);
  float freq_base = info[12].As<Napi::Number>().FloatValue();
  int style = int_arg(info, 13);
  if (!require(info, n_heads > 0 && n_kv_heads > 0 && head_dim > 0 && head_dim % 2 == 0 && n_heads % n_kv_heads == 0,
               "nHeads must be a positive multiple of nKvHeads, headDim positive and even") ||
      !require(info, block_size > 0, "blockSize must be positive") || !require(info, segments.bytes % 16 == 0, "segments holds 4 ints per segment"))
    return info.Env().Undefined();
  const int32_t* entries = static_cast<const int32_t*>(segments.data);
  const int32_t* table_entries = static_cast<const int32_t*>(tables.data);
  const int n_segments = static_cast<int>(segments.bytes / 16);
  const int64_t table_count = static_cast<int64_t>(tables.bytes / 4);
  const int64_t kv_row_bytes = static_cast<int64_t>(n_kv_heads) * head_dim * 4;
  const int64_t rows = static_cast<int64_t>(std::min(keys.bytes, values.bytes)) / kv_row_bytes;
  int64_t total = 0;
  for (int s = 0; s < n_segments; s++) {
    const int32_t* segment = entries + 4 * s;
    if (!require(info, segment[0] >= 0 && segment[1] >= 0, "segment " + std::to_string(s) + " has a negative position or count") ||
        !require(info, segment[2] >= 0 && segment[3] >= 0 && static_cast<int64_t>(segment[2]) + segment[3] <= table_count,
                 "segment " + std::to_string(s) + "'s block table lies outside tables") ||
        !require_table(info, table_entries + segment[2], segment[3], block_size, static_cast<int64_t>(segment[0]) + segment[1], rows))
      return info.Env().Undefined();
    total += segment[1];
  }
  const int64_t q_bytes = total * n_heads * head_dim * 4, kv_bytes = total * kv_row_bytes;
  if (!require(info, static_cast<int64_t>(out.bytes) >= q_bytes && static_cast<int64_t>(q.bytes) >= q_bytes,
               "q/out are smaller than the segments' rows x nHeads x headDim") ||
      !require(info, static_cast<int64_t>(k.bytes) >= kv_bytes && static_cast<int64_t>(v.bytes) >= kv_bytes,
               "k/v are smaller than the segments' rows x nKvHeads x headDim"))
    return info.Env().Undefined();
  std::lock_guard<std::mutex> lock(kernel_mutex);
  pyagent::attend_batch(the_pool(), static_cast<float*>(out.data), static_cast<float*>(q.data), static_cast<float*>(k.data),
                        static_cast<float*>(v.data), static_cast<float*>(keys.data), static_cast<float*>(values.data), entries, n_segments,
                        table_entries, block_size, n_heads, n_kv_heads, head_dim, freq_base, style);
  return info.Env().Undefined();
}

// setThreads(n): replaces the pool (waits for none: calls are synchronous on the JS thread).
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int threads = int_arg(info, 0);
  if (!require(info, threads >= 1 && threads <= 1024, "threads must be between 1 and 1024")) return info.Env().Undefined();
  std::lock_guard<std::mutex> lock(kernel_mutex);
  if (!pool || pool->size() != threads) {
    pool.reset();
    pool = std::make_unique<ThreadPool>(threads);
  }
  return info.Env().Undefined();
}

const char* level_name(pyagent::SimdLevel level) {
  switch (level) {
    case pyagent::SimdLevel::kAvx512: return "avx512";
    case pyagent::SimdLevel::kAvx2: return "avx2";
    default: return "scalar";
  }
}

// setSimd("auto" | "scalar" | "avx2" | "avx512"): "auto" is the best level the CPU has; tests
// force the others to cover every kernel set. A level the CPU lacks throws and changes nothing.
Napi::Value SetSimd(const Napi::CallbackInfo& info) {
  if (!require(info, info.Length() >= 1 && info[0].IsString(), "setSimd takes \"auto\", \"scalar\", \"avx2\" or \"avx512\""))
    return info.Env().Undefined();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::lock_guard<std::mutex> lock(kernel_mutex);
  if (name == "auto") {
    pyagent::use_best_simd_level();
    return info.Env().Undefined();
  }
  for (pyagent::SimdLevel level : {pyagent::SimdLevel::kScalar, pyagent::SimdLevel::kAvx2, pyagent::SimdLevel::kAvx512}) {
    if (name != level_name(level)) continue;
    require(info, pyagent::set_simd_level(level), "this CPU lacks the instructions of simd level " + name);
    return info.Env().Undefined();
  }
  require(info, false, "unknown simd level \"" + name + "\" (auto, scalar, avx2 or avx512)");
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pyagent::CpuFeatures features = pyagent::cpu_features();
  Napi::Object result = Napi::Object::New(env);
  std::lock_guard<std::mutex> lock(kernel_mutex);
  result.Set("threads", the_pool().size());
  result.Set("simd", level_name(pyagent::simd_level()));
  Napi::Array levels = Napi::Array::New(env);
  for (pyagent::SimdLevel level : {pyagent::SimdLevel::kScalar, pyagent::SimdLevel::kAvx2, pyagent::SimdLevel::kAvx512}) {
    if (pyagent::cpu_supports(level)) levels.Set(levels.Length(), level_name(level));
  }
  result.Set("levels", levels);
  result.Set("avx2", features.avx2);
  result.Set("fma", features.fma);
  result.Set("f16c", features.f16c);
  result.Set("avx512f", features.avx512f);
  result.Set("avx512vl", features.avx512vl);
  result.Set("avx512bw", features.avx512bw);
  result.Set("avx512vnni", features.avx512vnni);
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("rmsnorm", Napi::Function::New(env, Rmsnorm));
  exports.Set("rope", Napi::Function::New(env, Rope));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("swiglu", Napi::Function::New(env, Swiglu));
  exports.Set("argmax", Napi::Function::New(env, Argmax));
  exports.Set("add", Napi::Function::New(env, Add));
  exports.Set("attention", Napi::Function::New(env, Attention));
  exports.Set("attendBatch", Napi::Function::New(env, AttendBatch));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setSimd", Napi::Function::New(env, SetSimd));
  exports.Set("info", Napi::Function::New(env, Info));
  return exports;
}

}  // namespace

NODE_API_MODULE(pyagent_kernels, Init)
