// The progress line of long CLI runs (`tenantd migrate`): what it says for
// given counts and times, and when the printer writes it.
#include "cli/progress.h"

#include <gtest/gtest.h>
#include <stdio.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace tenantd::cli {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

Progress At(std::size_t done, std::size_t total, SteadyClock::duration elapsed,
            std::size_t failed = 0, bool finished = false) {
  return Progress{done, total, failed, elapsed, finished};
}

// A FILE* writing into memory, for what the printer prints.
class MemoryStream {
 public:
  MemoryStream() : file_(open_memstream(&data_, &size_)) {}
  ~MemoryStream() {
    std::fclose(file_);
    std::free(data_);
  }
  MemoryStream(const MemoryStream&) = delete;
  MemoryStream& operator=(const MemoryStream&) = delete;

  std::FILE* file() const { return file_; }
  std::string Text() {
    std::fflush(file_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

std::size_t Count(const std::string& text, char c) {
  std::size_t n = 0;
  for (char x : text) n += x == c ? 1 : 0;
  return n;
}

TEST(FormatProgress, MidRunShowsCountsPercentRateAndEta) {
  EXPECT_EQ(FormatProgress(At(50, 200, 10s)), "50/200 (25%), 5.0/s, ETA 30s");
}

TEST(FormatProgress, ShowsTheFailedCountOnlyWhenThereIsOne) {
  EXPECT_EQ(FormatProgress(At(50, 200, 10s, 2)), "50/200 (25%), 2 failed, 5.0/s, ETA 30s");
  EXPECT_EQ(FormatProgress(At(50, 200, 10s, 0)).find("failed"), std::string::npos);
}

TEST(FormatProgress, PercentRoundsDownSoHundredMeansComplete) {
  EXPECT_EQ(FormatProgress(At(199, 200, 199s)), "199/200 (99%), 1.0/s, ETA 1.0s");
}

TEST(FormatProgress, RateHasOneDecimal) {
  EXPECT_EQ(FormatProgress(At(10, 100, 3s)), "10/100 (10%), 3.3/s, ETA 27s");
}

TEST(FormatProgress, ZeroElapsedHasNoRateAndNoEta) {
  EXPECT_EQ(FormatProgress(At(5, 200, 0s)), "5/200 (2%), -/s, ETA ?");
}

TEST(FormatProgress, NothingDoneYetHasNoRateAndNoEta) {
  EXPECT_EQ(FormatProgress(At(0, 200, 3s)), "0/200 (0%), -/s, ETA ?");
}

TEST(FormatProgress, EtaGrowsIntoMinutesAndHours) {
  EXPECT_EQ(FormatProgress(At(1, 126, 1s)), "1/126 (0%), 1.0/s, ETA 2m05s");
  EXPECT_EQ(FormatProgress(At(1, 3601, 1s)), "1/3601 (0%), 1.0/s, ETA 1h00m");
}

TEST(FormatProgress, DoneEqualsTotalSaysHowLongItTook) {
  EXPECT_EQ(FormatProgress(At(200, 200, 40s)), "200/200 (100%), 5.0/s, took 40s");
  EXPECT_EQ(FormatProgress(At(200, 200, 40s, 0, /*finished=*/true)),
            "200/200 (100%), 5.0/s, took 40s");
}

TEST(FormatProgress, RunStoppedEarlySaysHowLongItTookNotAnEta) {
  EXPECT_EQ(FormatProgress(At(3, 200, 1500ms, 1, /*finished=*/true)),
            "3/200 (1%), 1 failed, 2.0/s, took 1.5s");
}

TEST(FormatProgress, EmptyRunIsComplete) {
  EXPECT_EQ(FormatProgress(At(0, 0, 0s, 0, /*finished=*/true)), "0/0 (100%), -/s, took 0ms");
}

TEST(FormatProgress, InBytesShowsSizesAndAByteRate) {
  Progress p = At(std::size_t{3} << 30, std::size_t{12} << 30, 32s);
  p.unit = Unit::kBytes;
  EXPECT_EQ(FormatProgress(p), "3.0 GiB/12.0 GiB (25%), 96.0 MiB/s, ETA 1m36s");
  p.done = p.total;
  EXPECT_EQ(FormatProgress(p), "12.0 GiB/12.0 GiB (100%), 384.0 MiB/s, took 32s");
}

TEST(FormatProgress, PercentOfAHugeByteCountDoesNotOverflow) {
  Progress p = At(std::size_t{1} << 62, std::size_t{1} << 63, 1s);
  p.unit = Unit::kBytes;
  EXPECT_NE(FormatProgress(p).find("(50%)"), std::string::npos) << FormatProgress(p);
}

TEST(FormatBytes, PicksTheUnitAndRoundsDown) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1.0 KiB");
  EXPECT_EQ(FormatBytes(1535), "1.4 KiB");
  EXPECT_EQ(FormatBytes(1048575), "1023.9 KiB");
  EXPECT_EQ(FormatBytes(5.5 * 1024 * 1024 * 1024), "5.5 GiB");
  EXPECT_EQ(FormatBytes(3.0 * 1024 * 1024 * 1024 * 1024 * 1024), "3072.0 TiB");
}

TEST(FormatDuration, PicksTheUnitAndRoundsDown) {
  EXPECT_EQ(FormatDuration(420ms), "420ms");
  EXPECT_EQ(FormatDuration(4250ms), "4.2s");
  EXPECT_EQ(FormatDuration(9970ms), "9.9s");
  EXPECT_EQ(FormatDuration(42700ms), "42s");
  EXPECT_EQ(FormatDuration(185s), "3m05s");
  EXPECT_EQ(FormatDuration(2h + 3min + 59s), "2h03m");
  EXPECT_EQ(FormatDuration(-1s), "0ms");
}

TEST(ProgressPrinter, LinesModePrintsAtEachFivePercentAndOnceAtTheEnd) {
  MemoryStream out;
  const auto start = SteadyClock::time_point{};
  ProgressPrinter printer(out.file(), ProgressPrinter::Mode::kLines, 200, start);
  for (std::size_t done = 1; done <= 200; ++done) {
    printer.Update(done, 0, start + done * 10ms);
  }
  printer.Finish(start + 2s);
  const std::string text = out.Text();
  EXPECT_EQ(Count(text, '\n'), 20u) << text;  // at 10, 20, … 190, then the final line
  EXPECT_EQ(Count(text, '\r'), 0u) << text;
  EXPECT_EQ(text.find("10/200 (5%), "), 0u) << text;
  EXPECT_NE(text.find("\n190/200 (95%), "), std::string::npos) << text;
  EXPECT_NE(text.find("\n200/200 (100%), 100.0/s, took 2.0s\n"), std::string::npos) << text;
}

TEST(ProgressPrinter, LinesModeWithFewItemsPrintsEachAndTheFinalLineOnce) {
  MemoryStream out;
  const auto start = SteadyClock::time_point{};
  ProgressPrinter printer(out.file(), ProgressPrinter::Mode::kLines, 3, start);
  for (std::size_t done = 1; done <= 3; ++done) printer.Update(done, 0, start + done * 1s);
  printer.Finish(start + 3s);
  EXPECT_EQ(out.Text(),
            "1/3 (33%), 1.0/s, ETA 2.0s\n2/3 (66%), 1.0/s, ETA 1.0s\n3/3 (100%), 1.0/s, took "
            "3.0s\n");
}

TEST(ProgressPrinter, CountsNeverGoBackWhenWorkersReportOutOfOrder) {
  MemoryStream out;
  const auto start = SteadyClock::time_point{};
  ProgressPrinter printer(out.file(), ProgressPrinter::Mode::kLines, 4, start);
  printer.Update(2, 1, start + 1s);
  printer.Update(1, 0, start + 1s);  // a worker that finished earlier reports late
  printer.Finish(start + 2s);
  EXPECT_EQ(out.Text(),
            "2/4 (50%), 1 failed, 2.0/s, ETA 1.0s\n2/4 (50%), 1 failed, 1.0/s, took 2.0s\n");
}

TEST(ProgressPrinter, RedrawModeRedrawsOneLineAtMostTenTimesASecond) {
  MemoryStream out;
  const auto start = SteadyClock::time_point{};
  ProgressPrinter printer(out.file(), ProgressPrinter::Mode::kRedraw, 100, start);
  printer.Update(1, 0, start + 10ms);
  printer.Update(2, 0, start + 60ms);   // too soon after the first draw
  printer.Update(3, 0, start + 110ms);  // 100 ms after it: drawn
  const std::string running = out.Text();
  EXPECT_EQ(Count(running, '\r'), 2u) << running;
  EXPECT_EQ(Count(running, '\n'), 0u) << running;
  EXPECT_NE(running.find("\r3/100 (3%), "), std::string::npos) << running;
  EXPECT_EQ(running.find("2/100"), std::string::npos) << running;
  printer.Finish(start + 1s);
  const std::string text = out.Text();
  EXPECT_EQ(Count(text, '\r'), 3u) << text;
  EXPECT_NE(text.find("\r3/100 (3%), 3.0/s, took 1.0s\x1b[K\n"), std::string::npos) << text;
}

TEST(ProgressPrinter, PrintLineErasesTheBarAndDrawsItAgainAfter) {
  MemoryStream out;
  const auto start = SteadyClock::time_point{};
  ProgressPrinter printer(out.file(), ProgressPrinter::Mode::kRedraw, 10, start);
  printer.Update(5, 1, start + 1s);
  const std::string bar = "5/10 (50%), 1 failed, 5.0/s, ETA 1.0s";
  printer.PrintLine(out.file(), "tenant ten_1 (acme): failed");
  EXPECT_EQ(out.Text(), "\r" + bar + "\x1b[K" + "\r\x1b[K" + "tenant ten_1 (acme): failed\n" +
                            "\r" + bar + "\x1b[K");
}

TEST(ProgressPrinter, PrintLineInLinesModeIsJustTheLine) {
  MemoryStream out;
  ProgressPrinter printer(out.file(), ProgressPrinter::Mode::kLines, 10, SteadyClock::time_point{});
  printer.PrintLine(out.file(), "tenant ten_1 (acme): failed");
  EXPECT_EQ(out.Text(), "tenant ten_1 (acme): failed\n");
}

}  // namespace
}  // namespace tenantd::cli
