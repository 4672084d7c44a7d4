#include "support/people.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>

#include "base/secret.h"
#include "control/control_store.h"
#include "control/people.h"
#include "crypto/crypto.h"
#include "crypto/password.h"
#include "crypto/secret_box.h"
#include "storage/run_to_completion.h"
#include "support/control_database.h"

namespace tenantd::test {
namespace {

// A store of the data directory, and its box (which the store points to).
struct OpenedStore {
  std::unique_ptr<crypto::SecretBox> box;
  std::unique_ptr<control::ControlStore> store;
};

std::optional<OpenedStore> OpenStore(const std::filesystem::path& data_dir) {
  auto key = crypto::LoadOrCreateMasterKey(base::Secret(), data_dir);
  EXPECT_TRUE(key) << (key ? "" : key.error().log_detail);
  if (!key) return std::nullopt;
  auto box = crypto::SecretBox::Create(*key);
  EXPECT_TRUE(box);
  if (!box) return std::nullopt;
  OpenedStore out;
  out.box = std::make_unique<crypto::SecretBox>(std::move(*box));
  auto db = control::OpenControlDatabase(data_dir, ControlDatabaseUrl(data_dir));
  EXPECT_TRUE(db) << (db ? "" : db.error().log_detail);
  if (!db) return std::nullopt;
  auto store = storage::RunToCompletion(control::ControlStore::Open(std::move(*db), *out.box));
  EXPECT_TRUE(store) << (store ? "" : store.error().log_detail);
  if (!store) return std::nullopt;
  out.store = std::move(*store);
  return out;
}

}  // namespace

CreatedUser CreateUser(const std::filesystem::path& data_dir, std::string_view email,
                       std::string_view slug, std::string_view name) {
  CreatedUser out;
  std::optional<OpenedStore> opened = OpenStore(data_dir);
  if (!opened) return out;
  control::People people(*opened->store);
  control::NewUser n;
  n.email = std::string(email);
  n.name = std::string(name);
  // A real hash (what a sign-up stores), at a low cost: it is never checked here.
  n.password_hash = crypto::HashPassword("correct horse battery staple",
                                         crypto::PasswordCost{.ops = 1, .memory_bytes = 8192});
  control::NewTenant t;
  t.slug = std::string(slug);
  t.name = std::string(name);
  auto signed_up = storage::RunToCompletion(people.SignUp(n, t, {}));
  EXPECT_TRUE(signed_up) << (signed_up
                                 ? ""
                                 : signed_up.error().log_detail + signed_up.error().public_message);
  if (!signed_up) return out;
  out.id = signed_up->first.id;
  out.email = signed_up->first.email;
  out.account_id = signed_up->first.account_id;
  out.personal_tenant_id = signed_up->first.personal_tenant_id;
  out.password_hash = n.password_hash;
  return out;
}

void AddUserSession(const std::filesystem::path& data_dir, std::string_view user_id,
                    std::string_view tenant_id, std::string_view session_id) {
  std::optional<OpenedStore> opened = OpenStore(data_dir);
  if (!opened) return;
  const auto now = std::chrono::system_clock::now();
  const std::string created = base::FormatRfc3339(now);
  const std::string expires = base::FormatRfc3339(now + std::chrono::hours(1));
  auto inserted = storage::RunToCompletion(opened->store->database().Exec(
      "INSERT INTO sessions (id, id_hash, tenant_id, auth_mode, created_at, last_seen_at,"
      " expires_at, ip, user_agent, user_id) VALUES ($1, $2, $3, 'user', $4, $4, $5,"
      " '127.0.0.1', 'test', $6)",
      session_id, crypto::Sha256Hex(session_id), tenant_id, created, expires, user_id));
  EXPECT_TRUE(inserted) << (inserted ? "" : inserted.error().log_detail);
}

int CountUserSessions(const std::filesystem::path& data_dir, std::string_view user_id) {
  std::optional<OpenedStore> opened = OpenStore(data_dir);
  if (!opened) return -1;
  auto rows = storage::RunToCompletion(
      opened->store->database().Query("SELECT COUNT(*) FROM sessions WHERE user_id = $1", user_id));
  EXPECT_TRUE(rows);
  if (!rows || rows->empty()) return -1;
  return static_cast<int>(rows->front().Int64(0));
}

}  // namespace tenantd::test
