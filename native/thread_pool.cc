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
// How long an idle worker spins before sleeping: longer than the gap between two kernels of one
// token, far shorter than a human-visible pause.
constexpr auto kSpinTime = std::chrono::microseconds(500);

// Spin a little, then give the CPU away: on a busy machine the thread we wait for may need it.
inline void backoff(unsigned& spins) {
  if (++spins < 2000) {
    cpu_relax();
  } else {
    std::this_thread::yield();
  }
}
}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  for (int index = 1; index < threads_; index++) workers_.emplace_back([this] { worker(); });
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

void ThreadPool::work_on(Task& task) {
  for (;;) {
    int chunk = task.next.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= task.chunks) return;
    task.fn(task.context, chunk);
    task.done.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::run(int chunks, ChunkFn fn, void* context) {
  if (threads_ == 1 || chunks <= 1) {
    for (int chunk = 0; chunk < chunks; chunk++) fn(context, chunk);
    return;
  }
  Task task;
  task.fn = fn;
  task.context = context;
  task.chunks = chunks;
  task_.store(&task);
  // seq_cst pairs with the worker's sleepers_ increment: either we see it asleep and notify
  // under the mutex, or it sees the new generation before waiting.
  generation_.fetch_add(1);
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
  }
  work_on(task);
  unsigned spins = 0;
  while (task.done.load(std::memory_order_acquire) != chunks) backoff(spins);
  task_.store(nullptr);
  spins = 0;
  while (active_.load() != 0) backoff(spins);
}

void ThreadPool::worker() {
  // Generation 0 is the pool's start: reading generation_ here instead could miss a job, or the
  // stop, issued before this thread got scheduled.
  uint64_t seen = 0;
  for (;;) {
    auto spin_start = std::chrono::steady_clock::now();
    unsigned spins = 0;
    uint64_t current;
    while ((current = generation_.load(std::memory_order_acquire)) == seen) {
      cpu_relax();
      if ((++spins & 255) == 0 && std::chrono::steady_clock::now() - spin_start > kSpinTime) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1);
        wake_.wait(lock, [&] { return generation_.load() != seen || stopping_.load(); });
        sleepers_.fetch_sub(1);
        spin_start = std::chrono::steady_clock::now();
      }
    }
    seen = current;
    if (stopping_.load()) return;
    active_.fetch_add(1);
    Task* task = task_.load();
    if (task != nullptr) work_on(*task);
    active_.fetch_sub(1);
  }
}

}  // namespace pyagent
