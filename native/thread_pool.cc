#include "thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace pyagent {

namespace {
// How long an idle worker spins before sleeping: longer than the gap between two matmuls of one
// token, far shorter than a human-visible pause.
constexpr auto kSpinTime = std::chrono::microseconds(1000);
}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  for (int index = 1; index < threads_; index++) workers_.emplace_back([this, index] { worker(index); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& thread : workers_) thread.join();
}

void ThreadPool::run(Job job, void* context) {
  if (threads_ == 1) {
    job(context, 0, 1);
    return;
  }
  job_ = job;
  context_ = context;
  pending_.store(threads_ - 1);
  // seq_cst pairs with the worker's sleepers_ increment: either we see it asleep and notify
  // under the mutex, or it sees the new generation before waiting.
  generation_.fetch_add(1);
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
  }
  job(context, 0, threads_);
  while (pending_.load(std::memory_order_acquire) != 0) cpu_relax();
}

void ThreadPool::worker(int index) {
  uint64_t seen = generation_.load();
  for (;;) {
    uint64_t current = generation_.load(std::memory_order_acquire);
    auto spin_start = std::chrono::steady_clock::now();
    unsigned spins = 0;
    while (current == seen) {
      cpu_relax();
      if ((++spins & 255) == 0 && std::chrono::steady_clock::now() - spin_start > kSpinTime) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        sleepers_.fetch_sub(1);
        spin_start = std::chrono::steady_clock::now();
      }
      current = generation_.load(std::memory_order_acquire);
    }
    seen = current;
    if (stopping_.load()) return;
    job_(context_, index, threads_);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace pyagent
