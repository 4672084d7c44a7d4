-- wrk script: GET /v1/whoami signed afresh for every request (api.md §4,
-- mode B), with a unique X-Nonce so no two requests share a signature.
-- HMAC-SHA256 comes from OpenSSL's libcrypto through LuaJIT's FFI.
-- Environment: TENANTD_APP_KEY, TENANTD_APP_SECRET; SESSION_COOKIE
-- ("sid=…", from an earlier signed request) is sent with every request when
-- set, as by a client with a cookie jar; without it every request starts a
-- new session.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

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
local cookie = os.getenv("SESSION_COOKIE")
if cookie == "" then cookie = nil end

-- Hex through an FFI buffer: wrk shares the CPUs with the server, so the
-- client's own cost per request is kept small (LuaJIT compiles this loop).
local digits = ffi.new("const char[17]", "0123456789abcdef")
local hex_buf = ffi.new("char[64]")
local function hex(buf, n)
  for i = 0, n - 1 do
    hex_buf[2 * i] = digits[bit.rshift(buf[i], 4)]
    hex_buf[2 * i + 1] = digits[bit.band(buf[i], 15)]
  end
  return ffi.string(hex_buf, 2 * n)
end

-- X-Date has one-second resolution: format it once a second.
local last_second, last_date = -1, nil
local function now_date()
  local t = os.time()
  if t ~= last_second then
    last_second, last_date = t, os.date("!%a, %d %b %Y %H:%M:%S GMT", t)
  end
  return last_date
end

-- Nonces are "<run>-<thread>-<counter>": unique across threads and runs.
local threads_seen = 0
function setup(thread)
  threads_seen = threads_seen + 1
  thread:set("thread_tag", tostring(os.time()) .. "-" .. tostring(threads_seen))
end

function request()
  counter = counter + 1
  local date = now_date()
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

