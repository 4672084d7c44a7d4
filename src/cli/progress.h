// Progress of a long run over many items (tenants) for the person or the log
// watching it: FormatProgress turns counts into one line, ProgressPrinter
// decides when to write that line and how.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace tenantd::cli {

// What a run counts: items (tenants) or bytes (of an archive).
enum class Unit { kItems, kBytes };

struct Progress {
  std::size_t done = 0;    // items finished, the failed ones included
  std::size_t total = 0;   // items the run set out to do
  std::size_t failed = 0;  // of `done`
  std::chrono::steady_clock::duration elapsed{};
  // The run is over (complete or stopped early): the line then says how
  // long it took instead of an ETA.
  bool finished = false;
  Unit unit = Unit::kItems;
};

// One line: "120/200 (60%), 2 failed, 45.2/s, ETA 1.8s" while running,
// "200/200 (100%), 45.2/s, took 4.4s" once finished (or once done == total);
// in bytes "1.2 GiB/3.4 GiB (35%), 96.0 MiB/s, ETA 23s".
// The percentage rounds down, so 100% means every item is done (0 items
// count as 100%). The rate is done / elapsed; before anything is done, or
// with no time elapsed, it reads "-/s" and the ETA "?". The failed count
// appears only when non-zero.
std::string FormatProgress(const Progress& p);

// "420ms" below a second, "4.2s" below 10 s, "42s" below a minute, "3m05s"
// below an hour, then "2h03m"; each rounds down. Negative durations print
// as "0ms".
std::string FormatDuration(std::chrono::duration<double> d);

// "512 B", then KiB, MiB, GiB, TiB with one decimal, rounded down: "1.5 KiB".
std::string FormatBytes(double bytes);

// Writes FormatProgress lines to a stream as a run advances.
//
// kRedraw (a terminal): one line redrawn in place with '\r' and "erase to
// end of line", at most every 100 ms, so a fast run does not spend its time
// painting. kLines (a file, a pipe, CI logs): a line each time `done`
// reaches the next 5% of the total (for 200 items: at 10, 20, 30, …), never
// more than 20 lines whatever the speed, so a log of 10,000 tenants stays
// short yet shows that the run advances. Both write a final line on Finish.
//
// Thread-safe: workers call Update and PrintLine directly.
class ProgressPrinter {
 public:
  enum class Mode { kRedraw, kLines };

  // kRedraw when `stream` is a terminal, kLines otherwise.
  static Mode ModeFor(std::FILE* stream);

  // Reports on `out`, which must outlive the printer; `start` is when the
  // run began (elapsed time and rate count from it).
  ProgressPrinter(std::FILE* out, Mode mode, std::size_t total,
                  std::chrono::steady_clock::time_point start, Unit unit = Unit::kItems);
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  // Records the counts so far and prints when the mode's rule says so.
  void Update(std::size_t done, std::size_t failed, std::chrono::steady_clock::time_point now);

  // Writes `line` and a newline to `stream` (which may be another stream
  // than the printer's, e.g. stdout) without tearing a redrawn line: the
  // progress line is erased first and drawn again after.
  void PrintLine(std::FILE* stream, std::string_view line);

  // Writes the final line (the run is over, complete or stopped) with the
  // last counts given to Update. Updates after Finish print nothing.
  void Finish(std::chrono::steady_clock::time_point now);

 private:
  Progress SnapshotLocked(std::chrono::steady_clock::time_point now, bool finished) const;
  void DrawLocked(const std::string& line);

  std::mutex mu_;
  std::FILE* out_;
  Mode mode_;
  std::chrono::steady_clock::time_point start_;
  std::size_t total_;
  Unit unit_;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  bool finished_ = false;
  // kRedraw: what is on screen now ("" = nothing) and when it was drawn.
  std::string drawn_;
  std::chrono::steady_clock::time_point drawn_at_{};
  // kLines: the last 5% step printed (0 = none yet).
  std::size_t printed_step_ = 0;
};

}  // namespace tenantd::cli
