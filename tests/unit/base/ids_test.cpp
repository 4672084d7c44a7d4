#include "base/ids.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tenantd::base {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The 48-bit millisecond timestamp in the first 10 chars of the ULID part.
int64_t DecodeMillis(std::string_view ulid) {
  int64_t v = 0;
  for (char c : ulid.substr(0, 10)) v = v * 32 + static_cast<int64_t>(kCrockford.find(c));
  return v;
}

TEST(NewId, HasPrefixUnderscoreAnd26CrockfordChars) {
  const std::string id = NewId("ten");
  ASSERT_EQ(id.size(), 4u + 26u) << id;
  EXPECT_EQ(id.substr(0, 4), "ten_");
  for (char c : id.substr(4)) {
    EXPECT_NE(kCrockford.find(c), std::string_view::npos) << "bad char " << c << " in " << id;
  }
  // 128 bits in 26 chars: the first one carries only 3 bits.
  EXPECT_LE(id[4], '7') << id;
  EXPECT_TRUE(IsWellFormedId(id, "ten"));
}

TEST(NewId, WorksForOtherPrefixes) {
  const std::string id = NewId("req");
  EXPECT_EQ(id.rfind("req_", 0), 0u);
  EXPECT_TRUE(IsWellFormedId(id, "req"));
  EXPECT_FALSE(IsWellFormedId(id, "ten"));
}

TEST(NewId, EncodesTheCurrentTimeFirst) {
  const int64_t before = NowMillis();
  const std::string id = NewId("ten");
  const int64_t after = NowMillis();
  const int64_t millis = DecodeMillis(std::string_view(id).substr(4));
  EXPECT_GE(millis, before);
  EXPECT_LE(millis, after);
}

TEST(IsWellFormedId, RejectsWrongShapes) {
  const std::string good = "ten_01JDQ2XK7Z3V8W1M0P4R6T9YBC";
  ASSERT_TRUE(IsWellFormedId(good, "ten"));
  EXPECT_FALSE(IsWellFormedId("", "ten"));
  EXPECT_FALSE(IsWellFormedId("ten_", "ten"));
  EXPECT_FALSE(IsWellFormedId(good.substr(0, good.size() - 1), "ten"));  // 25 chars
  EXPECT_FALSE(IsWellFormedId(good + "0", "ten"));                       // 27 chars
  EXPECT_FALSE(IsWellFormedId("tenX01JDQ2XK7Z3V8W1M0P4R6T9YBC", "ten"));
  EXPECT_FALSE(IsWellFormedId("app_01JDQ2XK7Z3V8W1M0P4R6T9YBC", "ten"));
  EXPECT_FALSE(IsWellFormedId("ten_01jdq2xk7z3v8w1m0p4r6t9ybc", "ten"));  // lower case
  for (char bad : {'I', 'L', 'O', 'U', '-', '_', ' '}) {
    std::string id = good;
    id[10] = bad;
    EXPECT_FALSE(IsWellFormedId(id, "ten")) << id;
  }
  EXPECT_FALSE(IsWellFormedId("tenant_01JDQ2XK7Z3V8W1M0P4R6T9YB", "ten"));
}

TEST(NewId, SequentialIdsSortInCreationOrder) {
  std::string previous = NewId("ten");
  for (int i = 0; i < 20000; ++i) {
    std::string next = NewId("ten");
    ASSERT_LT(previous, next) << "at " << i;
    previous = std::move(next);
  }
}

TEST(NewId, ConcurrentIdsAreUniqueAndOrderedPerThread) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::vector<std::string>> minted(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&minted, t] {
      minted[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) minted[t].push_back(NewId("ten"));
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& ids : minted) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      ASSERT_TRUE(IsWellFormedId(ids[i], "ten")) << ids[i];
      if (i > 0) {
        ASSERT_LT(ids[i - 1], ids[i]);
      }
      all.insert(ids[i]);
    }
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(NewId, IdsMintedAfterOthersOnAnotherThreadSortAfterThem) {
  const std::string first = NewId("ten");
  std::string second;
  std::thread([&second] { second = NewId("ten"); }).join();
  const std::string third = NewId("ten");
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

}  // namespace
}  // namespace tenantd::base
