#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace tenantd::cli {
namespace {

// A terminal redraw costs a write and the terminal's repaint; ten a second
// looks live without slowing a run that finishes thousands of items a second.
constexpr std::chrono::milliseconds kRedrawInterval{100};
// kLines prints at each 1/kLineSteps of the total (5%).
constexpr std::size_t kLineSteps = 20;
// VT100 "erase from the cursor to the end of the line": a shorter line
// drawn over a longer one leaves no tail behind.
constexpr std::string_view kEraseLine = "\x1b[K";

std::string Printf(const char* format, auto... args) {
  char buffer[64];
  const int n = std::snprintf(buffer, sizeof buffer, format, args...);
  return std::string(buffer, static_cast<std::size_t>(std::clamp(n, 0, int{sizeof buffer} - 1)));
}

}  // namespace

std::string FormatDuration(std::chrono::duration<double> d) {
  const double seconds = std::max(d.count(), 0.0);
  if (seconds < 1) return Printf("%dms", static_cast<int>(seconds * 1000));
  // Rounding down keeps the unit boundaries honest: 9.97 s is "9.9s", not "10.0s".
  if (seconds < 10) return Printf("%.1fs", std::floor(seconds * 10) / 10);
  const auto whole = static_cast<long long>(seconds);
  if (whole < 60) return Printf("%llds", whole);
  if (whole < 3600) return Printf("%lldm%02llds", whole / 60, whole % 60);
  return Printf("%lldh%02lldm", whole / 3600, whole % 3600 / 60);
}

std::string FormatBytes(double bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return Printf("%d B", static_cast<int>(std::max(bytes, 0.0)));
  std::size_t unit = 0;
  bytes /= 1024;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  return Printf("%.1f %s", std::floor(bytes * 10) / 10, kUnits[unit]);
}

std::string FormatProgress(const Progress& p) {
  const bool in_bytes = p.unit == Unit::kBytes;
  const auto count = [in_bytes](double n) {
    return in_bytes ? FormatBytes(n) : std::to_string(static_cast<std::size_t>(n));
  };
  // In 128-bit arithmetic: done * 100 overflows 64 bits for no byte count
  // a disk holds, but costs nothing to rule out.
  const std::size_t percent =
      p.total == 0 ? 100
                   : static_cast<std::size_t>(
                         static_cast<unsigned __int128>(std::min(p.done, p.total)) * 100 / p.total);
  std::string line = count(static_cast<double>(p.done)) + "/" +
                     count(static_cast<double>(p.total)) + " (" + std::to_string(percent) + "%)";
  if (p.failed > 0) line += ", " + std::to_string(p.failed) + " failed";
  const double seconds = std::chrono::duration<double>(p.elapsed).count();
  const bool has_rate = p.done > 0 && seconds > 0;
  const double rate = has_rate ? static_cast<double>(p.done) / seconds : 0;
  if (!has_rate) {
    line += ", -/s";
  } else {
    line += ", " + (in_bytes ? FormatBytes(rate) : Printf("%.1f", rate)) + "/s";
  }
  if (p.finished || p.done >= p.total) {
    line += ", took " + FormatDuration(p.elapsed);
  } else if (has_rate) {
    line +=
        ", ETA " +
        FormatDuration(std::chrono::duration<double>(static_cast<double>(p.total - p.done) / rate));
  } else {
    line += ", ETA ?";
  }
  return line;
}

ProgressPrinter::Mode ProgressPrinter::ModeFor(std::FILE* stream) {
  return ::isatty(::fileno(stream)) == 1 ? Mode::kRedraw : Mode::kLines;
}

ProgressPrinter::ProgressPrinter(std::FILE* out, Mode mode, std::size_t total,
                                 std::chrono::steady_clock::time_point start, Unit unit)
    : out_(out), mode_(mode), start_(start), total_(total), unit_(unit) {}

Progress ProgressPrinter::SnapshotLocked(std::chrono::steady_clock::time_point now,
                                         bool finished) const {
  return Progress{done_, total_, failed_, now - start_, finished, unit_};
}

void ProgressPrinter::DrawLocked(const std::string& line) {
  std::fprintf(out_, "\r%s%.*s", line.c_str(), static_cast<int>(kEraseLine.size()),
               kEraseLine.data());
  std::fflush(out_);
  drawn_ = line;
}

void ProgressPrinter::Update(std::size_t done, std::size_t failed,
                             std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  if (finished_) return;
  // Workers report in whatever order they finish; counts only grow.
  done_ = std::max(done_, done);
  failed_ = std::max(failed_, failed);
  if (mode_ == Mode::kRedraw) {
    if (!drawn_.empty() && now - drawn_at_ < kRedrawInterval) return;
    drawn_at_ = now;
    DrawLocked(FormatProgress(SnapshotLocked(now, false)));
    return;
  }
  // The line for done == total is Finish's, so a complete run does not
  // print its last line twice.
  if (total_ == 0 || done_ >= total_) return;
  const std::size_t step = done_ * kLineSteps / total_;
  if (step <= printed_step_) return;
  printed_step_ = step;
  std::fprintf(out_, "%s\n", FormatProgress(SnapshotLocked(now, false)).c_str());
  std::fflush(out_);
}

void ProgressPrinter::PrintLine(std::FILE* stream, std::string_view line) {
  std::lock_guard lock(mu_);
  const bool redraw = mode_ == Mode::kRedraw && !drawn_.empty();
  if (redraw) {
    std::fprintf(out_, "\r%.*s", static_cast<int>(kEraseLine.size()), kEraseLine.data());
    std::fflush(out_);
  }
  std::fprintf(stream, "%.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stream);
  if (redraw) DrawLocked(drawn_);
}

void ProgressPrinter::Finish(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  if (finished_) return;
  finished_ = true;
  const std::string line = FormatProgress(SnapshotLocked(now, true));
  if (mode_ == Mode::kRedraw) {
    DrawLocked(line);
    std::fputc('\n', out_);
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace tenantd::cli
