// A persistent pool of worker threads for the kernels. A job is a number of chunks; the calling
// (JavaScript) thread and the workers take chunks from a shared counter until none are left, so a
// worker the OS has not scheduled (a busy machine) never holds the job up: the caller does its
// share. Workers spin briefly between jobs (decode issues one every few microseconds), then sleep
// on a condition variable, so an idle model costs no CPU.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace pyagent {

// Processes chunk `chunk` of a job.
using ChunkFn = void (*)(void* context, int chunk);

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }
  // Runs fn on chunks 0 .. chunks - 1, spread over the pool, and returns when all are done.
  void run(int chunks, ChunkFn fn, void* context);

 private:
  struct Task {
    ChunkFn fn;
    void* context;
    int chunks;
    std::atomic<int> next{0};
    std::atomic<int> done{0};
  };
  static void work_on(Task& task);
  void worker();

  int threads_;
  std::vector<std::thread> workers_;
  // The job being run, or nullptr. A worker counts itself in active_ before reading it, and run()
  // waits for active_ to drop to 0 after clearing it, so no worker touches a finished Task.
  std::atomic<Task*> task_{nullptr};
  std::atomic<int> active_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace pyagent
