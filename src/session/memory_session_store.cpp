#include "session/memory_session_store.h"

#include <algorithm>

namespace tenantd::session {

base::Status MemorySessionStore::Create(const SessionRecord& s) {
  std::lock_guard lock(mu_);
  by_id_[s.id] = s;
  id_by_hash_[s.id_hash] = s.id;
  return {};
}

base::Result<std::optional<SessionRecord>> MemorySessionStore::FindLive(std::string_view id_hash,
                                                                        base::TimePoint now) {
  std::lock_guard lock(mu_);
  const auto h = id_by_hash_.find(std::string(id_hash));
  if (h == id_by_hash_.end()) return std::optional<SessionRecord>();
  const auto it = by_id_.find(h->second);
  if (it == by_id_.end() || it->second.expires_at <= now) return std::optional<SessionRecord>();
  return std::optional<SessionRecord>(it->second);
}

base::Status MemorySessionStore::Extend(std::string_view id_hash, base::TimePoint last_seen,
                                        base::TimePoint expires_at) {
  std::lock_guard lock(mu_);
  const auto h = id_by_hash_.find(std::string(id_hash));
  if (h == id_by_hash_.end()) return {};
  const auto it = by_id_.find(h->second);
  if (it == by_id_.end()) return {};
  it->second.last_seen_at = last_seen;
  it->second.expires_at = expires_at;
  return {};
}

void MemorySessionStore::EraseLocked(
    std::map<std::string, SessionRecord, std::less<>>::iterator it) {
  id_by_hash_.erase(it->second.id_hash);
  by_id_.erase(it);
}

base::Result<bool> MemorySessionStore::Destroy(std::string_view id_hash) {
  std::lock_guard lock(mu_);
  const auto h = id_by_hash_.find(std::string(id_hash));
  if (h == id_by_hash_.end()) return false;
  const auto it = by_id_.find(h->second);
  if (it == by_id_.end()) {
    id_by_hash_.erase(h);
    return false;
  }
  EraseLocked(it);
  return true;
}

base::Result<SessionPage> MemorySessionStore::ListLive(std::string_view tenant_id,
                                                       base::TimePoint now, std::string_view after,
                                                       int limit) {
  limit = std::max(limit, 1);
  std::lock_guard lock(mu_);
  SessionPage page;
  // A scan over every session: fine for the sizes a single process holds.
  for (auto it = by_id_.upper_bound(after); it != by_id_.end(); ++it) {
    const SessionRecord& s = it->second;
    if (s.tenant_id != tenant_id || s.expires_at <= now) continue;
    if (page.items.size() == static_cast<std::size_t>(limit)) {
      page.next_cursor = page.items.back().id;
      break;
    }
    page.items.push_back(s);
  }
  return page;
}

base::Result<bool> MemorySessionStore::Revoke(std::string_view tenant_id, std::string_view id) {
  std::lock_guard lock(mu_);
  const auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.tenant_id != tenant_id) return false;
  EraseLocked(it);
  return true;
}

base::Result<int64_t> MemorySessionStore::RevokeAll(std::string_view tenant_id) {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    auto next = std::next(it);
    if (it->second.tenant_id == tenant_id) {
      EraseLocked(it);
      ++n;
    }
    it = next;
  }
  return n;
}

base::Result<int64_t> MemorySessionStore::PurgeExpired(base::TimePoint now) {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    auto next = std::next(it);
    if (it->second.expires_at <= now) {
      EraseLocked(it);
      ++n;
    }
    it = next;
  }
  return n;
}

// Like the tenant's, a scan over every session.
base::Result<std::vector<SessionRecord>> MemorySessionStore::ListLiveForUser(
    std::string_view user_id, base::TimePoint now) {
  std::vector<SessionRecord> live;
  if (user_id.empty()) return live;
  std::lock_guard lock(mu_);
  for (const auto& [id, s] : by_id_) {
    if (live.size() == static_cast<std::size_t>(kMaxUserSessions)) break;
    if (s.user_id == user_id && s.expires_at > now) live.push_back(s);
  }
  return live;
}

base::Result<bool> MemorySessionStore::RevokeForUser(std::string_view user_id,
                                                     std::string_view id) {
  if (user_id.empty()) return false;
  std::lock_guard lock(mu_);
  const auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.user_id != user_id) return false;
  EraseLocked(it);
  return true;
}

base::Result<int64_t> MemorySessionStore::RevokeAllForUser(std::string_view user_id,
                                                           std::string_view keep_id_hash) {
  if (user_id.empty()) return int64_t{0};
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    auto next = std::next(it);
    if (it->second.user_id == user_id && it->second.id_hash != keep_id_hash) {
      EraseLocked(it);
      ++n;
    }
    it = next;
  }
  return n;
}

}  // namespace tenantd::session
