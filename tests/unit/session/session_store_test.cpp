// The session-store contract (support/session_store_contract.h) on the
// stores of one process: memory, and the control store's on SQLite and on
// PostgreSQL. (Redis: e2e/redis_session_store_test.cpp.)
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/control_store.h"
#include "control_store_for_tests.h"
#include "crypto/secret_box.h"
#include "session/memory_session_store.h"
#include "session/sql_session_store.h"
#include "support/postgres_server.h"
#include "support/session_store_contract.h"
#include "temp_dir.h"

namespace tenantd::test {
namespace {

// Tenants are only names to the memory store.
class MemoryHarness : public SessionStoreHarness {
 public:
  session::SessionStore& store() override { return store_; }
  const std::vector<std::string>& tenants() const override { return tenants_; }

 private:
  session::MemorySessionStore store_;
  const std::vector<std::string> tenants_{"ten_one", "ten_two"};
};

// A control store with two tenants (sessions of unknown tenants are not
// written) and the SqlSessionStore over its database.
class ControlHarness : public SessionStoreHarness {
 public:
  // `database_url` "": SQLite in a temporary directory.
  static std::unique_ptr<SessionStoreHarness> Open(const std::string& database_url) {
    auto harness = std::make_unique<ControlHarness>();
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, 'k')));
    EXPECT_TRUE(box);
    if (!box) return nullptr;
    harness->box_.emplace(std::move(*box));
    auto control = OpenControlStore(harness->tmp_.path(), *harness->box_, database_url);
    EXPECT_TRUE(control) << (control ? "" : control.error().log_detail);
    if (!control) return nullptr;
    harness->control_ = std::move(*control);
    for (const char* slug : {"one", "two"}) {
      control::NewTenant t;
      t.slug = slug;
      t.name = slug;
      auto created = Await(harness->control_->CreateTenant(t));
      EXPECT_TRUE(created);
      if (!created) return nullptr;
      harness->tenants_.push_back(created->tenant.id);
    }
    harness->store_ = std::make_unique<session::SqlSessionStore>(harness->control_->database());
    return harness;
  }
  ~ControlHarness() override {
    store_.reset();  // before the database it writes to
    control_.reset();
  }

  session::SessionStore& store() override { return *store_; }
  const std::vector<std::string>& tenants() const override { return tenants_; }
  std::unique_ptr<session::SessionStore> OpenAgain() override {
    return std::make_unique<session::SqlSessionStore>(control_->database());
  }
  base::Status Flush() override { return store_->Flush(); }

 private:
  TempDir tmp_;
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<control::ControlStore> control_;
  std::vector<std::string> tenants_;
  std::unique_ptr<session::SqlSessionStore> store_;
};

INSTANTIATE_TEST_SUITE_P(
    LocalStores, SessionStoreTest,
    ::testing::Values(SessionStoreKind{"memory", [] { return std::make_unique<MemoryHarness>(); }},
                      SessionStoreKind{"control", [] { return ControlHarness::Open(""); }},
                      SessionStoreKind{"control_postgres",
                                       [] { return ControlHarness::Open(CreateTestDatabase()); }}),
    SessionStoreKindName);

}  // namespace
}  // namespace tenantd::test
