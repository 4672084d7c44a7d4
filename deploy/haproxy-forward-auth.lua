-- tenantd in front of an existing service with haproxy (docs/forward-auth.md).
--
-- Debian 12's haproxy (2.6) is built with Lua, and Lua's core.httpclient()
-- can call an HTTP service while a request waits, so no SPOE agent or extra
-- library is needed. Load this file from haproxy.cfg (see
-- haproxy-forward-auth.cfg):
--     global
--         lua-load /etc/haproxy/tenantd-forward-auth.lua
--     frontend ...
--         http-request lua.tenantd_check
--
-- The action describes the request to tenantd's /auth/v1/check and leaves
-- the verdict in variables the configuration acts on:
--   txn.tenantd_status  tenantd's status (0 when it did not answer)
--   txn.tenantd_body    its problem+json on a refusal
--   txn.tenantd_retry_after, txn.tenantd_cookie
--   txn.tenantd_request_id  the request id tenantd logged (also sent upstream)
-- On 200 the request carries tenantd's identity headers; a client's own
-- copies of them are removed in every case.

-- Where tenantd listens; its TENANTD_TRUSTED_PROXIES must list this haproxy.
local CHECK_URL = "http://127.0.0.1:8080/auth/v1/check"
local TIMEOUT_MS = 2000

-- The client headers tenantd judges (credentials and what names a tenant).
local FORWARDED = {
  "authorization", "cookie", "x-app-key", "x-app-secret", "x-app-signature", "x-date",
  "x-content-sha256", "x-nonce", "x-tenant-id", "user-agent",
}

-- What the service receives from tenantd, and never from a client.
local IDENTITY = {
  "x-tenant-id", "x-tenant-slug", "x-tenant-plan", "x-auth-mode", "x-auth-key-id",
  "x-user-id", "x-user-role", "x-scopes", "x-content-sha256-unverified", "x-tenantd-token",
}

-- haproxy's header tables map a lower-case name to its values, indexed from 0.
local function values_of(headers, name)
  local list = {}
  local values = headers[name]
  if values then
    for i = 0, #values do
      if values[i] ~= nil then list[#list + 1] = values[i] end
    end
  end
  return list
end

core.register_action("tenantd_check", { "http-req" }, function(txn)
  local client = txn.http:req_get_headers()
  local request_id = txn.sf:uuid()
  txn:set_var("txn.tenantd_request_id", request_id)
  local headers = {
    ["x-original-method"] = { txn.sf:method() },
    ["x-original-uri"] = { txn.sf:pathq() },
    ["x-forwarded-for"] = { txn.sf:src() },
    -- ssl_fc is a boolean fetch, which Lua receives as 0 or 1 (0 is true in Lua).
    ["x-forwarded-proto"] = { (txn.sf:ssl_fc() == 1 or txn.sf:ssl_fc() == true) and "https" or "http" },
    ["x-request-id"] = { request_id },
  }
  local host = values_of(client, "host")[1]
  if host then headers["x-forwarded-host"] = { host } end
  local scope = txn:get_var("txn.tenantd_scope")
  if scope and scope ~= "" then headers["x-required-scope"] = { scope } end
  for _, name in ipairs(FORWARDED) do
    local list = values_of(client, name)
    if #list > 0 then headers[name] = list end
  end
  for _, name in ipairs(IDENTITY) do txn.http:req_del_header(name) end
  txn.http:req_set_header("x-request-id", request_id)

  local res = core.httpclient():get{ url = CHECK_URL, headers = headers, timeout = TIMEOUT_MS }
  local status = (res and res.status) or 0
  txn:set_var("txn.tenantd_status", status)
  if status == 0 then return end
  local answer = res.headers or {}
  if status == 200 then
    for _, name in ipairs(IDENTITY) do
      local value = values_of(answer, name)[1]
      if value then txn.http:req_set_header(name, value) end
    end
    local cookie = values_of(answer, "set-cookie")[1]
    if cookie then txn:set_var("txn.tenantd_cookie", cookie) end
  else
    txn:set_var("txn.tenantd_body", res.body or "")
    local retry = values_of(answer, "retry-after")[1]
    if retry then txn:set_var("txn.tenantd_retry_after", retry) end
  end
end, 0)
