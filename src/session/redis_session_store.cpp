#include "session/redis_session_store.h"

#include "redis/redis_client.h"

namespace tenantd::session {
namespace {

using boost::asio::awaitable;
using redis::Reply;

const std::string kHash = "tenantd:ses:h:";
const std::string kId = "tenantd:ses:i:";
const std::string kTenant = "tenantd:ses:t:";
const std::string kUser = "tenantd:ses:u:";

int64_t Ms(base::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

base::TimePoint FromMs(std::string_view text) {
  int64_t ms = 0;
  for (char c : text) {
    if (c < '0' || c > '9') break;
    ms = ms * 10 + (c - '0');
  }
  return base::TimePoint(std::chrono::milliseconds(ms));
}

// Whatever went wrong with Redis, the client sees one stable code.
base::Error Unavailable(const base::Error& e) {
  return base::MakeError(base::ErrorCode::kUnavailable, "session_store_unavailable",
                         "Sessions cannot be checked right now; retry shortly.", e.log_detail);
}

// An HGETALL reply (field, value, ...) as a record; nullopt when empty.
std::optional<SessionRecord> ToRecord(const Reply& r, std::string_view id_hash) {
  if (r.type != Reply::Type::kArray || r.elements.empty()) return std::nullopt;
  SessionRecord s;
  s.id_hash = std::string(id_hash);
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    const std::string& field = r.elements[i].text;
    const std::string& value = r.elements[i + 1].text;
    if (field == "id") s.id = value;
    if (field == "hash") s.id_hash = value;
    if (field == "tenant") s.tenant_id = value;
    if (field == "mode") s.auth_mode = value;
    if (field == "key") s.key_id = value;
    if (field == "user") s.user_id = value;
    if (field == "secret") s.secret_id = value;
    if (field == "created") s.created_at = FromMs(value);
    if (field == "seen") s.last_seen_at = FromMs(value);
    if (field == "expires") s.expires_at = FromMs(value);
    if (field == "ip") s.ip = value;
    if (field == "ua") s.user_agent = value;
  }
  return s;
}

// KEYS: hash key, id key, tenant index, user index. ARGV: the fields,
// expiry in ms. A session without a user (ARGV[12] "") is in no user index.
const redis::Script& CreateScript() {
  static const redis::Script script(R"lua(
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'hash', ARGV[2], 'tenant', ARGV[3], 'mode', ARGV[4],
           'key', ARGV[5], 'created', ARGV[6], 'seen', ARGV[7], 'expires', ARGV[8],
           'ip', ARGV[9], 'ua', ARGV[10], 'secret', ARGV[11], 'user', ARGV[12])
redis.call('PEXPIREAT', KEYS[1], ARGV[8])
redis.call('SET', KEYS[2], ARGV[2], 'PXAT', ARGV[8])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
if ARGV[12] ~= '' then redis.call('ZADD', KEYS[4], 0, ARGV[1]) end
return 1
)lua");
  return script;
}

// KEYS: hash key. ARGV: seen, expires (ms), id key prefix.
const redis::Script& ExtendScript() {
  static const redis::Script script(R"lua(
local id = redis.call('HGET', KEYS[1], 'id')
if not id then return 0 end
redis.call('HSET', KEYS[1], 'seen', ARGV[1], 'expires', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('PEXPIREAT', ARGV[3] .. id, ARGV[2])
return 1
)lua");
  return script;
}

// Removes one session, and its entries in the tenant's and the user's
// index. KEYS: hash key; ARGV: id prefix, tenant prefix, the tenant it
// must belong to ("" = any), user prefix, the user it must belong to
// ("" = any). 1 if it was there.
const redis::Script& DestroyScript() {
  static const redis::Script script(R"lua(
local f = redis.call('HMGET', KEYS[1], 'id', 'tenant', 'user')
if not f[1] then return 0 end
if ARGV[3] ~= '' and f[2] ~= ARGV[3] then return 0 end
if ARGV[5] ~= '' and f[3] ~= ARGV[5] then return 0 end
redis.call('DEL', KEYS[1], ARGV[1] .. f[1])
redis.call('ZREM', ARGV[2] .. f[2], f[1])
if f[3] and f[3] ~= '' then redis.call('ZREM', ARGV[4] .. f[3], f[1]) end
return 1
)lua");
  return script;
}

// KEYS: tenant or user index. ARGV: id prefix, hash prefix, after ("" =
// start), count, now (ms). Returns up to `count` HGETALL arrays of live sessions,
// dropping index entries whose session is gone.
const redis::Script& ListScript() {
  static const redis::Script script(R"lua(
local start = ARGV[3] == '' and '-' or ('(' .. ARGV[3])
local out = {}
local want = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
while #out < want do
  local ids = redis.call('ZRANGEBYLEX', KEYS[1], start, '+', 'LIMIT', 0, 100)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local hash = redis.call('GET', ARGV[1] .. id)
    local fields = hash and redis.call('HGETALL', ARGV[2] .. hash) or {}
    if #fields == 0 then
      redis.call('ZREM', KEYS[1], id)
    else
      local expires = 0
      for i = 1, #fields, 2 do
        if fields[i] == 'expires' then expires = tonumber(fields[i + 1]) end
      end
      if expires > now and #out < want then out[#out + 1] = fields end
    end
    start = '(' .. id
  end
end
return out
)lua");
  return script;
}

// KEYS: tenant index. ARGV: id prefix, hash prefix, user prefix. How many
// were live. Their user indexes lose them too.
const redis::Script& RevokeAllScript() {
  static const redis::Script script(R"lua(
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local n = 0
for _, id in ipairs(ids) do
  local hash = redis.call('GET', ARGV[1] .. id)
  if hash then
    local user = redis.call('HGET', ARGV[2] .. hash, 'user')
    if user and user ~= '' then redis.call('ZREM', ARGV[3] .. user, id) end
    n = n + redis.call('DEL', ARGV[2] .. hash)
    redis.call('DEL', ARGV[1] .. id)
  end
end
redis.call('DEL', KEYS[1])
return n
)lua");
  return script;
}

// KEYS: user index. ARGV: id prefix, hash prefix, tenant prefix, the id
// hash to keep ("" = none). How many were live. Their tenant indexes lose
// them too; entries of sessions already gone are dropped.
const redis::Script& RevokeAllForUserScript() {
  static const redis::Script script(R"lua(
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local n = 0
for _, id in ipairs(ids) do
  local hash = redis.call('GET', ARGV[1] .. id)
  if hash ~= ARGV[4] then
    if hash then
      local tenant = redis.call('HGET', ARGV[2] .. hash, 'tenant')
      if tenant then redis.call('ZREM', ARGV[3] .. tenant, id) end
      n = n + redis.call('DEL', ARGV[2] .. hash)
      redis.call('DEL', ARGV[1] .. id)
    end
    redis.call('ZREM', KEYS[1], id)
  end
end
return n
)lua");
  return script;
}

}  // namespace

namespace {

// A script's keys and arguments.
struct ScriptCall {
  std::vector<std::string> keys, args;
};

ScriptCall CreateCall(const SessionRecord& s) {
  return {{kHash + s.id_hash, kId + s.id, kTenant + s.tenant_id, kUser + s.user_id},
          {s.id, s.id_hash, s.tenant_id, s.auth_mode, s.key_id, std::to_string(Ms(s.created_at)),
           std::to_string(Ms(s.last_seen_at)), std::to_string(Ms(s.expires_at)), s.ip, s.user_agent,
           s.secret_id, s.user_id}};
}

ScriptCall ExtendCall(std::string_view id_hash, base::TimePoint last_seen,
                      base::TimePoint expires_at) {
  return {{kHash + std::string(id_hash)},
          {std::to_string(Ms(last_seen)), std::to_string(Ms(expires_at)), kId}};
}

ScriptCall DestroyCall(std::string_view id_hash) {
  return {{kHash + std::string(id_hash)}, {kId, kTenant, "", kUser, ""}};
}

std::vector<std::string> FindCommand(std::string_view id_hash) {
  return {"HGETALL", kHash + std::string(id_hash)};
}

base::Result<std::optional<SessionRecord>> LiveRecord(const base::Result<Reply>& reply,
                                                      std::string_view id_hash,
                                                      base::TimePoint now) {
  if (!reply) return Unavailable(reply.error());
  std::optional<SessionRecord> s = ToRecord(*reply, id_hash);
  if (s && s->expires_at <= now) s.reset();
  return s;
}

base::Status Done(const base::Result<Reply>& reply) {
  if (!reply) return Unavailable(reply.error());
  return {};
}

base::Result<bool> Destroyed(const base::Result<Reply>& reply) {
  if (!reply) return Unavailable(reply.error());
  return reply->integer == 1;
}

}  // namespace

base::Status RedisSessionStore::Create(const SessionRecord& s) {
  const ScriptCall call = CreateCall(s);
  return Done(client_.Eval(CreateScript(), call.keys, call.args));
}

base::Result<std::optional<SessionRecord>> RedisSessionStore::FindLive(std::string_view id_hash,
                                                                       base::TimePoint now) {
  return LiveRecord(client_.Command(FindCommand(id_hash)), id_hash, now);
}

base::Status RedisSessionStore::Extend(std::string_view id_hash, base::TimePoint last_seen,
                                       base::TimePoint expires_at) {
  const ScriptCall call = ExtendCall(id_hash, last_seen, expires_at);
  return Done(client_.Eval(ExtendScript(), call.keys, call.args));
}

base::Result<bool> RedisSessionStore::Destroy(std::string_view id_hash) {
  const ScriptCall call = DestroyCall(id_hash);
  return Destroyed(client_.Eval(DestroyScript(), call.keys, call.args));
}

awaitable<base::Status> RedisSessionStore::CreateAsync(const SessionRecord& s) {
  const ScriptCall call = CreateCall(s);
  const base::Result<Reply> reply =
      co_await client_.EvalAsync(CreateScript(), call.keys, call.args);
  co_return Done(reply);
}

awaitable<base::Result<std::optional<SessionRecord>>> RedisSessionStore::FindLiveAsync(
    std::string_view id_hash, base::TimePoint now) {
  const std::vector<std::string> command = FindCommand(id_hash);
  const base::Result<Reply> reply = co_await client_.CommandAsync(command);
  co_return LiveRecord(reply, id_hash, now);
}

awaitable<base::Status> RedisSessionStore::ExtendAsync(std::string_view id_hash,
                                                       base::TimePoint last_seen,
                                                       base::TimePoint expires_at) {
  const ScriptCall call = ExtendCall(id_hash, last_seen, expires_at);
  const base::Result<Reply> reply =
      co_await client_.EvalAsync(ExtendScript(), call.keys, call.args);
  co_return Done(reply);
}

awaitable<base::Result<bool>> RedisSessionStore::DestroyAsync(std::string_view id_hash) {
  const ScriptCall call = DestroyCall(id_hash);
  const base::Result<Reply> reply =
      co_await client_.EvalAsync(DestroyScript(), call.keys, call.args);
  co_return Destroyed(reply);
}

namespace {

// A list, revoke or revoke-all: the script call each makes and how its
// reply reads, shared by the blocking and the asynchronous forms.
ScriptCall ListCall(std::string_view tenant_id, base::TimePoint now, std::string_view after,
                    int limit) {
  // One more than asked for tells whether there is a next page.
  return {{kTenant + std::string(tenant_id)},
          {kId, kHash, std::string(after), std::to_string(limit + 1), std::to_string(Ms(now))}};
}

base::Result<SessionPage> Listed(const base::Result<Reply>& reply, int limit) {
  if (!reply) return Unavailable(reply.error());
  SessionPage page;
  for (const Reply& fields : reply->elements) {
    if (auto s = ToRecord(fields, "")) page.items.push_back(std::move(*s));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.resize(static_cast<std::size_t>(limit));
    page.next_cursor = page.items.back().id;
  }
  return page;
}

std::vector<std::string> PublicIdCommand(std::string_view id) {
  return {"GET", kId + std::string(id)};
}

// The id hash a public id names; nullopt when no session has it.
base::Result<std::optional<std::string>> IdHash(const base::Result<Reply>& reply) {
  if (!reply) return Unavailable(reply.error());
  if (reply->type != Reply::Type::kString) return std::optional<std::string>();
  return std::optional<std::string>(reply->text);
}

// Destroys the session only if it is the tenant's (the script checks).
ScriptCall RevokeCall(std::string_view tenant_id, const std::string& id_hash) {
  return {{kHash + id_hash}, {kId, kTenant, std::string(tenant_id), kUser, ""}};
}

ScriptCall RevokeAllCall(std::string_view tenant_id) {
  return {{kTenant + std::string(tenant_id)}, {kId, kHash, kUser}};
}

// The user's sessions: the tenant list's script over the user's index, one
// page of kMaxUserSessions.
ScriptCall ListForUserCall(std::string_view user_id, base::TimePoint now) {
  return {{kUser + std::string(user_id)},
          {kId, kHash, "", std::to_string(kMaxUserSessions), std::to_string(Ms(now))}};
}

base::Result<std::vector<SessionRecord>> ListedForUser(const base::Result<Reply>& reply) {
  if (!reply) return Unavailable(reply.error());
  std::vector<SessionRecord> live;
  for (const Reply& fields : reply->elements) {
    if (auto s = ToRecord(fields, "")) live.push_back(std::move(*s));
  }
  return live;
}

// Destroys the session only if it is the user's (the script checks).
ScriptCall RevokeForUserCall(std::string_view user_id, const std::string& id_hash) {
  return {{kHash + id_hash}, {kId, kTenant, "", kUser, std::string(user_id)}};
}

ScriptCall RevokeAllForUserCall(std::string_view user_id, std::string_view keep_id_hash) {
  return {{kUser + std::string(user_id)}, {kId, kHash, kTenant, std::string(keep_id_hash)}};
}

base::Result<int64_t> Count(const base::Result<Reply>& reply) {
  if (!reply) return Unavailable(reply.error());
  return reply->integer;
}

}  // namespace

base::Result<SessionPage> RedisSessionStore::ListLive(std::string_view tenant_id,
                                                      base::TimePoint now, std::string_view after,
                                                      int limit) {
  limit = std::max(limit, 1);
  const ScriptCall call = ListCall(tenant_id, now, after, limit);
  return Listed(client_.Eval(ListScript(), call.keys, call.args), limit);
}

base::Result<bool> RedisSessionStore::Revoke(std::string_view tenant_id, std::string_view id) {
  TENANTD_TRY(std::optional<std::string> hash, IdHash(client_.Command(PublicIdCommand(id))));
  if (!hash) return false;
  const ScriptCall call = RevokeCall(tenant_id, *hash);
  return Destroyed(client_.Eval(DestroyScript(), call.keys, call.args));
}

base::Result<int64_t> RedisSessionStore::RevokeAll(std::string_view tenant_id) {
  const ScriptCall call = RevokeAllCall(tenant_id);
  return Count(client_.Eval(RevokeAllScript(), call.keys, call.args));
}

awaitable<base::Result<SessionPage>> RedisSessionStore::ListLiveAsync(std::string_view tenant_id,
                                                                      base::TimePoint now,
                                                                      std::string_view after,
                                                                      int limit) {
  limit = std::max(limit, 1);
  const ScriptCall call = ListCall(tenant_id, now, after, limit);
  const base::Result<Reply> reply = co_await client_.EvalAsync(ListScript(), call.keys, call.args);
  co_return Listed(reply, limit);
}

awaitable<base::Result<bool>> RedisSessionStore::RevokeAsync(std::string_view tenant_id,
                                                             std::string_view id) {
  const std::vector<std::string> command = PublicIdCommand(id);
  const base::Result<Reply> found = co_await client_.CommandAsync(command);
  auto hash = IdHash(found);
  if (!hash) co_return std::move(hash).error();
  if (!*hash) co_return false;
  const ScriptCall call = RevokeCall(tenant_id, **hash);
  const base::Result<Reply> reply =
      co_await client_.EvalAsync(DestroyScript(), call.keys, call.args);
  co_return Destroyed(reply);
}

awaitable<base::Result<int64_t>> RedisSessionStore::RevokeAllAsync(std::string_view tenant_id) {
  const ScriptCall call = RevokeAllCall(tenant_id);
  const base::Result<Reply> reply =
      co_await client_.EvalAsync(RevokeAllScript(), call.keys, call.args);
  co_return Count(reply);
}

base::Result<int64_t> RedisSessionStore::PurgeExpired(base::TimePoint) { return int64_t{0}; }

// A user_id of "" names no user (session_store.h): answered without Redis.

base::Result<std::vector<SessionRecord>> RedisSessionStore::ListLiveForUser(
    std::string_view user_id, base::TimePoint now) {
  if (user_id.empty()) return std::vector<SessionRecord>();
  const ScriptCall call = ListForUserCall(user_id, now);
  return ListedForUser(client_.Eval(ListScript(), call.keys, call.args));
}

base::Result<bool> RedisSessionStore::RevokeForUser(std::string_view user_id, std::string_view id) {
  if (user_id.empty()) return false;
  TENANTD_TRY(std::optional<std::string> hash, IdHash(client_.Command(PublicIdCommand(id))));
  if (!hash) return false;
  const ScriptCall call = RevokeForUserCall(user_id, *hash);
  return Destroyed(client_.Eval(DestroyScript(), call.keys, call.args));
}

base::Result<int64_t> RedisSessionStore::RevokeAllForUser(std::string_view user_id,
                                                          std::string_view keep_id_hash) {
  if (user_id.empty()) return int64_t{0};
  const ScriptCall call = RevokeAllForUserCall(user_id, keep_id_hash);
  return Count(client_.Eval(RevokeAllForUserScript(), call.keys, call.args));
}

awaitable<base::Result<std::vector<SessionRecord>>> RedisSessionStore::ListLiveForUserAsync(
    std::string_view user_id, base::TimePoint now) {
  if (user_id.empty()) co_return std::vector<SessionRecord>();
  const ScriptCall call = ListForUserCall(user_id, now);
  const base::Result<Reply> reply = co_await client_.EvalAsync(ListScript(), call.keys, call.args);
  co_return ListedForUser(reply);
}

awaitable<base::Result<bool>> RedisSessionStore::RevokeForUserAsync(std::string_view user_id,
                                                                    std::string_view id) {
  if (user_id.empty()) co_return false;
  const std::vector<std::string> command = PublicIdCommand(id);
  const base::Result<Reply> found = co_await client_.CommandAsync(command);
  auto hash = IdHash(found);
  if (!hash) co_return std::move(hash).error();
  if (!*hash) co_return false;
  const ScriptCall call = RevokeForUserCall(user_id, **hash);
  const base::Result<Reply> reply =
      co_await client_.EvalAsync(DestroyScript(), call.keys, call.args);
  co_return Destroyed(reply);
}

awaitable<base::Result<int64_t>> RedisSessionStore::RevokeAllForUserAsync(
    std::string_view user_id, std::string_view keep_id_hash) {
  if (user_id.empty()) co_return int64_t{0};
  const ScriptCall call = RevokeAllForUserCall(user_id, keep_id_hash);
  const base::Result<Reply> reply =
      co_await client_.EvalAsync(RevokeAllForUserScript(), call.keys, call.args);
  co_return Count(reply);
}

}  // namespace tenantd::session
