#include "usage/usage_meter.h"

#include "storage/run_to_completion.h"

#include "storage/sqlite/connection.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>

namespace tenantd::usage {
namespace {

using Days = std::chrono::duration<int64_t, std::ratio<86400>>;

int64_t DayNumber(base::TimePoint t) {
  return std::chrono::floor<Days>(t.time_since_epoch()).count();
}

std::string FormatDay(int64_t day_number) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day_number}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<int64_t> ParseDay(std::string_view day) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(std::string(day).c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

}  // namespace

std::string UtcDay(base::TimePoint t) { return FormatDay(DayNumber(t)); }

UsageMeter::Shard& UsageMeter::ShardFor(std::string_view tenant_id) const {
  return shards_[std::hash<std::string_view>{}(tenant_id) % kShards];
}

void UsageMeter::Add(std::string_view tenant_id, int64_t day, const Counts& c,
                     std::optional<std::string_view> total_slug) {
  Shard& shard = ShardFor(tenant_id);
  std::lock_guard lock(shard.mu);
  if (total_slug) {
    auto total = shard.totals.find(tenant_id);
    if (total == shard.totals.end()) total = shard.totals.emplace(tenant_id, Total{}).first;
    if (!total_slug->empty()) total->second.slug = *total_slug;
    total->second.counts.requests += c.requests;
    total->second.counts.bytes_in += c.bytes_in;
    total->second.counts.bytes_out += c.bytes_out;
  }
  auto it = shard.counts.find(KeyView(tenant_id, day));
  if (it == shard.counts.end()) {
    it = shard.counts.emplace(Key{std::string(tenant_id), day}, Counts{}).first;
  }
  it->second.requests += c.requests;
  it->second.bytes_in += c.bytes_in;
  it->second.bytes_out += c.bytes_out;
}

void UsageMeter::Record(std::string_view tenant_id, base::TimePoint when, uint64_t bytes_in,
                        uint64_t bytes_out, std::string_view tenant_slug) {
  Add(tenant_id, DayNumber(when),
      Counts{1, static_cast<int64_t>(bytes_in), static_cast<int64_t>(bytes_out)}, tenant_slug);
}

void UsageMeter::Render(std::string& out) const {
  struct Family {
    const char* name;
    const char* help;
    int64_t Counts::*field;
  };
  static constexpr Family kFamilies[] = {
      {"tenantd_tenant_requests_total", "Authenticated requests of each tenant since start.",
       &Counts::requests},
      {"tenantd_tenant_bytes_in_total", "Request body bytes of each tenant since start.",
       &Counts::bytes_in},
      {"tenantd_tenant_bytes_out_total", "Response body bytes of each tenant since start.",
       &Counts::bytes_out},
  };
  // Ids and slugs are server-minted [a-z0-9_-] tokens: no label escaping needed.
  std::vector<std::pair<std::string, Total>> totals;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [id, total] : shard.totals) totals.emplace_back(id, total);
  }
  for (const Family& f : kFamilies) {
    out += std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " counter\n";
    for (const auto& [id, total] : totals) {
      out += std::string(f.name) + "{tenant_id=\"" + id + "\",tenant=\"" + total.slug + "\"} " +
             std::to_string(total.counts.*f.field) + "\n";
    }
  }
}

std::vector<control::UsageRecord> UsageMeter::Take() {
  std::vector<control::UsageRecord> out;
  for (Shard& shard : shards_) {
    std::map<Key, Counts, KeyLess> taken;
    {
      std::lock_guard lock(shard.mu);
      taken.swap(shard.counts);
    }
    for (auto& [key, c] : taken) {
      control::UsageRecord r;
      r.tenant_id = key.first;
      r.day = FormatDay(key.second);
      r.requests = c.requests;
      r.bytes_in = c.bytes_in;
      r.bytes_out = c.bytes_out;
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<control::UsageRecord> UsageMeter::Pending(std::string_view tenant_id) const {
  std::vector<control::UsageRecord> out;
  const Shard& shard = ShardFor(tenant_id);
  std::lock_guard lock(shard.mu);
  for (auto it = shard.counts.lower_bound(KeyView(tenant_id, INT64_MIN));
       it != shard.counts.end() && it->first.first == tenant_id; ++it) {
    control::UsageRecord r;
    r.tenant_id = it->first.first;
    r.day = FormatDay(it->first.second);
    r.requests = it->second.requests;
    r.bytes_in = it->second.bytes_in;
    r.bytes_out = it->second.bytes_out;
    out.push_back(std::move(r));
  }
  return out;
}

void UsageMeter::Restore(const std::vector<control::UsageRecord>& records) {
  for (const control::UsageRecord& r : records) {
    if (auto day = ParseDay(r.day))
      Add(r.tenant_id, *day, Counts{r.requests, r.bytes_in, r.bytes_out});
  }
}

base::Result<std::optional<FileTotals>> ReadFileTotals(storage::sqlite::Connection& db) {
  TENANTD_TRY(storage::sqlite::Statement has,
              db.Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                         " AND name = 'file_totals'"));
  TENANTD_TRY(bool row, has.Step());
  if (!row || has.ColumnInt64(0) == 0) return std::optional<FileTotals>();
  TENANTD_TRY(storage::sqlite::Statement st,
              db.Prepare("SELECT files, bytes FROM file_totals WHERE id = 1"));
  TENANTD_TRY(bool found, st.Step());
  if (!found) return std::optional<FileTotals>();
  return std::optional<FileTotals>(FileTotals{st.ColumnInt64(0), st.ColumnInt64(1)});
}

void UsageMeter::FilesChanged(std::string_view tenant_id) {
  std::lock_guard lock(totals_mu_);
  auto it = totals_read_.find(tenant_id);
  if (it != totals_read_.end()) it->second.changed = true;
}

bool UsageMeter::ClaimTotalsRead(std::string_view tenant_id, std::string_view day) {
  std::lock_guard lock(totals_mu_);
  auto it = totals_read_.find(tenant_id);
  if (it == totals_read_.end()) {
    totals_read_.emplace(std::string(tenant_id), TotalsRead{std::string(day), false});
    return true;
  }
  if (!it->second.changed && it->second.day == day) return false;
  it->second = TotalsRead{std::string(day), false};
  return true;
}

base::Status Flush(
    UsageMeter& meter, control::ControlStore& store,
    const std::function<std::optional<FileTotals>(std::string_view tenant_id)>& totals) {
  std::vector<control::UsageRecord> records = meter.Take();
  if (records.empty()) return {};
  // Totals once per tenant, on the latest day it has counts for.
  std::map<std::string, std::size_t, std::less<>> latest;
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto [it, inserted] = latest.emplace(records[i].tenant_id, i);
    if (!inserted && records[it->second].day < records[i].day) it->second = i;
  }
  if (totals) {
    for (const auto& [tenant_id, index] : latest) {
      if (!meter.ClaimTotalsRead(tenant_id, records[index].day)) continue;
      if (auto t = totals(tenant_id)) {
        records[index].stored_bytes = t->bytes;
        records[index].file_count = t->files;
      } else {
        meter.FilesChanged(tenant_id);
      }
    }
  }
  auto added = storage::RunToCompletion(store.AddUsage(records));
  if (!added) {
    meter.Restore(records);
    for (const auto& [tenant_id, index] : latest) meter.FilesChanged(tenant_id);  // read again
  }
  return added;
}

}  // namespace tenantd::usage
