// A persistent pool of worker threads for the kernels. The calling (JavaScript) thread is worker
// 0 and works too, so a pool of N threads starts N - 1 OS threads. Workers spin briefly between
// jobs (decode issues a job every few microseconds) and then sleep on a condition variable, so an
// idle model costs no CPU.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace pyagent {

// A job: called once per thread with (context, thread index, thread count).
using Job = void (*)(void* context, int thread, int threads);

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }
  // Runs job on every thread (this one included) and returns when all have finished.
  void run(Job job, void* context);

 private:
  void worker(int index);

  int threads_;
  std::vector<std::thread> workers_;
  Job job_ = nullptr;
  void* context_ = nullptr;
  // Incremented once per job; a worker runs the job when it sees a generation it has not run.
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace pyagent
