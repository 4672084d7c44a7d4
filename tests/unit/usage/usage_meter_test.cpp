// The usage meter (usage/usage_meter.h) and its flush into the control
// store: counts by tenant and UTC day, nothing lost across Take/Restore,
// pending counts visible before a flush, rows added to on every flush.
#include "usage/usage_meter.h"
#include "control_store_for_tests.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "base/time.h"
#include "control/control_store.h"
#include "crypto/secret_box.h"
#include "temp_dir.h"

namespace tenantd::usage {
namespace {

using test::Await;

base::TimePoint At(const char* rfc3339) { return *base::ParseRfc3339(rfc3339); }

TEST(UtcDay, FormatsTheUtcDate) {
  EXPECT_EQ(UtcDay(At("2026-11-23T23:59:59.999Z")), "2026-11-23");
  EXPECT_EQ(UtcDay(At("2026-11-24T00:00:00Z")), "2026-11-24");
  EXPECT_EQ(UtcDay(At("1970-01-01T00:00:00Z")), "1970-01-01");
}

TEST(UsageMeter, RendersTotalsSinceStartPerTenantUnaffectedByFlushes) {
  UsageMeter meter;
  meter.Record("ten_a", At("2026-11-23T10:00:00Z"), 10, 100, "acme");
  meter.Record("ten_a", At("2026-11-24T10:00:00Z"), 1, 2, "acme");
  meter.Record("ten_b", At("2026-11-24T10:00:00Z"), 0, 7, "beta");
  // A flush takes the daily counts (and may put them back on failure):
  // neither moves the totals.
  meter.Restore(meter.Take());
  std::string out;
  meter.Render(out);
  EXPECT_NE(out.find("# TYPE tenantd_tenant_requests_total counter"), std::string::npos) << out;
  EXPECT_NE(out.find("tenantd_tenant_requests_total{tenant_id=\"ten_a\",tenant=\"acme\"} 2\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("tenantd_tenant_bytes_in_total{tenant_id=\"ten_a\",tenant=\"acme\"} 11\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("tenantd_tenant_bytes_out_total{tenant_id=\"ten_b\",tenant=\"beta\"} 7\n"),
            std::string::npos)
      << out;
}

TEST(UsageMeter, CountsPerTenantAndDayFromManyThreads) {
  UsageMeter meter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&meter] {
      for (int i = 0; i < 1000; ++i) {
        meter.Record("ten_a", At("2026-11-23T10:00:00Z"), 10, 100);
        meter.Record("ten_b", At("2026-11-24T10:00:00Z"), 1, 2);
      }
    });
  }
  for (auto& t : threads) t.join();
  meter.Record("ten_a", At("2026-11-24T00:00:01Z"), 5, 6);

  auto pending = meter.Pending("ten_a");
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].day, "2026-11-23");
  EXPECT_EQ(pending[0].requests, 4000);
  EXPECT_EQ(pending[0].bytes_in, 40000);
  EXPECT_EQ(pending[0].bytes_out, 400000);
  EXPECT_EQ(pending[1].day, "2026-11-24");
  EXPECT_EQ(pending[1].requests, 1);

  auto taken = meter.Take();
  EXPECT_EQ(taken.size(), 3u);
  EXPECT_TRUE(meter.Take().empty());
  meter.Restore(taken);
  EXPECT_EQ(meter.Take().size(), 3u);
}

// A control store with one tenant, `id`, for the flushes to add to.
class UsageFlush : public ::testing::Test {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, '\x42')));
    ASSERT_TRUE(box);
    box_ = std::make_unique<crypto::SecretBox>(std::move(*box));
    auto opened = test::OpenControlStore(dir_.path() / "data", *box_);
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
    control::NewTenant nt;
    nt.slug = "acme";
    nt.name = "Acme";
    auto tenant = Await(store_->CreateTenant(nt));
    ASSERT_TRUE(tenant);
    id = tenant->tenant.id;
  }

  test::TempDir dir_;
  std::unique_ptr<crypto::SecretBox> box_;
  std::unique_ptr<control::ControlStore> store_;
  std::string id;
};

TEST_F(UsageFlush, AddsToTheDayRowsWithFileTotalsAndKeepsCountsOnFailure) {
  UsageMeter meter;
  auto totals = [](std::string_view) { return std::optional<FileTotals>(FileTotals{3, 300}); };
  meter.Record(id, At("2026-11-23T10:00:00Z"), 10, 20);
  meter.Record(id, At("2026-11-23T11:00:00Z"), 1, 2);
  meter.Record("ten_01JGONEGONEGONEGONEGONEGONE", At("2026-11-23T11:00:00Z"), 1, 2);
  ASSERT_TRUE(Flush(meter, *store_, totals));
  meter.Record(id, At("2026-11-23T12:00:00Z"), 100, 200);
  ASSERT_TRUE(Flush(meter, *store_, totals));

  auto page = Await(store_->ListUsage(id, "", "", "", 50));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  const control::UsageRecord& r = page->items[0];
  EXPECT_EQ(r.day, "2026-11-23");
  EXPECT_EQ(r.requests, 3);
  EXPECT_EQ(r.bytes_in, 111);
  EXPECT_EQ(r.bytes_out, 222);
  EXPECT_EQ(r.stored_bytes, 300);
  EXPECT_EQ(r.file_count, 3);
  EXPECT_FALSE(page->next_cursor);

  // Pagination by day.
  meter.Record(id, At("2026-11-24T12:00:00Z"), 1, 1);
  meter.Record(id, At("2026-11-25T12:00:00Z"), 1, 1);
  ASSERT_TRUE(Flush(meter, *store_, {}));
  page = Await(store_->ListUsage(id, "2026-11-24", "", "", 1));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].day, "2026-11-24");
  EXPECT_EQ(page->next_cursor, "2026-11-24");
  page = Await(store_->ListUsage(id, "", "", "2026-11-24", 50));
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].day, "2026-11-25");
}

// A flush reads a tenant's file totals only when they may have changed
// since it last did, or not yet on that day: tenants merely read from are
// not opened again (with more tenants than pooled handles, reading them
// all every flush evicted the warm ones).
TEST_F(UsageFlush, ReadsFileTotalsOnlyWhenChangedOrNotYetReadThatDay) {
  UsageMeter meter;
  int reads = 0;
  int64_t files = 1;
  bool readable = true;
  auto totals = [&](std::string_view) -> std::optional<FileTotals> {
    ++reads;
    if (!readable) return std::nullopt;
    return FileTotals{files, files * 100};
  };
  auto flush_one = [&](const char* at) {
    meter.Record(id, At(at), 1, 1);
    ASSERT_TRUE(Flush(meter, *store_, totals));
  };
  auto stored = [&](const char* day) -> std::optional<int64_t> {
    auto page = Await(store_->ListUsage(id, day, day, "", 5));
    if (!page || page->items.empty()) return std::nullopt;
    return page->items[0].stored_bytes;
  };

  flush_one("2026-11-23T10:00:00Z");
  EXPECT_EQ(reads, 1);
  flush_one("2026-11-23T10:00:10Z");
  flush_one("2026-11-23T10:00:20Z");
  EXPECT_EQ(reads, 1) << "unchanged totals were read again";
  EXPECT_EQ(stored("2026-11-23"), 100);

  files = 2;  // a write committed
  meter.FilesChanged(id);
  flush_one("2026-11-23T10:00:30Z");
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(stored("2026-11-23"), 200);

  flush_one("2026-11-24T00:00:01Z");  // a new day gets its own figure
  EXPECT_EQ(reads, 3);
  EXPECT_EQ(stored("2026-11-24"), 200);

  // A failed read (the tenant being restored) is tried again next flush.
  meter.FilesChanged(id);
  readable = false;
  flush_one("2026-11-24T00:00:10Z");
  EXPECT_EQ(reads, 4);
  readable = true;
  files = 3;
  flush_one("2026-11-24T00:00:20Z");
  EXPECT_EQ(reads, 5);
  EXPECT_EQ(stored("2026-11-24"), 300);

  // Tenants the meter never flushed need no note: their first flush reads.
  meter.FilesChanged("ten_01JGNEVERNEVERNEVERNEVERNE");
}

}  // namespace
}  // namespace tenantd::usage
