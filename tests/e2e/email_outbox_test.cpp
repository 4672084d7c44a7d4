// The email outbox through the binary (api.md §11 "Email"): the courier
// `tenantd serve` runs delivers what is queued in the control store (as
// .eml files under <data>/mail/ without SMTP), gives up on what it cannot
// open, and GET /admin/v1/emails lists the outbox without bodies or
// tokens. Messages are queued the way the Outbox queues them (a sealed row
// in the control store), from this test, as another node would: no route
// of this version queues email yet.
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "base/ids.h"
#include "crypto/secret_box.h"
#include "outbox/sealed_message.h"
#include "storage/postgres/postgres_database.h"
#include "storage/postgres/postgres_url.h"
#include "storage/run_to_completion.h"
#include "storage/sqlite/sqlite_database.h"
#include "support/fixtures.h"
#include "support/smtp_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kToken = "tok_E2e-Secret-Token_987";

class EmailOutboxE2e : public ::testing::Test {
 protected:
  virtual ServerOptions Options() { return {}; }

  void SetUp() override {
    ASSERT_TRUE(server_.Start(Options()));
    const std::string url = ControlDatabaseUrl(server_.data_dir());
    if (url.empty()) {
      auto db = storage::OpenSqliteDatabase(server_.data_dir() / "control.db");
      ASSERT_TRUE(db);
      db_ = std::move(*db);
    } else {
      auto parsed = storage::ParsePostgresUrl(url);
      ASSERT_TRUE(parsed);
      storage::PostgresOptions options;
      options.url = std::move(*parsed);
      options.max_connections = 1;
      db_ = storage::OpenPostgresDatabase(std::move(options));
    }
    auto key = crypto::LoadOrCreateMasterKey(base::Secret(std::string()), server_.data_dir());
    ASSERT_TRUE(key);
    auto box = crypto::SecretBox::Create(*key);
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
  }

  // Queues a row as Outbox::Enqueue does; `body` overrides the sealed body.
  std::string Queue(const std::string& to, std::optional<std::string> body = std::nullopt) {
    const std::string id = base::NewId("eml");
    mail::Message m;
    m.message_id = "<" + id + "@acme.example>";
    m.from = "Acme <no-reply@acme.example>";
    m.to = to;
    m.subject = "Confirm your email address";
    m.text = "Open https://app.example/auth/verify?token=" + std::string(kToken) + "\n";
    m.html = "<p><a href=\"https://app.example/auth/verify?token=" + std::string(kToken) +
             "\">Confirm</a></p>\n";
    m.date = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    const std::string sealed = body.value_or(outbox::SealMessage(*box_, id, m));
    const std::string at = base::FormatRfc3339(std::chrono::system_clock::now());
    auto st = storage::RunToCompletion(
        db_->Exec("INSERT INTO email_outbox (id, kind, to_address, message_id, body_sealed, status,"
                  " attempts, next_attempt_at, created_at) VALUES ($1, 'verification', $2, $3, $4,"
                  " 'pending', 0, $5, $5)",
                  id, to, m.message_id, sealed, at));
    EXPECT_TRUE(st) << st.error().log_detail;
    return id;
  }

  json::array List(const std::string& query) {
    Response r = server_.Admin("GET", "/admin/v1/emails" + query);
    EXPECT_EQ(r.status, 200) << r.Describe();
    EXPECT_EQ(r.body.find(kToken), std::string::npos) << r.body;
    if (r.status != 200) return {};
    return r.Json().at("data").as_array();
  }

  // Polls the list until `id` has `status` (the courier polls every 5 s
  // for messages other nodes queued).
  std::optional<json::object> WaitForStatus(const std::string& id, const std::string& status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const json::value& e : List("?status=" + status + "&limit=500")) {
        if (e.at("id").as_string() == id) return e.as_object();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return std::nullopt;
  }

  TestServer server_;
  std::unique_ptr<storage::Database> db_;
  std::optional<crypto::SecretBox> box_;
};

TEST_F(EmailOutboxE2e, TheServerDeliversQueuedEmailAsEmlFilesWithoutSmtp) {
  const std::string id = Queue("Ada <ada@example.org>");
  const std::optional<json::object> sent = WaitForStatus(id, "sent");
  ASSERT_TRUE(sent) << server_.LogText();
  EXPECT_EQ(sent->at("kind").as_string(), "verification");
  EXPECT_EQ(sent->at("to").as_string(), "Ada <ada@example.org>");
  EXPECT_EQ(sent->at("message_id").as_string(), "<" + id + "@acme.example>");
  EXPECT_TRUE(sent->at("sent_at").is_string());
  EXPECT_TRUE(sent->at("next_attempt_at").is_null());
  EXPECT_TRUE(sent->at("last_error").is_null());
  EXPECT_FALSE(sent->contains("body"));

  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(server_.data_dir() / "mail")) {
    files.push_back(f.path());
  }
  ASSERT_EQ(files.size(), 1u);
  std::ifstream in(files[0], std::ios::binary);
  const std::string eml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(eml.find("Message-ID: <" + id + "@acme.example>"), std::string::npos) << eml;
  EXPECT_NE(eml.find("To: Ada <ada@example.org>"), std::string::npos) << eml;
  EXPECT_TRUE(server_.WaitForLogLine("email " + id));
}

TEST_F(EmailOutboxE2e, ABodyThatCannotBeOpenedFailsAndListsWithItsReason) {
  const std::string id = Queue("bob@example.org", "not-a-sealed-body");
  const std::optional<json::object> failed = WaitForStatus(id, "failed");
  ASSERT_TRUE(failed) << server_.LogText();
  EXPECT_EQ(failed->at("attempts").as_int64(), 1);
  ASSERT_TRUE(failed->at("last_error").is_string());
  EXPECT_NE(std::string(failed->at("last_error").as_string()).find("cannot be opened"),
            std::string::npos);
  EXPECT_TRUE(List("?status=sent").empty());
}

TEST_F(EmailOutboxE2e, ListsPagesByCursorAndRefusesBadQueries) {
  // Not due for an hour: they stay pending while the test looks.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const std::string id = base::NewId("eml");
    const std::string later =
        base::FormatRfc3339(std::chrono::system_clock::now() + std::chrono::hours(1));
    auto st = storage::RunToCompletion(db_->Exec(
        "INSERT INTO email_outbox (id, kind, to_address, message_id, body_sealed, status,"
        " attempts, next_attempt_at, created_at) VALUES ($1, 'invite', 'c@example.org', $2,"
        " $3, 'pending', 0, $4, $4)",
        id, "<" + id + "@acme.example>", "sealed " + std::string(kToken), later));
    ASSERT_TRUE(st);
    ids.push_back(id);
  }
  Response r = server_.Admin("GET", "/admin/v1/emails?status=pending&limit=2");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.body.find(kToken), std::string::npos);
  json::value page = r.Json();
  ASSERT_EQ(page.at("data").as_array().size(), 2u);
  EXPECT_EQ(page.at("data").as_array()[0].at("id").as_string(), ids[0]);
  EXPECT_TRUE(page.at("data").as_array()[0].at("next_attempt_at").is_string());
  ASSERT_TRUE(page.at("next_cursor").is_string());
  const json::array rest =
      List("?status=pending&after=" + std::string(page.at("next_cursor").as_string()));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].at("id").as_string(), ids[2]);

  EXPECT_EQ(server_.Admin("GET", "/admin/v1/emails?status=queued").status, 400);
  EXPECT_EQ(server_.Admin("GET", "/admin/v1/emails?limit=0").status, 400);
  EXPECT_EQ(server_.Request("GET", "/admin/v1/emails").status, 401);
}

// The same through a real SMTP server that wants STARTTLS and a password:
// TENANTD_SMTP_URL and TENANTD_SMTP_CA_FILE reach the courier, and the
// password reaches no output.
constexpr const char* kSmtpPassword = "S3cret-Mail-PW";

class EmailOutboxSmtpE2e : public EmailOutboxE2e {
 protected:
  ServerOptions Options() override {
    EXPECT_TRUE(smtp_.Start());
    ServerOptions options;
    options.env = {{"TENANTD_SMTP_URL", smtp_.url(std::string("mailer:") + kSmtpPassword)},
                   {"TENANTD_SMTP_CA_FILE", smtp_.ca_file().string()},
                   {"TENANTD_MAIL_FROM", "Acme <no-reply@acme.example>"}};
    return options;
  }

  SmtpServer smtp_{SmtpServer::Mode::kStartTls, std::string("mailer:") + kSmtpPassword};
};

TEST_F(EmailOutboxSmtpE2e, DeliversOverStartTlsWithTheConfiguredCaAndNeverShowsThePassword) {
  const std::string id = Queue("Ada <ada@example.org>");
  ASSERT_TRUE(WaitForStatus(id, "sent")) << server_.LogText();
  const auto received = smtp_.Messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].tls);
  EXPECT_EQ(received[0].auth_user, "mailer");
  EXPECT_EQ(received[0].headers.at("Message-ID"), "<" + id + "@acme.example>");
  EXPECT_EQ(received[0].rcpt_tos, std::vector<std::string>{"ada@example.org"});
  EXPECT_FALSE(fs::exists(server_.data_dir() / "mail"));  // no .eml fallback
  const std::optional<std::string> line = server_.WaitForLogLine("email: SMTP");
  ASSERT_TRUE(line);
  EXPECT_NE(line->find("smtp://mailer:***@127.0.0.1:"), std::string::npos) << *line;
  server_.Stop();
  for (const std::string& out : {server_.LogText(), server_.StdoutText(), server_.StderrText()}) {
    EXPECT_EQ(out.find(kSmtpPassword), std::string::npos);
    EXPECT_EQ(out.find(kToken), std::string::npos);
  }
}

}  // namespace
}  // namespace tenantd::test
