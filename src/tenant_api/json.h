// JSON shapes of the tenant routes.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "control/control_store.h"
#include "http/message.h"
#include "http/stage.h"
#include "session/session_store.h"

namespace tenantd::tenant_api {

inline http::Response JsonResponse(int status, const boost::json::value& v) {
  return http::Response::Json(status, boost::json::serialize(v));
}

// The scopes a principal holds, spelled out (every scope for full access).
boost::json::array ScopesJson(const http::AuthFacts& auth);

// `last_used_at` may be newer than the stored one (uses not yet flushed).
boost::json::object ApiKeyJson(const control::ApiKey& k,
                               std::optional<base::TimePoint> pending_use = std::nullopt);

boost::json::object SessionJson(const session::SessionRecord& s, bool current);

}  // namespace tenantd::tenant_api
