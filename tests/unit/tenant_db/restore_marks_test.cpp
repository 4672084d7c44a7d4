#include "tenant_db/restore_marks.h"

#include <gtest/gtest.h>

namespace tenantd::tenant_db {
namespace {

TEST(RestoreMarks, MarkAndUnmarkTakeEffectAtOnce) {
  RestoreMarks marks;
  EXPECT_FALSE(marks.IsRestoring("t1"));
  marks.Mark("t1");
  marks.Mark("t1");
  EXPECT_TRUE(marks.IsRestoring("t1"));
  EXPECT_FALSE(marks.IsRestoring("t2"));
  marks.Unmark("t1");
  EXPECT_TRUE(marks.IsRestoring("t1")) << "marked twice, unmarked once";
  marks.Unmark("t1");
  EXPECT_FALSE(marks.IsRestoring("t1"));
}

TEST(RestoreMarks, ASweepReplacesWhatTheLastOneFound) {
  RestoreMarks marks;
  marks.BeginSweep();
  marks.SetSwept({"t1", "t2"});
  EXPECT_TRUE(marks.IsRestoring("t1"));
  EXPECT_TRUE(marks.IsRestoring("t2"));
  marks.BeginSweep();
  marks.SetSwept({"t2"});
  EXPECT_FALSE(marks.IsRestoring("t1"));
  EXPECT_TRUE(marks.IsRestoring("t2"));
}

// The race behind a flaky backup test: the sweep saw an in-process restore
// running, the restore ended (Unmark) before the sweep published its set.
TEST(RestoreMarks, ARestoreThatEndsDuringASweepIsNotLeftMarked) {
  RestoreMarks marks;
  marks.Mark("t1");
  marks.BeginSweep();
  marks.Unmark("t1");
  marks.SetSwept({"t1", "t2"});
  EXPECT_FALSE(marks.IsRestoring("t1"));
  EXPECT_TRUE(marks.IsRestoring("t2")) << "another process's restore stays marked";
  // The next sweep is not affected by what ended during the last one.
  marks.BeginSweep();
  marks.SetSwept({"t1"});
  EXPECT_TRUE(marks.IsRestoring("t1"));
}

// The same flaky test's other race: the sweep saw the restore's journal and
// published its set before the restore ended; the restore's Unmark ends it
// at once rather than at the next sweep.
TEST(RestoreMarks, ARestoreSeenByAFinishedSweepEndsWithItsUnmark) {
  RestoreMarks marks;
  marks.Mark("t1");
  marks.BeginSweep();
  marks.SetSwept({"t1", "t2"});
  marks.Unmark("t1");
  EXPECT_FALSE(marks.IsRestoring("t1"));
  EXPECT_TRUE(marks.IsRestoring("t2")) << "another process's restore stays marked";
}

}  // namespace
}  // namespace tenantd::tenant_db
