// The outbox and its courier against a real SMTP server
// (tests/support/smtp_server.h) and a control store on SQLite and
// PostgreSQL: what arrives, retries while the server is away, 5xx, giving
// up after a day, leases between couriers, sealed bodies, .eml files.
#include "outbox/courier.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "await.h"
#include "base/clock.h"
#include "crypto/secret_box.h"
#include "mail/eml_directory.h"
#include "mail/smtp_transport.h"
#include "mail/templates.h"
#include "outbox/auth_link.h"
#include "outbox/open_transport.h"
#include "outbox/outbox.h"
#include "outbox/sealed_message.h"
#include "storage_engines.h"
#include "support/smtp_server.h"
#include "temp_dir.h"

namespace tenantd::outbox {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using tenantd::test::Await;
using tenantd::test::SmtpServer;

constexpr const char* kToken = "tok_Secret-Verification_123";
constexpr const char* kFrom = "Acme Accounts <accounts@acme.example>";

class CourierTest : public ::testing::TestWithParam<test::EngineKind> {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, 'k')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    if (GetParam() == test::EngineKind::kPostgres) url_ = test::CreateTestDatabase();
    store_ = OpenStore();
    ASSERT_TRUE(store_);
    records_.emplace(*store_);
    OutboxOptions options;
    options.from = kFrom;
    options.clock = &clock_;
    outbox_.emplace(*store_, *box_, options);
    ASSERT_TRUE(smtp_.Start());
    auto transport = mail::SmtpTransport::Create({smtp_.url(), "", seconds(20)});
    ASSERT_TRUE(transport);
    transport_ = std::move(*transport);
  }
  void TearDown() override {
    outbox_.reset();
    records_.reset();
    store_.reset();
  }

  // The control store as another node sees it.
  std::unique_ptr<control::ControlStore> OpenStore() {
    auto db = control::OpenControlDatabase(tmp_.path(), url_);
    EXPECT_TRUE(db);
    if (!db) return nullptr;
    auto store = Await(control::ControlStore::Open(std::move(*db), *box_));
    EXPECT_TRUE(store) << store.error().log_detail;
    return store ? std::move(*store) : nullptr;
  }

  CourierOptions Options() {
    CourierOptions o;
    o.clock = &clock_;
    return o;
  }

  static mail::Message Verification(const std::string& to = "Ada Lovelace <ada@example.org>") {
    const mail::EmailContent content = mail::RenderVerification(
        {"Ada", AuthLink("https://app.example/", "verify", kToken), "24 hours"});
    mail::Message m;
    m.to = to;
    m.subject = content.subject;
    m.text = content.text;
    m.html = content.html;
    return m;
  }

  std::string Enqueue(const mail::Message& m = Verification()) {
    auto id = Await(outbox_->Enqueue("verification", m));
    EXPECT_TRUE(id) << id.error().public_message;
    return id ? *id : "";
  }

  PassResult Pass(Courier& courier) {
    auto pass = courier.RunOnce();
    EXPECT_TRUE(pass) << pass.error().log_detail;
    return pass ? *pass : PassResult{};
  }

  control::OutboxEntry Get(const std::string& id) {
    auto e = Await(records_->Find(id));
    EXPECT_TRUE(e && *e);
    return e && *e ? **e : control::OutboxEntry{};
  }

  std::optional<std::string> RawBody(const std::string& id) {
    auto rows =
        Await(store_->database().Query("SELECT body_sealed FROM email_outbox WHERE id = $1", id));
    EXPECT_TRUE(rows && rows->size() == 1);
    return rows && rows->size() == 1 ? rows->front().OptionalText(0) : std::nullopt;
  }

  test::TempDir tmp_;
  std::string url_;
  base::TestClock clock_;
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<control::ControlStore> store_;
  std::optional<control::EmailOutbox> records_;
  std::optional<Outbox> outbox_;
  SmtpServer smtp_;
  std::unique_ptr<mail::Transport> transport_;
};

INSTANTIATE_TEST_SUITE_P(Engines, CourierTest, test::kEngineKinds, test::EngineKindName);

// Python's decoding keeps the CRLF line ends of the wire.
std::string Lf(std::string s) {
  for (std::size_t at = 0; (at = s.find("\r\n", at)) != std::string::npos;) s.erase(at, 1);
  return s;
}

TEST_P(CourierTest, DeliversTheMessageWithItsHeadersAndBothParts) {
  const std::string id = Enqueue();
  clock_.Advance(minutes(5));  // sent later than queued
  Courier courier(*store_, *box_, *transport_, Options());
  const PassResult pass = Pass(courier);
  EXPECT_EQ(pass.claimed, 1);
  EXPECT_EQ(pass.sent, 1);

  const auto received = smtp_.Messages();
  ASSERT_EQ(received.size(), 1u);
  const SmtpServer::Received& r = received[0];
  EXPECT_TRUE(r.defects.empty()) << r.defects[0];
  EXPECT_EQ(r.mail_from, "accounts@acme.example");
  EXPECT_EQ(r.rcpt_tos, std::vector<std::string>{"ada@example.org"});
  EXPECT_EQ(r.headers.at("From"), kFrom);
  EXPECT_EQ(r.headers.at("To"), "Ada Lovelace <ada@example.org>");
  EXPECT_EQ(r.headers.at("Subject"), Verification().subject);
  // A Message-ID of the sender's domain, named after the outbox entry.
  EXPECT_EQ(r.headers.at("Message-ID"), "<" + id + "@acme.example>");
  // Dated when it was queued (whole seconds), not when it was sent.
  mail::Message dated;
  dated.date = std::chrono::time_point_cast<seconds>(Get(id).created_at);
  const std::string formatted = mail::FormatMessage(dated);
  EXPECT_EQ("Date: " + r.headers.at("Date"), formatted.substr(0, formatted.find("\r\n")));
  const std::string link = "https://app.example/auth/verify?token=" + std::string(kToken);
  EXPECT_EQ(Lf(r.parts.at("text/plain")), Verification().text);
  EXPECT_EQ(Lf(r.parts.at("text/html")), Verification().html);
  EXPECT_NE(r.parts.at("text/plain").find(link), std::string::npos);

  const control::OutboxEntry e = Get(id);
  EXPECT_EQ(e.status, control::EmailStatus::kSent);
  EXPECT_EQ(e.message_id, "<" + id + "@acme.example>");
  ASSERT_TRUE(e.sent_at);
  EXPECT_EQ(Pass(courier).claimed, 0);  // sent once
  EXPECT_EQ(smtp_.Messages().size(), 1u);
}

TEST_P(CourierTest, KeepsTheBodyOnlySealedAndDropsItOnceSent) {
  const std::string id = Enqueue();
  const std::optional<std::string> sealed = RawBody(id);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->find(kToken), std::string::npos);
  EXPECT_EQ(sealed->find("verify"), std::string::npos);
  EXPECT_EQ(sealed->find("Ada"), std::string::npos);
  // Bound to its row: the body of one entry does not open as another's.
  EXPECT_TRUE(OpenMessage(*box_, id, *sealed));
  EXPECT_FALSE(OpenMessage(*box_, "eml_other", *sealed));

  Courier courier(*store_, *box_, *transport_, Options());
  EXPECT_EQ(Pass(courier).sent, 1);
  EXPECT_EQ(RawBody(id), std::nullopt);
}

TEST_P(CourierTest, RetriesWithBackoffWhileTheServerIsDownThenDelivers) {
  smtp_.Stop();
  const std::string id = Enqueue();
  Courier courier(*store_, *box_, *transport_, Options());
  const base::TimePoint first_try = clock_.Now();
  EXPECT_EQ(Pass(courier).retried, 1);
  control::OutboxEntry e = Get(id);
  EXPECT_EQ(e.status, control::EmailStatus::kPending);
  EXPECT_EQ(e.attempts, 1);
  ASSERT_TRUE(e.last_error);
  EXPECT_FALSE(e.last_error->empty());
  EXPECT_GE(e.next_attempt_at, first_try + seconds(29));
  EXPECT_LE(e.next_attempt_at, clock_.Now() + seconds(30));
  EXPECT_EQ(Pass(courier).claimed, 0);  // not due yet

  clock_.Advance(seconds(30));
  EXPECT_EQ(Pass(courier).retried, 1);
  e = Get(id);
  EXPECT_EQ(e.attempts, 2);
  EXPECT_GE(e.next_attempt_at, clock_.Now() + seconds(59));  // doubled

  clock_.Advance(seconds(50));
  EXPECT_EQ(Pass(courier).claimed, 0);
  ASSERT_TRUE(smtp_.Start());
  clock_.Advance(seconds(10));
  EXPECT_EQ(Pass(courier).sent, 1);
  const auto received = smtp_.Messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].headers.at("Message-ID"), "<" + id + "@acme.example>");
  EXPECT_EQ(Get(id).status, control::EmailStatus::kSent);
}

TEST_P(CourierTest, FailsAtOnceOnAPermanentSmtpError) {
  smtp_.ReplyToRcpt("550 5.1.1 No such user here");
  const std::string id = Enqueue();
  Courier courier(*store_, *box_, *transport_, Options());
  EXPECT_EQ(Pass(courier).failed, 1);
  const control::OutboxEntry e = Get(id);
  EXPECT_EQ(e.status, control::EmailStatus::kFailed);
  EXPECT_EQ(e.attempts, 1);
  ASSERT_TRUE(e.last_error);
  EXPECT_NE(e.last_error->find("550"), std::string::npos) << *e.last_error;
  EXPECT_EQ(RawBody(id), std::nullopt);
  clock_.Advance(hours(1));
  EXPECT_EQ(Pass(courier).claimed, 0);
  EXPECT_TRUE(smtp_.Messages().empty());
}

TEST_P(CourierTest, GivesUpAfterADayOfTemporaryFailures) {
  smtp_.Stop();
  const std::string id = Enqueue();
  const base::TimePoint queued_at = Get(id).created_at;
  Courier courier(*store_, *box_, *transport_, Options());
  int attempts = 0;
  for (; attempts < 100; ++attempts) {
    const PassResult pass = Pass(courier);
    if (pass.failed == 1) break;
    ASSERT_EQ(pass.retried, 1);
    const control::OutboxEntry e = Get(id);
    ASSERT_EQ(e.status, control::EmailStatus::kPending);
    // Backoff never longer than an hour, never past the day.
    EXPECT_LE(e.next_attempt_at - clock_.Now(), hours(1));
    EXPECT_LE(e.next_attempt_at, queued_at + hours(24));
    clock_.Advance(std::chrono::duration_cast<milliseconds>(e.next_attempt_at - clock_.Now()) +
                   milliseconds(1));
  }
  const control::OutboxEntry e = Get(id);
  EXPECT_EQ(e.status, control::EmailStatus::kFailed);
  EXPECT_GE(clock_.Now(), queued_at + hours(24));
  ASSERT_TRUE(e.last_error);
  EXPECT_NE(e.last_error->find("gave up"), std::string::npos) << *e.last_error;
  // 30 s doubling to the hour, then hourly: about 30 attempts in a day.
  EXPECT_GT(attempts, 20);
  EXPECT_LT(attempts, 40);
  EXPECT_EQ(e.attempts, attempts + 1);
}

TEST_P(CourierTest, TwoCouriersSendEachMessageExactlyOnce) {
  constexpr int kMessages = 12;
  std::set<std::string> ids;
  for (int i = 0; i < kMessages; ++i) ids.insert(Enqueue());
  std::unique_ptr<control::ControlStore> other_store = OpenStore();
  ASSERT_TRUE(other_store);
  CourierOptions options = Options();
  options.batch = 2;
  Courier a(*store_, *box_, *transport_, options);
  Courier b(*other_store, *box_, *transport_, options);
  base::Result<PassResult> pass_a = PassResult{}, pass_b = PassResult{};
  std::thread ta([&] { pass_a = a.RunOnce(); });
  std::thread tb([&] { pass_b = b.RunOnce(); });
  ta.join();
  tb.join();
  ASSERT_TRUE(pass_a && pass_b);
  EXPECT_EQ(pass_a->sent + pass_b->sent, kMessages);
  std::multiset<std::string> received;
  for (const auto& r : smtp_.Messages()) received.insert(r.headers.at("Message-ID"));
  EXPECT_EQ(received.size(), static_cast<std::size_t>(kMessages));
  for (const std::string& id : ids) EXPECT_EQ(received.count("<" + id + "@acme.example>"), 1u);
}

TEST_P(CourierTest, AnotherCourierSendsWhatADeadOneClaimedOnceItsLeaseRunsOut) {
  const std::string id = Enqueue();
  // A courier claims the message, sends it, and dies before recording it.
  auto claimed = Await(records_->Claim(clock_.Now(), minutes(2), 10));
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  auto message = OpenMessage(*box_, id, claimed->front().body_sealed);
  ASSERT_TRUE(message);
  ASSERT_EQ(transport_->Send(*message).outcome, mail::Outcome::kSent);

  Courier courier(*store_, *box_, *transport_, Options());
  EXPECT_EQ(Pass(courier).claimed, 0);  // leased
  clock_.Advance(minutes(2));
  EXPECT_EQ(Pass(courier).sent, 1);
  // At least once, as the same message: same Message-ID, same bytes.
  const auto received = smtp_.Messages();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].headers.at("Message-ID"), "<" + id + "@acme.example>");
  EXPECT_EQ(received[1].headers.at("Message-ID"), received[0].headers.at("Message-ID"));
  EXPECT_EQ(received[1].raw, received[0].raw);
  EXPECT_EQ(Get(id).status, control::EmailStatus::kSent);
}

TEST_P(CourierTest, SendsNothingWhoseLeaseCouldEndMidSend) {
  const std::string id = Enqueue();
  CourierOptions options = Options();
  options.lease = seconds(20);
  options.send_timeout = seconds(30);
  Courier courier(*store_, *box_, *transport_, options);
  const PassResult pass = Pass(courier);
  EXPECT_EQ(pass.claimed, 1);
  EXPECT_EQ(pass.sent, 0);
  EXPECT_TRUE(smtp_.Messages().empty());
  EXPECT_EQ(Get(id).status, control::EmailStatus::kPending);
  EXPECT_EQ(Get(id).attempts, 0);
}

TEST_P(CourierTest, WakesAtOnceWhenThisProcessQueuesAMessage) {
  CourierOptions options = Options();
  options.poll_interval = hours(1);  // only a Wake can explain a prompt delivery
  Courier courier(*store_, *box_, *transport_, options);
  outbox_->OnEnqueued([&courier] { courier.Wake(); });
  courier.Start();
  // The first pass (at start) finds nothing; give it time to be waiting.
  std::this_thread::sleep_for(milliseconds(300));
  const std::string id = Enqueue();
  const auto deadline = std::chrono::steady_clock::now() + seconds(15);
  while (smtp_.Messages().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  courier.Stop();
  ASSERT_EQ(smtp_.Messages().size(), 1u);
  EXPECT_EQ(Get(id).status, control::EmailStatus::kSent);
}

TEST_P(CourierTest, WritesEmlFilesWhenNoSmtpServerIsConfigured) {
  auto choice = OpenTransport("", "", tmp_.path());
  ASSERT_TRUE(choice);
  EXPECT_NE(choice->description.find(".eml"), std::string::npos);
  const std::string id = Enqueue();
  Courier courier(*store_, *box_, *choice->transport, Options());
  EXPECT_EQ(Pass(courier).sent, 1);
  std::vector<std::filesystem::path> files;
  for (const auto& f : std::filesystem::directory_iterator(tmp_.path() / "mail")) {
    files.push_back(f.path());
  }
  ASSERT_EQ(files.size(), 1u);
  std::ifstream in(files[0], std::ios::binary);
  const std::string eml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(eml.find("Message-ID: <" + id + "@acme.example>"), std::string::npos);
  EXPECT_NE(eml.find("To: Ada Lovelace <ada@example.org>"), std::string::npos);
  EXPECT_EQ(Get(id).status, control::EmailStatus::kSent);
  EXPECT_TRUE(smtp_.Messages().empty());
}

TEST_P(CourierTest, EnqueueRefusesAMessageThatCannotBeSentAndStoresNothing) {
  mail::Message m = Verification("ada@example.org\r\nBcc: eve@example.net");
  auto id = Await(outbox_->Enqueue("verification", m));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, base::ErrorCode::kInvalidArgument);
  auto page = Await(records_->List({}));
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
}

TEST(OpenTransport, RefusesABadSmtpUrlWithoutShowingThePassword) {
  test::TempDir dir;
  auto choice = OpenTransport("smtp://mailer:hunter2@", "", dir.path());
  ASSERT_FALSE(choice);
  EXPECT_EQ(choice.error().public_message.find("hunter2"), std::string::npos);
  auto ok = OpenTransport("smtp://mailer:hunter2@mail.example:587", "", dir.path());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->description, "SMTP smtp://mailer:***@mail.example:587");
}

TEST(AuthLink, BuildsTheLinkUnderTheBase) {
  EXPECT_EQ(AuthLink("https://app.example", "verify", "abc_DEF-1"),
            "https://app.example/auth/verify?token=abc_DEF-1");
  EXPECT_EQ(AuthLink("https://app.example/base/", "reset", "t"),
            "https://app.example/base/auth/reset?token=t");
  EXPECT_EQ(AuthLink("http://localhost:8080", "invite", "a b&c"),
            "http://localhost:8080/auth/invite?token=a%20b%26c");
}

}  // namespace
}  // namespace tenantd::outbox
