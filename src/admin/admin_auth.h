// Platform administration authentication (api.md §3): a Stage that admits
// `Authorization: Bearer <admin token>` and answers 401 otherwise.
#pragma once

#include <string>

#include "http/stage.h"

namespace tenantd::admin {

class AdminAuth : public http::Stage {
 public:
  // `token_sha256` is the raw SHA-256 of the admin token; the token itself is
  // never held in memory by the server.
  explicit AdminAuth(std::string token_sha256) : token_sha256_(std::move(token_sha256)) {}

  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  // Admin answers may carry secrets (app secrets on create): never cache them.
  void OnResponse(const http::RequestContext&, http::Response& res) const override;
  void Describe(http::RouteDoc& doc) const override;

 private:
  std::string token_sha256_;
};

}  // namespace tenantd::admin
