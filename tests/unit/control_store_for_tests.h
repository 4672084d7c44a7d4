// A control store for unit tests of its callers: SQLite in `data_dir`
// (control.db), or PostgreSQL at `database_url`, migrated and ready.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "await.h"
#include "control/control_store.h"
#include "storage/database.h"

namespace tenantd::test {

inline base::Result<std::unique_ptr<control::ControlStore>> OpenControlStore(
    const std::filesystem::path& data_dir, const crypto::SecretBox& box,
    const std::string& database_url = "") {
  TENANTD_TRY(std::unique_ptr<storage::Database> db,
              control::OpenControlDatabase(data_dir, database_url));
  return Await(control::ControlStore::Open(std::move(db), box));
}

}  // namespace tenantd::test
