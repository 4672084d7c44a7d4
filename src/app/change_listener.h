// The control store's LISTEN connection (storage/postgres/listener.h), on a
// thread of its own: each change another node or the CLI commits is
// announced to this process's caches at once, instead of at the next poll
// of the change log. Started only with the control store on PostgreSQL.
#pragma once

#include <atomic>
#include <memory>

#include "control/control_store.h"
#include "logging/logger.h"
#include "storage/postgres/postgres_url.h"

namespace tenantd::app {

class ChangeListener {
 public:
  ChangeListener(control::ControlStore& store, storage::PostgresUrl url, logging::Logger& log);
  ~ChangeListener();  // stops listening and joins the thread
  ChangeListener(const ChangeListener&) = delete;
  ChangeListener& operator=(const ChangeListener&) = delete;

  // Whether the connection is LISTENing now (the metrics' gauge).
  bool listening() const { return listening_.load(std::memory_order_relaxed); }

 private:
  struct Impl;
  std::atomic<bool> listening_{false};
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantd::app
