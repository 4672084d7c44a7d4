// Direct upload and download URLs (api.md §14) through the real binary, on
// the local store and on S3 (s3rver, whose front checks every signature):
// upload-url → a PUT with plain curl (presigned S3 URL, or tenantd's own
// one-time URL) → complete → download-url fetched with curl; and the
// attacks: completing missing, short or altered bytes, tampered, reused,
// expired or re-targeted URLs, another tenant's file ids; pending files
// expire and are swept with their bytes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "support/http_client.h"
#include "support/problem.h"
#include "support/s3_server.h"
#include "support/server_clock.h"
#include "support/test_server.h"

#define EXPECT_PROBLEM(r, status, code) EXPECT_TRUE(IsProblem((r), (status), (code)))

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct Tenant {
  std::string id, key;
};

std::string RandomBytes(std::size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xFF);
  return out;
}

Tenant MustCreateTenant(const TestServer& server) {
  Response r = server.CreateTenant(UniqueSlug("dir"), "Direct Tenant");
  if (r.status != 201) throw std::runtime_error("create tenant: " + r.Describe());
  const json::value body = r.Json();
  Response k = server.Request("POST", "/v1/api-keys",
                              {{"X-App-Key", StringAt(body, "credentials.app_key")},
                               {"X-App-Secret", StringAt(body, "credentials.app_secret")},
                               {"Content-Type", "application/json"}},
                              R"({"name":"direct"})");
  if (k.status != 201) throw std::runtime_error("create key: " + k.Describe());
  return {StringAt(body, "tenant.id"), std::string(k.Json().at("secret").as_string())};
}

Response Call(const TestServer& server, const Tenant& t, std::string_view method,
              std::string_view target, std::string_view json_body = {}) {
  Headers h = {{"Authorization", "Bearer " + t.key}};
  if (!json_body.empty()) h.push_back({"Content-Type", "application/json"});
  return server.Request(method, target, h, json_body);
}

// POST /v1/files/upload-url for `bytes`, with their sha256 when `announce`.
json::value MustMakeUploadUrl(const TestServer& server, const Tenant& t, std::string_view bytes,
                              bool announce = true, std::string_view filename = "photo.jpg") {
  json::object in{{"filename", filename}, {"content_type", "image/jpeg"}, {"size", bytes.size()}};
  if (announce) in["sha256"] = crypto::Sha256Hex(bytes);
  Response r = Call(server, t, "POST", "/v1/files/upload-url", json::serialize(in));
  if (r.status != 201) throw std::runtime_error("upload-url: " + r.Describe());
  return r.Json();
}

std::string Absolute(const TestServer& server, std::string_view url) {
  if (url.starts_with("/"))
    return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(url);
  return std::string(url);
}

// curl -X PUT of `bytes` with the headers the server asked for (curl sets
// Content-Length itself); answers the HTTP status.
int CurlPut(const TestServer& server, const json::value& made, std::string_view bytes) {
  const fs::path body = server.root() / "put.bin";
  WriteFile(body, bytes);
  std::vector<std::string> argv = {
      "curl",         "-sS", "-o",  "/dev/null",     "-w",
      "%{http_code}", "-X",  "PUT", "--data-binary", "@" + body.string()};
  for (const auto& [name, value] : made.at("upload").at("headers").as_object()) {
    if (name == "Content-Length") continue;
    argv.push_back("-H");
    argv.push_back(std::string(name) + ": " + std::string(value.as_string()));
  }
  argv.push_back(Absolute(server, made.at("upload").at("url").as_string()));
  const CommandResult r = RunCommand(argv);
  return r.exit_code == 0 ? std::stoi(r.out) : -1;
}

int CurlPutTo(const TestServer& server, const std::string& url, std::string_view bytes) {
  const fs::path body = server.root() / "put.bin";
  WriteFile(body, bytes);
  const CommandResult r = RunCommand({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X",
                                      "PUT", "-H", "Content-Type: image/jpeg", "--data-binary",
                                      "@" + body.string(), Absolute(server, url)});
  return r.exit_code == 0 ? std::stoi(r.out) : -1;
}

struct Fetched {
  int status = -1;
  std::string headers, body;
};
Fetched CurlGet(const TestServer& server, const std::string& url) {
  const fs::path out = server.root() / "got.bin";
  const fs::path head = server.root() / "got.headers";
  const CommandResult r = RunCommand({"curl", "-sS", "-D", head.string(), "-o", out.string(), "-w",
                                      "%{http_code}", Absolute(server, url)});
  Fetched f;
  if (r.exit_code != 0) return f;
  f.status = std::stoi(r.out);
  f.headers = ReadFile(head);
  f.body = ReadFile(out);
  return f;
}

std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  return out;
}

enum class Store { kLocal, kS3 };

class DirectUrls : public ::testing::TestWithParam<Store> {
 protected:
  static void TearDownTestSuite() {
    server_.reset();
    s3_.reset();
  }
  void SetUp() override {
    if (!server_) {
      ServerOptions options;
      if (GetParam() == Store::kS3) {
        s3_ = std::make_unique<S3Server>();
        ASSERT_TRUE(s3_->Start());
        options.env = s3_->TenantdEnv();
      }
      server_ = std::make_unique<TestServer>();
      ASSERT_TRUE(server_->Start(options));
    }
    ASSERT_TRUE(server_->running()) << server_->StderrText();
  }
  // tenantd's own requests to S3 are all signed right (the presigned URLs
  // curl uses are checked by the same front, and a tampered one is meant
  // to fail: those tests clear the record themselves).
  void TearDown() override {
    if (s3_ && !tampered_) {
      EXPECT_EQ(s3_->SigningFailures(), "");
    }
  }
  static TestServer& server() { return *server_; }
  bool on_s3() const { return s3_ != nullptr; }

  inline static std::unique_ptr<TestServer> server_;
  inline static std::unique_ptr<S3Server> s3_;
  inline static bool tampered_ = false;
};

TEST_P(DirectUrls, UploadUrlPutCompleteAndDownloadUrlWithCurl) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(300 * 1024 + 3, 1);
  const json::value made = MustMakeUploadUrl(server(), t, bytes);
  const std::string id = StringAt(made, "file.id");
  EXPECT_EQ(StringAt(made, "file.status"), "pending");
  EXPECT_EQ(StringAt(made, "file.sha256"), crypto::Sha256Hex(bytes));
  EXPECT_EQ(StringAt(made, "upload.method"), "PUT");
  EXPECT_EQ(StringAt(made, "upload.headers.Content-Type"), "image/jpeg");
  EXPECT_TRUE(IsRfc3339Millis(StringAt(made, "upload.expires_at")));
  const std::string url = StringAt(made, "upload.url");
  if (on_s3()) {
    EXPECT_EQ(url.rfind(s3_->url() + "/", 0), 0u) << url;
    EXPECT_NE(url.find("X-Amz-Signature="), std::string::npos) << url;
  } else {
    EXPECT_EQ(url.rfind("/v1/files/" + id + "/content?expires=", 0), 0u) << url;
  }
  // Pending: not a file yet, listed only when asked for.
  EXPECT_PROBLEM(Call(server(), t, "GET", "/v1/files/" + id), 404, "not_found");
  EXPECT_EQ(Call(server(), t, "GET", "/v1/files").Json().at("data").as_array().size(), 0u);
  Response pending = Call(server(), t, "GET", "/v1/files?status=pending");
  ASSERT_EQ(pending.status, 200) << pending.Describe();
  ASSERT_EQ(pending.Json().at("data").as_array().size(), 1u);
  EXPECT_EQ(StringAt(pending.Json(), "data.0.status"), "pending");
  EXPECT_PROBLEM(Call(server(), t, "GET", "/v1/files?status=gone"), 400, "bad_request");

  const int put = CurlPut(server(), made, bytes);
  EXPECT_EQ(put, on_s3() ? 200 : 204);
  Response done = Call(server(), t, "POST", "/v1/files/" + id + "/complete");
  ASSERT_EQ(done.status, 200) << done.Describe();
  EXPECT_EQ(StringAt(done.Json(), "file.status"), "available");
  EXPECT_EQ(StringAt(done.Json(), "file.sha256"), crypto::Sha256Hex(bytes));
  EXPECT_EQ(done.Json().at("file").at("size").as_int64(), static_cast<int64_t>(bytes.size()));
  // Completing again answers the same file.
  Response again = Call(server(), t, "POST", "/v1/files/" + id + "/complete");
  EXPECT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(
      Call(server(), t, "GET", "/v1/files?status=pending").Json().at("data").as_array().size(), 0u);
  Response got = Call(server(), t, "GET", "/v1/files/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_TRUE(got.body == bytes);
  EXPECT_EQ(got.Header("Content-Type"), "image/jpeg");

  Response link = Call(server(), t, "GET", "/v1/files/" + id + "/download-url?expires_in=120");
  ASSERT_EQ(link.status, 200) << link.Describe();
  const std::string download = StringAt(link.Json(), "url");
  if (on_s3()) {
    EXPECT_EQ(download.rfind(s3_->url() + "/", 0), 0u) << download;
  }
  const Fetched fetched = CurlGet(server(), download);
  EXPECT_EQ(fetched.status, 200) << fetched.headers;
  EXPECT_TRUE(fetched.body == bytes);
  EXPECT_NE(fetched.headers.find("filename*=UTF-8''photo.jpg"), std::string::npos)
      << fetched.headers;
  EXPECT_PROBLEM(Call(server(), t, "GET", "/v1/files/" + id + "/download-url?expires_in=0"), 400,
                 "bad_request");
}

TEST_P(DirectUrls, UploadUrlRequestsAreValidated) {
  const Tenant t = MustCreateTenant(server());
  EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/upload-url", R"({"size":3})"), 422,
                 "validation_failed");
  EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/upload-url", R"({"filename":"a"})"), 422,
                 "validation_failed");
  EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/upload-url", R"({"filename":"a","size":-1})"),
                 422, "validation_failed");
  EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/upload-url",
                      R"({"filename":"a","size":1,"sha256":"xyz"})"),
                 422, "validation_failed");
  EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/upload-url",
                      R"({"filename":"a","size":1,"owner":"me"})"),
                 422, "validation_failed");
  // A hostile name stays a display name.
  const json::value made = MustMakeUploadUrl(server(), t, "abc", true, "../../../etc/passwd");
  EXPECT_EQ(StringAt(made, "file.filename"), "passwd");
}

TEST_P(DirectUrls, CompleteRefusesMissingShortOrAlteredBytes) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(1000, 2);
  const json::value made = MustMakeUploadUrl(server(), t, bytes);
  const std::string id = StringAt(made, "file.id");
  EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/" + id + "/complete"), 409, "upload_missing");
  // Fewer bytes than announced: the local URL refuses them; S3 refuses
  // them too (the length is part of the signature).
  const int short_put = CurlPut(server(), made, bytes.substr(0, 999));
  EXPECT_EQ(short_put, on_s3() ? 403 : 400);
  tampered_ = on_s3();
  EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/" + id + "/complete"), 409, "upload_missing");
  // Other bytes of the right size: tenantd's URL checks the announced
  // sha256 at once; S3 stores them, and complete finds them out.
  std::string altered = bytes;
  altered[500] ^= 1;
  const int altered_put = CurlPut(server(), made, altered);
  if (on_s3()) {
    EXPECT_EQ(altered_put, 200);
    EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/" + id + "/complete"), 409,
                   "content_hash_mismatch");
  } else {
    EXPECT_EQ(altered_put, 400);
    EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/" + id + "/complete"), 409,
                   "upload_missing");
  }
  EXPECT_EQ(Call(server(), t, "GET", "/v1/files").Json().at("data").as_array().size(), 0u);
  // The right bytes still complete it (S3: PUT again while the URL lives).
  EXPECT_EQ(CurlPut(server(), made, bytes), on_s3() ? 200 : 204);
  EXPECT_EQ(Call(server(), t, "POST", "/v1/files/" + id + "/complete").status, 200);
}

TEST_P(DirectUrls, UploadUrlsCannotBeTamperedWithOrReused) {
  const Tenant t = MustCreateTenant(server());
  const json::value a = MustMakeUploadUrl(server(), t, "aaaa");
  const json::value b = MustMakeUploadUrl(server(), t, "bbbb");
  const std::string url = StringAt(a, "upload.url");
  // One byte of the signature changed.
  std::string tampered = url;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  tampered_ = true;
  EXPECT_EQ(CurlPutTo(server(), tampered, "aaaa"), 403);
  if (!on_s3()) {
    // a's signature on b's id, and a download link's on the upload route.
    const std::string query = url.substr(url.find('?'));
    const std::string b_id = StringAt(b, "file.id");
    EXPECT_EQ(CurlPutTo(server(), "/v1/files/" + b_id + "/content" + query, "bbbb"), 403);
    Response up = server().Request("PUT", "/v1/files/" + b_id + "/content" + query,
                                   {{"Content-Type", "image/jpeg"}}, "bbbb");
    EXPECT_PROBLEM(up, 403, "invalid_link");
    EXPECT_PROBLEM(server().Request("PUT", "/v1/files/" + b_id + "/content", {}, "bbbb"), 403,
                   "invalid_link");
    // Credentials are no way in either: the route takes the signature only.
    Response with_key = server().Request("PUT", "/v1/files/" + b_id + "/content",
                                         {{"Authorization", "Bearer " + t.key}}, "bbbb");
    EXPECT_PROBLEM(with_key, 403, "invalid_link");
  }
  EXPECT_EQ(CurlPut(server(), a, "aaaa"), on_s3() ? 200 : 204);
  if (!on_s3()) {
    // One time only.
    Response reused = server().Request("PUT", url, {{"Content-Type", "image/jpeg"}}, "aaaa");
    EXPECT_PROBLEM(reused, 409, "upload_url_used");
  }
  EXPECT_EQ(Call(server(), t, "POST", "/v1/files/" + StringAt(a, "file.id") + "/complete").status,
            200);
}

TEST_P(DirectUrls, AnotherTenantCannotCompleteOrLinkTheFile) {
  const Tenant t = MustCreateTenant(server());
  const Tenant other = MustCreateTenant(server());
  const json::value made = MustMakeUploadUrl(server(), t, "mine");
  const std::string id = StringAt(made, "file.id");
  ASSERT_EQ(CurlPut(server(), made, "mine"), on_s3() ? 200 : 204);
  EXPECT_PROBLEM(Call(server(), other, "POST", "/v1/files/" + id + "/complete"), 404, "not_found");
  EXPECT_EQ(
      Call(server(), other, "GET", "/v1/files?status=pending").Json().at("data").as_array().size(),
      0u);
  ASSERT_EQ(Call(server(), t, "POST", "/v1/files/" + id + "/complete").status, 200);
  EXPECT_PROBLEM(Call(server(), other, "GET", "/v1/files/" + id + "/download-url"), 404,
                 "not_found");
  EXPECT_PROBLEM(Call(server(), t, "GET", "/v1/files/fil_nope/download-url"), 404, "not_found");
}

INSTANTIATE_TEST_SUITE_P(Stores, DirectUrls, ::testing::Values(Store::kLocal, Store::kS3),
                         [](const ::testing::TestParamInfo<Store>& info) {
                           return info.param == Store::kLocal ? "Local" : "S3";
                         });

// Expiry moves the server's clock, so these run on servers of their own.
TEST(DirectUrlExpiry, LocalUrlsExpireAndPendingFilesAreSweptWithTheirBytes) {
  ServerClock clock;
  TestServer server;
  ASSERT_TRUE(server.Start({.env = clock.env()}));
  const Tenant t = MustCreateTenant(server);
  const json::value unused = MustMakeUploadUrl(server, t, "late");
  const json::value put = MustMakeUploadUrl(server, t, "sent");
  ASSERT_EQ(CurlPut(server, put, "sent"), 204);
  const fs::path uploads = server.data_dir() / "storage" / "uploads" / t.id;
  EXPECT_EQ(FilesUnder(uploads).size(), 1u);
  Response link = Call(server, t, "POST", "/v1/files/upload-url", R"({"filename":"x","size":1})");
  ASSERT_EQ(link.status, 201);
  clock.Advance(std::chrono::minutes(16));
  Response expired = server.Request("PUT", StringAt(unused, "upload.url"), {}, "late");
  EXPECT_PROBLEM(expired, 403, "link_expired");
  EXPECT_PROBLEM(Call(server, t, "POST", "/v1/files/" + StringAt(put, "file.id") + "/complete"),
                 404, "not_found");
  EXPECT_EQ(Call(server, t, "GET", "/v1/files?status=pending").Json().at("data").as_array().size(),
            0u);
  // Housekeeping removes the rows and the bytes that did arrive.
  EXPECT_TRUE(PollUntil([&] { return FilesUnder(uploads).empty(); }, 20s));
  // A download URL expires too.
  const json::value made = MustMakeUploadUrl(server, t, "kept");
  ASSERT_EQ(CurlPut(server, made, "kept"), 204);
  const std::string id = StringAt(made, "file.id");
  ASSERT_EQ(Call(server, t, "POST", "/v1/files/" + id + "/complete").status, 200);
  Response dl = Call(server, t, "GET", "/v1/files/" + id + "/download-url?expires_in=60");
  const std::string url = StringAt(dl.Json(), "url");
  EXPECT_EQ(server.Request("GET", url).body, "kept");
  clock.Advance(std::chrono::seconds(61));
  EXPECT_PROBLEM(server.Request("GET", url), 403, "link_expired");
}

TEST(DirectUrlExpiry, PendingObjectsOnS3AreSweptWhenTheirUrlExpires) {
  S3Server s3;
  ASSERT_TRUE(s3.Start());
  ServerClock clock;
  TestServer server;
  Env env = clock.env();
  for (auto& var : s3.TenantdEnv()) env.push_back(std::move(var));
  ASSERT_TRUE(server.Start({.env = env}));
  const Tenant t = MustCreateTenant(server);
  const json::value made = MustMakeUploadUrl(server, t, "object bytes");
  ASSERT_EQ(CurlPut(server, made, "object bytes"), 200);
  const std::string prefix = "tenant-" + t.id + "/";
  EXPECT_EQ(s3.Keys(prefix).size(), 1u);
  clock.Advance(std::chrono::minutes(16));
  EXPECT_PROBLEM(Call(server, t, "POST", "/v1/files/" + StringAt(made, "file.id") + "/complete"),
                 404, "not_found");
  EXPECT_TRUE(PollUntil([&] { return s3.Keys(prefix).empty(); }, 20s));
  EXPECT_EQ(s3.SigningFailures(), "");
}

}  // namespace
}  // namespace tenantd::test
