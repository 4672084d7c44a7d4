// The email outbox's records (control/email_outbox.h) on SQLite and
// PostgreSQL: claims with a lease, the calls that end an attempt, the list.
#include "control/email_outbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "await.h"
#include "base/ids.h"
#include "crypto/secret_box.h"
#include "storage_engines.h"
#include "temp_dir.h"

namespace tenantd::control {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using test::Await;

const base::TimePoint kT0 = *base::ParseRfc3339("2026-12-05T10:00:00.000Z");

class EmailOutboxTest : public ::testing::TestWithParam<test::EngineKind> {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, 'k')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    if (GetParam() == test::EngineKind::kPostgres) url_ = test::CreateTestDatabase();
    store_ = OpenStore();
    ASSERT_TRUE(store_);
    outbox_.emplace(*store_);
  }
  void TearDown() override {
    outbox_.reset();
    store_.reset();
  }

  // Another process's view of the same database (another node).
  std::unique_ptr<ControlStore> OpenStore() {
    auto db = OpenControlDatabase(tmp_.path(), url_);
    EXPECT_TRUE(db);
    if (!db) return nullptr;
    auto store = Await(ControlStore::Open(std::move(*db), *box_));
    EXPECT_TRUE(store) << store.error().log_detail;
    return store ? std::move(*store) : nullptr;
  }

  std::string Enqueue(base::TimePoint at, const std::string& body = "sealed-body") {
    NewOutboxEmail e;
    e.id = base::NewId("eml");
    e.kind = "verification";
    e.to = "ada@example.org";
    e.message_id = "<" + e.id + "@example.com>";
    e.body_sealed = body;
    e.created_at = at;
    EXPECT_TRUE(Await(outbox_->Enqueue(e)));
    return e.id;
  }

  std::vector<ClaimedEmail> Claim(base::TimePoint now, int limit = 10,
                                  milliseconds lease = minutes(2)) {
    auto claimed = Await(outbox_->Claim(now, lease, limit));
    EXPECT_TRUE(claimed) << claimed.error().log_detail;
    return claimed ? std::move(*claimed) : std::vector<ClaimedEmail>{};
  }

  OutboxEntry Get(const std::string& id) {
    auto e = Await(outbox_->Find(id));
    EXPECT_TRUE(e && *e);
    return e && *e ? **e : OutboxEntry{};
  }

  std::optional<std::string> RawBody(const std::string& id) {
    auto rows =
        Await(store_->database().Query("SELECT body_sealed FROM email_outbox WHERE id = $1", id));
    EXPECT_TRUE(rows && rows->size() == 1);
    return rows && rows->size() == 1 ? rows->front().OptionalText(0) : std::nullopt;
  }

  test::TempDir tmp_;
  std::string url_;
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<ControlStore> store_;
  std::optional<EmailOutbox> outbox_;
};

INSTANTIATE_TEST_SUITE_P(Engines, EmailOutboxTest, test::kEngineKinds, test::EngineKindName);

TEST_P(EmailOutboxTest, EnqueueStoresAPendingMessageDueAtOnce) {
  const std::string id = Enqueue(kT0);
  const OutboxEntry e = Get(id);
  EXPECT_EQ(e.status, EmailStatus::kPending);
  EXPECT_EQ(e.kind, "verification");
  EXPECT_EQ(e.to, "ada@example.org");
  EXPECT_EQ(e.message_id, "<" + id + "@example.com>");
  EXPECT_EQ(e.attempts, 0);
  EXPECT_EQ(e.created_at, kT0);
  EXPECT_EQ(e.next_attempt_at, kT0);
  EXPECT_FALSE(e.sent_at);
  EXPECT_FALSE(e.last_error);
  EXPECT_EQ(RawBody(id), "sealed-body");
}

TEST_P(EmailOutboxTest, ClaimLeasesDueMessagesOldestFirstWithTheirBodies) {
  const std::string later = Enqueue(kT0 + seconds(5), "second");
  const std::string first = Enqueue(kT0, "first");
  Enqueue(kT0 + minutes(10), "not yet due");
  const std::vector<ClaimedEmail> claimed = Claim(kT0 + seconds(5));
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].entry.id, first);
  EXPECT_EQ(claimed[0].body_sealed, "first");
  EXPECT_EQ(claimed[1].entry.id, later);
  EXPECT_EQ(claimed[1].body_sealed, "second");
  EXPECT_EQ(claimed[0].claimed_until, kT0 + seconds(5) + minutes(2));
  // Leased: nobody else gets them until the lease runs out.
  EXPECT_TRUE(Claim(kT0 + seconds(6)).empty());
  EXPECT_TRUE(Claim(kT0 + seconds(5) + minutes(2) - milliseconds(1)).empty());
  const std::vector<ClaimedEmail> again = Claim(kT0 + seconds(5) + minutes(2));
  ASSERT_EQ(again.size(), 2u);  // the lease ran out: the courier is presumed dead
  EXPECT_EQ(again[0].entry.id, first);
}

TEST_P(EmailOutboxTest, ClaimTakesAtMostTheLimit) {
  for (int i = 0; i < 5; ++i) Enqueue(kT0);
  EXPECT_EQ(Claim(kT0, 3).size(), 3u);
  EXPECT_EQ(Claim(kT0, 3).size(), 2u);
  EXPECT_TRUE(Claim(kT0, 3).empty());
}

TEST_P(EmailOutboxTest, MarkSentDropsTheBodyAndEndsClaims) {
  const std::string id = Enqueue(kT0);
  ASSERT_EQ(Claim(kT0).size(), 1u);
  auto marked = Await(outbox_->MarkSent(id, kT0 + seconds(1)));
  ASSERT_TRUE(marked);
  EXPECT_TRUE(*marked);
  const OutboxEntry e = Get(id);
  EXPECT_EQ(e.status, EmailStatus::kSent);
  EXPECT_EQ(e.sent_at, kT0 + seconds(1));
  EXPECT_EQ(RawBody(id), std::nullopt);
  EXPECT_TRUE(Claim(kT0 + std::chrono::hours(48)).empty());
  // A second courier that sent it too finds it recorded already.
  auto twice = Await(outbox_->MarkSent(id, kT0 + seconds(2)));
  ASSERT_TRUE(twice);
  EXPECT_FALSE(*twice);
  EXPECT_EQ(Get(id).sent_at, kT0 + seconds(1));
}

TEST_P(EmailOutboxTest, RetryCountsTheAttemptAndMakesItDueLater) {
  const std::string id = Enqueue(kT0);
  const std::vector<ClaimedEmail> claimed = Claim(kT0);
  ASSERT_EQ(claimed.size(), 1u);
  auto retried =
      Await(outbox_->Retry(id, claimed[0].claimed_until, kT0 + seconds(30), "421 try later"));
  ASSERT_TRUE(retried);
  EXPECT_TRUE(*retried);
  const OutboxEntry e = Get(id);
  EXPECT_EQ(e.status, EmailStatus::kPending);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(e.next_attempt_at, kT0 + seconds(30));
  EXPECT_EQ(e.last_error, "421 try later");
  EXPECT_EQ(RawBody(id), "sealed-body");
  // The lease is released, but the message is not due before its time.
  EXPECT_TRUE(Claim(kT0 + seconds(29)).empty());
  const std::vector<ClaimedEmail> again = Claim(kT0 + seconds(30));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].entry.attempts, 1);
}

TEST_P(EmailOutboxTest, AStaleLeaseCannotRetryOrFailAMessageAnotherCourierTookOver) {
  const std::string id = Enqueue(kT0);
  const std::vector<ClaimedEmail> dead = Claim(kT0);
  ASSERT_EQ(dead.size(), 1u);
  const std::vector<ClaimedEmail> live = Claim(kT0 + minutes(3));  // after the lease
  ASSERT_EQ(live.size(), 1u);
  auto retried = Await(outbox_->Retry(id, dead[0].claimed_until, kT0 + minutes(4), "late"));
  ASSERT_TRUE(retried);
  EXPECT_FALSE(*retried);
  auto failed = Await(outbox_->MarkFailed(id, dead[0].claimed_until, "late"));
  ASSERT_TRUE(failed);
  EXPECT_FALSE(*failed);
  const OutboxEntry e = Get(id);
  EXPECT_EQ(e.status, EmailStatus::kPending);
  EXPECT_EQ(e.attempts, 0);
  // The live lease still works.
  auto ok = Await(outbox_->MarkFailed(id, live[0].claimed_until, "550 no such user"));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(*ok);
}

TEST_P(EmailOutboxTest, MarkFailedKeepsTheReasonAndDropsTheBody) {
  const std::string id = Enqueue(kT0);
  const std::vector<ClaimedEmail> claimed = Claim(kT0);
  ASSERT_EQ(claimed.size(), 1u);
  auto failed = Await(outbox_->MarkFailed(id, claimed[0].claimed_until, "550 5.1.1 no such user"));
  ASSERT_TRUE(failed);
  EXPECT_TRUE(*failed);
  const OutboxEntry e = Get(id);
  EXPECT_EQ(e.status, EmailStatus::kFailed);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(e.last_error, "550 5.1.1 no such user");
  EXPECT_FALSE(e.sent_at);
  EXPECT_EQ(RawBody(id), std::nullopt);
  EXPECT_TRUE(Claim(kT0 + std::chrono::hours(48)).empty());
  // A late MarkSent of a failed message changes nothing.
  auto sent = Await(outbox_->MarkSent(id, kT0));
  ASSERT_TRUE(sent);
  EXPECT_FALSE(*sent);
}

TEST_P(EmailOutboxTest, ListFiltersByStatusPagesByCursorAndNeverShowsBodies) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Enqueue(kT0));
  const std::vector<ClaimedEmail> claimed = Claim(kT0, 2);
  ASSERT_EQ(claimed.size(), 2u);
  ASSERT_TRUE(Await(outbox_->MarkFailed(ids[0], claimed[0].claimed_until, "550")));
  ASSERT_TRUE(Await(outbox_->MarkSent(ids[1], kT0)));

  OutboxListQuery q;
  q.limit = 2;
  auto page = Await(outbox_->List(q));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].id, ids[0]);
  EXPECT_EQ(page->items[1].id, ids[1]);
  ASSERT_TRUE(page->next_cursor);
  q.after = *page->next_cursor;
  q.limit = 10;
  page = Await(outbox_->List(q));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[0].id, ids[2]);
  EXPECT_FALSE(page->next_cursor);

  q = {};
  q.status = EmailStatus::kFailed;
  page = Await(outbox_->List(q));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, ids[0]);
  EXPECT_EQ(page->items[0].last_error, "550");
  q.status = EmailStatus::kPending;
  page = Await(outbox_->List(q));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 3u);
}

// Two nodes claiming at once, many times over: every message goes to
// exactly one of them.
TEST_P(EmailOutboxTest, ConcurrentClaimsFromTwoStoresNeverShareAMessage) {
  constexpr int kMessages = 60;
  for (int i = 0; i < kMessages; ++i) Enqueue(kT0);
  std::unique_ptr<ControlStore> other_store = OpenStore();
  ASSERT_TRUE(other_store);
  EmailOutbox other(*other_store);
  std::vector<std::string> got[2];
  std::atomic<bool> failed{false};
  const auto worker = [&](EmailOutbox& outbox, std::vector<std::string>& out) {
    for (;;) {
      auto claimed = Await(outbox.Claim(kT0 + seconds(1), minutes(2), 3));
      if (!claimed) {
        failed = true;
        return;
      }
      if (claimed->empty()) return;
      for (const ClaimedEmail& c : *claimed) out.push_back(c.entry.id);
    }
  };
  std::thread a(worker, std::ref(*outbox_), std::ref(got[0]));
  std::thread b(worker, std::ref(other), std::ref(got[1]));
  a.join();
  b.join();
  EXPECT_FALSE(failed);
  std::set<std::string> all(got[0].begin(), got[0].end());
  all.insert(got[1].begin(), got[1].end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(got[0].size() + got[1].size(), static_cast<std::size_t>(kMessages));
}

TEST(EmailStatus, RoundTripsThroughText) {
  for (EmailStatus s : {EmailStatus::kPending, EmailStatus::kSent, EmailStatus::kFailed}) {
    EXPECT_EQ(ParseEmailStatus(ToString(s)), s);
  }
  EXPECT_FALSE(ParseEmailStatus("queued"));
}

}  // namespace
}  // namespace tenantd::control
