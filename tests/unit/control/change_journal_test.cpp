#include "control/change_journal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tenantd::control {
namespace {

using Ids = std::vector<std::string>;

TEST(ChangeJournal, TellsWhichTenantsChangedSinceASequenceNumber) {
  ChangeJournal journal;
  EXPECT_EQ(journal.Latest(), 0u);
  EXPECT_EQ(journal.ChangesSince(0).tenant_ids, Ids{});
  journal.Add("ten_a");
  journal.Add(Ids{"ten_b", "ten_c"});
  EXPECT_EQ(journal.Latest(), 3u);
  EXPECT_EQ(journal.ChangesSince(0).tenant_ids, (Ids{"ten_a", "ten_b", "ten_c"}));
  EXPECT_EQ(journal.ChangesSince(1).tenant_ids, (Ids{"ten_b", "ten_c"}));
  EXPECT_EQ(journal.ChangesSince(3).tenant_ids, Ids{});
  EXPECT_EQ(journal.ChangesSince(2).latest, 3u);
}

TEST(ChangeJournal, ACacheFurtherBehindThanItKeepsDropsEverything) {
  ChangeJournal journal(/*capacity=*/2);
  journal.Add(Ids{"ten_a", "ten_b", "ten_c"});
  EXPECT_FALSE(journal.ChangesSince(0).tenant_ids) << "ten_a was forgotten";
  EXPECT_EQ(journal.ChangesSince(1).tenant_ids, (Ids{"ten_b", "ten_c"}));
  EXPECT_EQ(journal.ChangesSince(0).latest, 3u);
}

TEST(ChangeJournal, AChangeOfUnknownExtentDropsEverythingForWhoeverIsBeforeIt) {
  ChangeJournal journal;
  journal.Add("ten_a");
  journal.AddEverything();
  journal.Add("ten_b");
  EXPECT_FALSE(journal.ChangesSince(0).tenant_ids);
  EXPECT_FALSE(journal.ChangesSince(1).tenant_ids);
  EXPECT_EQ(journal.ChangesSince(2).tenant_ids, Ids{"ten_b"});
}

TEST(ChangeJournal, AnEmptyTenantIdIsNotMistakenForEverything) {
  ChangeJournal journal;
  journal.Add("");
  ASSERT_TRUE(journal.ChangesSince(0).tenant_ids);
  EXPECT_EQ(journal.ChangesSince(0).tenant_ids->size(), 1u);
}

}  // namespace
}  // namespace tenantd::control
