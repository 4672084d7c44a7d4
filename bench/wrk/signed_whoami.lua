-- wrk script: GET /v1/whoami signed afresh for every request (api.md §4,
-- mode B), with a unique X-Nonce so no two requests share a signature.
-- HMAC-SHA256 comes from OpenSSL's libcrypto through LuaJIT's FFI.
-- Environment: TENANTD_APP_KEY, TENANTD_APP_SECRET; KEEP_COOKIE=1 makes each
-- thread send back the session cookie it was given (a client with a cookie
-- jar: one session per thread) instead of ignoring it (a new session per
-- request).
local ffi = require("ffi")
ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *data, size_t data_len,
                    unsigned char *md, unsigned int *md_len);
]]
local ok, crypto = pcall(ffi.load, "crypto")
if not ok then crypto = ffi.load("libcrypto.so.3") end

local app_key = os.getenv("TENANTD_APP_KEY")
local app_secret = os.getenv("TENANTD_APP_SECRET")
local path = "/v1/whoami"
local empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
local md = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")
local counter = 0
local keep_cookie = os.getenv("KEEP_COOKIE") == "1"
local cookie = nil

local function hex(buf, n)
  local out = {}
  for i = 0, n - 1 do out[#out + 1] = string.format("%02x", buf[i]) end
  return table.concat(out)
end

-- Nonces are "<run>-<thread>-<counter>": unique across threads and runs.
local threads_seen = 0
function setup(thread)
  threads_seen = threads_seen + 1
  thread:set("thread_tag", tostring(os.time()) .. "-" .. tostring(threads_seen))
end

function request()
  counter = counter + 1
  local date = os.date("!%a, %d %b %Y %H:%M:%S GMT")
  local nonce = (thread_tag or "t") .. "-" .. counter
  local canonical = "GET\n" .. path .. "\n" .. date .. "\n" .. empty_sha256 .. "\n" .. nonce
  crypto.HMAC(crypto.EVP_sha256(), app_secret, #app_secret, canonical, #canonical, md, md_len)
  local headers = {
    ["X-App-Key"] = app_key,
    ["X-Date"] = date,
    ["X-Content-Sha256"] = empty_sha256,
    ["X-Nonce"] = nonce,
    ["X-App-Signature"] = hex(md, 32),
  }
  if cookie then headers["Cookie"] = cookie end
  return wrk.format("GET", path, headers)
end

if keep_cookie then
  function response(status, headers, body)
    local set_cookie = headers["Set-Cookie"]
    if set_cookie then cookie = set_cookie:match("^(sid=[^;]*)") end
  end
end
