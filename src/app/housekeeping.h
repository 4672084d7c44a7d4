// Periodic background chores off the event loops: flushing API keys' last
// use, purging expired sessions. One thread; each task runs at its own
// interval; Stop() runs every task one last time (so a clean shutdown
// loses no recorded use) and joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tenantd::app {

class Housekeeping {
 public:
  struct Task {
    std::string name;
    std::chrono::milliseconds interval;
    std::function<void()> run;
  };

  explicit Housekeeping(std::vector<Task> tasks);
  ~Housekeeping();  // = Stop()
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

  void Stop();

 private:
  void Loop();

  std::vector<Task> tasks_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tenantd::app
