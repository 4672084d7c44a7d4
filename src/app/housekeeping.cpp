#include "app/housekeeping.h"

namespace tenantd::app {

Housekeeping::Housekeeping(std::vector<Task> tasks) : tasks_(std::move(tasks)) {
  thread_ = std::thread([this] { Loop(); });
}

Housekeeping::~Housekeeping() { Stop(); }

void Housekeeping::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Housekeeping::Loop() {
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> due(tasks_.size(), Clock::now());
  for (std::size_t i = 0; i < tasks_.size(); ++i) due[i] += tasks_[i].interval;
  std::unique_lock lock(mu_);
  while (!stop_) {
    Clock::time_point next = Clock::time_point::max();
    for (const auto& d : due) next = std::min(next, d);
    wake_.wait_until(lock, next, [this] { return stop_; });
    if (stop_) break;
    const auto now = Clock::now();
    lock.unlock();
    for (std::size_t i = 0; i < tasks_.size(); ++i) {
      if (due[i] <= now) {
        tasks_[i].run();
        due[i] = now + tasks_[i].interval;
      }
    }
    lock.lock();
  }
  lock.unlock();
  for (const Task& t : tasks_) t.run();
}

}  // namespace tenantd::app
