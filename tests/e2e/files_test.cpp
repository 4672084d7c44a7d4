// Files through the real binary (api.md §6): streaming uploads (raw and
// multipart, curl -F included), byte-exact downloads, every Range form,
// conditional requests, curl -C - resuming, presigned links, limits and
// quotas, hash checks, traversal names, isolation between tenants,
// nothing left behind by aborted, refused or crashed uploads, and public
// files (api.md §14): published, served without credentials, withdrawn at
// once, limited per client IP.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "crypto/crypto.h"
#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/png.h"
#include "support/problem.h"
#include "support/s3_server.h"
#include "support/server_clock.h"
#include "support/test_server.h"

// EXPECT_PROBLEM(response, status, code): IsProblem with the answer in the message.
#define EXPECT_PROBLEM(r, status, code) EXPECT_TRUE(IsProblem((r), (status), (code)))

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct Tenant {
  std::string id, app_key, app_secret, key, slug;
};

std::string RandomBytes(std::size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xFF);
  return out;
}

Tenant MustCreateTenant(const TestServer& server, std::string_view extra = {}) {
  Response r = server.CreateTenant(UniqueSlug("fil"), "Files Tenant", extra);
  if (r.status != 201) throw std::runtime_error("create tenant: " + r.Describe());
  const json::value body = r.Json();
  Tenant t{StringAt(body, "tenant.id"), StringAt(body, "credentials.app_key"),
           StringAt(body, "credentials.app_secret"), "", StringAt(body, "tenant.slug")};
  Response k = server.Request("POST", "/v1/api-keys",
                              {{"X-App-Key", t.app_key},
                               {"X-App-Secret", t.app_secret},
                               {"Content-Type", "application/json"}},
                              R"({"name":"files"})");
  if (k.status != 201) throw std::runtime_error("create key: " + k.Describe());
  t.key = std::string(k.Json().at("secret").as_string());
  return t;
}

Response Call(const TestServer& server, const Tenant& t, std::string_view method,
              std::string_view target, Headers extra = {}, std::string_view body = {}) {
  Headers h = {{"Authorization", "Bearer " + t.key}};
  for (auto& e : extra) h.push_back(std::move(e));
  return server.Request(method, target, h, body);
}

Response Upload(const TestServer& server, const Tenant& t, std::string_view bytes,
                std::string_view filename = "data.bin", Headers extra = {}) {
  Headers h = {{"Content-Type", "application/octet-stream"}, {"X-Filename", std::string(filename)}};
  for (auto& e : extra) h.push_back(std::move(e));
  return Call(server, t, "POST", "/v1/files", h, bytes);
}

std::string MustUpload(const TestServer& server, const Tenant& t, std::string_view bytes,
                       std::string_view filename = "data.bin") {
  Response r = Upload(server, t, bytes, filename);
  if (r.status != 201) throw std::runtime_error("upload: " + r.Describe());
  return StringAt(r.Json(), "file.id");
}

// Every regular file below `dir` (none when it does not exist).
std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  return out;
}

std::size_t ListedFiles(const TestServer& server, const Tenant& t) {
  Response r = Call(server, t, "GET", "/v1/files?limit=500");
  if (r.status != 200) throw std::runtime_error("list: " + r.Describe());
  return r.Json().at("data").as_array().size();
}

// PATCH /v1/files/{id} with `body`.
Response SetPublic(const TestServer& server, const Tenant& t, std::string_view id,
                   std::string_view body) {
  return Call(server, t, "PATCH", "/v1/files/" + std::string(id),
              {{"Content-Type", "application/json"}}, body);
}

// Publishes the file and answers its public_url.
std::string MustPublish(const TestServer& server, const Tenant& t, std::string_view id) {
  Response r = SetPublic(server, t, id, R"({"public":true})");
  if (r.status != 200) throw std::runtime_error("publish: " + r.Describe());
  return StringAt(r.Json(), "file.public_url");
}

// The shared server's clock, moved by the tests of link expiry.
ServerClock& FilesClock() {
  static ServerClock clock;
  return clock;
}

// The suite runs twice: on the local blob store and on S3 (a real
// S3-protocol server, support/s3_server.h, whose front checks each of
// tenantd's signatures). One server per store, shared by the tests of a
// process.
enum class Store { kLocal, kS3 };

class Files : public ::testing::TestWithParam<Store> {
 protected:
  static void TearDownTestSuite() {
    server_.reset();
    s3_.reset();
  }

  void SetUp() override {
    if (!server_) {
      ServerOptions options{.env = FilesClock().env()};
      if (GetParam() == Store::kS3) {
        s3_ = std::make_unique<S3Server>();
        ASSERT_TRUE(s3_->Start());
        for (auto& var : s3_->TenantdEnv()) options.env.push_back(std::move(var));
      }
      server_ = std::make_unique<TestServer>();
      ASSERT_TRUE(server_->Start(options));
    }
    ASSERT_TRUE(server_->running()) << server_->StderrText();
  }
  void TearDown() override {
    if (s3_) {
      EXPECT_EQ(s3_->SigningFailures(), "");
    }
  }

  static TestServer& server() { return *server_; }
  fs::path Tmp() const { return server().data_dir() / "storage" / "tmp"; }

  // The storage keys ("yyyy/mm/dd/fil_…") of the tenant's stored bytes,
  // wherever the store keeps them.
  std::vector<std::string> StoredKeys(const Tenant& t) const {
    std::vector<std::string> keys;
    if (s3_) {
      const std::string prefix = "tenant-" + t.id + "/";
      for (const std::string& k : s3_->Keys(prefix)) keys.push_back(k.substr(prefix.size()));
      return keys;
    }
    const fs::path dir = server().data_dir() / "storage" / "uploads" / t.id;
    for (const fs::path& p : FilesUnder(dir)) keys.push_back(fs::relative(p, dir).string());
    return keys;
  }
  // The last component of every stored blob's name, of every tenant.
  std::vector<std::string> AllStoredNames() const {
    std::vector<std::string> names;
    if (s3_) {
      for (const std::string& k : s3_->Keys("")) names.push_back(k.substr(k.rfind('/') + 1));
      return names;
    }
    for (const fs::path& p : FilesUnder(server().data_dir() / "storage" / "uploads")) {
      names.push_back(p.filename().string());
    }
    return names;
  }
  // Nothing of an unfinished upload is left: no temporary file, no
  // multipart upload.
  bool NoUnfinishedUploads() const {
    return FilesUnder(Tmp()).empty() && (!s3_ || s3_->PendingMultipartUploads() == 0);
  }

  inline static std::unique_ptr<TestServer> server_;
  inline static std::unique_ptr<S3Server> s3_;
};

TEST_P(Files, UploadsAndDownloadsByteExactAtZeroOneAnd64MiB) {
  const Tenant t = MustCreateTenant(server());
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{64} << 20}) {
    SCOPED_TRACE("size " + std::to_string(size));
    const std::string bytes = RandomBytes(size, static_cast<uint32_t>(size + 7));
    Response up = Upload(server(), t, bytes, "blob.bin");
    ASSERT_EQ(up.status, 201) << up.Describe();
    const json::value file = up.Json().at("file");
    EXPECT_EQ(file.at("size").as_int64(), static_cast<int64_t>(size));
    EXPECT_EQ(file.at("sha256").as_string(), crypto::Sha256Hex(bytes));
    EXPECT_EQ(file.at("filename").as_string(), "blob.bin");
    EXPECT_EQ(file.at("content_type").as_string(), "application/octet-stream");
    const std::string id(file.at("id").as_string());
    EXPECT_EQ(up.Header("Location"), "/v1/files/" + id);

    // 64 MiB through the sanitizer build (and s3rver) on a busy machine:
    // more than the usual 10 s for the whole answer.
    Response down = Send(server().port(), "GET", "/v1/files/" + id,
                         {{"Authorization", "Bearer " + t.key}}, {}, std::chrono::seconds(60));
    ASSERT_EQ(down.status, 200) << down.Describe();
    EXPECT_TRUE(down.body == bytes) << "downloaded bytes differ";
    EXPECT_EQ(down.Header("Content-Length"), std::to_string(size));
    EXPECT_EQ(down.Header("ETag"), "\"" + crypto::Sha256Hex(bytes) + "\"");
    EXPECT_EQ(down.Header("Accept-Ranges"), "bytes");
    EXPECT_FALSE(down.Header("Last-Modified").empty());
    EXPECT_EQ(down.Header("Content-Disposition"),
              "attachment; filename=\"blob.bin\"; filename*=UTF-8''blob.bin");

    Response head =
        server().Request("HEAD", "/v1/files/" + id, {{"Authorization", "Bearer " + t.key}});
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.Header("Content-Length"), std::to_string(size));
    EXPECT_TRUE(head.body.empty());
  }
  // The bytes sit where api.md §6 and §14 say, under the file id.
  const auto stored = StoredKeys(t);
  ASSERT_EQ(stored.size(), 3u);
  for (const std::string& key : stored) {
    EXPECT_TRUE(key.substr(11).starts_with("fil_")) << key;
    EXPECT_EQ(key.find('/', 11), std::string::npos) << "not yyyy/mm/dd/<id>: " << key;
  }
}

TEST_P(Files, AcceptsAMultipartUploadMadeByCurl) {
  const Tenant t = MustCreateTenant(server());
  const fs::path file = server().root() / "report 2026.csv";
  const std::string bytes = RandomBytes(300 * 1024, 3) + "\r\n--boundary-lookalike\r\n";
  WriteFile(file, bytes);
  CommandResult r = RunCommand(
      {"curl", "-s", "--max-time", "20", "-H", "Authorization: Bearer " + t.key, "-F", "note=hello",
       "-F", "file=@" + file.string() + ";type=text/csv", "-w", "\n%{http_code}",
       "http://127.0.0.1:" + std::to_string(server().port()) + "/v1/files"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.out.ends_with("\n201")) << r.out;
  const json::value body = json::parse(r.out.substr(0, r.out.rfind('\n')));
  EXPECT_EQ(StringAt(body, "file.filename"), "report 2026.csv");
  EXPECT_EQ(StringAt(body, "file.content_type"), "text/csv");
  EXPECT_EQ(StringAt(body, "file.sha256"), crypto::Sha256Hex(bytes));
  Response down = Call(server(), t, "GET", "/v1/files/" + StringAt(body, "file.id"));
  ASSERT_EQ(down.status, 200);
  EXPECT_TRUE(down.body == bytes);
  EXPECT_EQ(down.Header("Content-Type"), "text/csv");
}

TEST_P(Files, ServesEachRangeFormAnd416) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(1000, 11);
  const std::string id = MustUpload(server(), t, bytes);
  const std::string target = "/v1/files/" + id;
  struct Case {
    std::string range;
    std::size_t first, last;
  };
  for (const Case& c :
       {Case{"bytes=0-9", 0, 9}, Case{"bytes=990-", 990, 999}, Case{"bytes=-5", 995, 999},
        Case{"bytes=100-5000", 100, 999}, Case{"bytes=-5000", 0, 999}}) {
    SCOPED_TRACE(c.range);
    Response r = Call(server(), t, "GET", target, {{"Range", c.range}});
    ASSERT_EQ(r.status, 206) << r.Describe();
    EXPECT_EQ(r.Header("Content-Range"),
              "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/1000");
    EXPECT_TRUE(r.body == bytes.substr(c.first, c.last - c.first + 1));
  }
  for (const std::string range : {"bytes=1000-", "bytes=5000-6000", "bytes=-0"}) {
    SCOPED_TRACE(range);
    Response r = Call(server(), t, "GET", target, {{"Range", range}});
    EXPECT_EQ(r.status, 416) << r.Describe();
    EXPECT_EQ(r.Header("Content-Range"), "bytes */1000");
    EXPECT_PROBLEM(r, 416, "range_not_satisfiable");
  }
  // Several ranges, or a malformed one, answer the whole file (docs/api.md).
  for (const std::string range : {"bytes=0-1,5-6", "bytes=9-2", "lines=1-2"}) {
    Response r = Call(server(), t, "GET", target, {{"Range", range}});
    EXPECT_EQ(r.status, 200) << range;
    EXPECT_TRUE(r.body == bytes) << range;
  }
}

TEST_P(Files, HonoursIfNoneMatchAndIfRange) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(500, 12);
  const std::string id = MustUpload(server(), t, bytes);
  const std::string target = "/v1/files/" + id;
  Response full = Call(server(), t, "GET", target);
  const std::string etag = full.Header("ETag");
  const std::string last_modified = full.Header("Last-Modified");

  Response not_modified = Call(server(), t, "GET", target, {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  EXPECT_EQ(not_modified.Header("ETag"), etag);
  EXPECT_EQ(Call(server(), t, "GET", target, {{"If-None-Match", "W/" + etag}}).status, 304);
  EXPECT_EQ(Call(server(), t, "GET", target, {{"If-None-Match", "\"other\""}}).status, 200);

  Response same = Call(server(), t, "GET", target, {{"Range", "bytes=0-9"}, {"If-Range", etag}});
  EXPECT_EQ(same.status, 206);
  Response by_date =
      Call(server(), t, "GET", target, {{"Range", "bytes=0-9"}, {"If-Range", last_modified}});
  EXPECT_EQ(by_date.status, 206);
  Response changed =
      Call(server(), t, "GET", target, {{"Range", "bytes=0-9"}, {"If-Range", "\"0123\""}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_TRUE(changed.body == bytes);
  Response weak =
      Call(server(), t, "GET", target, {{"Range", "bytes=0-9"}, {"If-Range", "W/" + etag}});
  EXPECT_EQ(weak.status, 200) << "If-Range needs a strong validator";
}

TEST_P(Files, CurlResumesAnInterruptedDownload) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(3 * 1024 * 1024 + 17, 13);
  const std::string id = MustUpload(server(), t, bytes);
  const fs::path out = server().root() / "resumed.bin";
  WriteFile(out, bytes.substr(0, 1234567));  // what an interrupted download left
  CommandResult r =
      RunCommand({"curl", "-s", "--max-time", "20", "-C", "-", "-o", out.string(), "-H",
                  "Authorization: Bearer " + t.key, "-w", "%{http_code}",
                  "http://127.0.0.1:" + std::to_string(server().port()) + "/v1/files/" + id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "206");
  EXPECT_TRUE(ReadFile(out) == bytes) << "the resumed file differs";
}

TEST_P(Files, AnAbortedUploadLeavesNothing) {
  const Tenant t = MustCreateTenant(server());
  {
    Connection c(server().port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Write("POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.key +
                        "\r\nContent-Type: application/octet-stream\r\nX-Filename: a.bin\r\n"
                        "Content-Length: 10000000\r\n\r\n"));
    // More than a part (8 MiB): on S3 a multipart upload is under way.
    ASSERT_TRUE(c.Write(RandomBytes(9 * 1024 * 1024, 14)));
  }  // closed mid-body
  // The server notices the close, discards the upload and logs nothing stored.
  ASSERT_TRUE(PollUntil([&] { return NoUnfinishedUploads(); }, 5s));
  EXPECT_EQ(ListedFiles(server(), t), 0u);
  EXPECT_TRUE(StoredKeys(t).empty());
}

TEST_P(Files, StoresTraversalAndHostileNamesSafely) {
  const Tenant t = MustCreateTenant(server());
  struct Case {
    std::string sent, stored;
  };
  for (const Case& c :
       {Case{"../../etc/passwd", "passwd"}, Case{"a/b", "b"}, Case{"..\\..\\boot.ini", "boot.ini"},
        Case{"..", "file"}, Case{"UTF-8''%2E%2E%2Fcaf%C3%A9.txt", "caf\xC3\xA9.txt"}}) {
    SCOPED_TRACE(c.sent);
    Response r = Upload(server(), t, "x", c.sent);
    ASSERT_EQ(r.status, 201) << r.Describe();
    EXPECT_EQ(StringAt(r.Json(), "file.filename"), c.stored);
  }
  Response long_name = Upload(server(), t, "x", std::string(10 * 1024, 'n'));
  ASSERT_EQ(long_name.status, 201) << long_name.Describe();
  EXPECT_EQ(StringAt(long_name.Json(), "file.filename"), std::string(255, 'n'));

  // A NUL cannot travel in a header; in a multipart filename it is dropped.
  const std::string boundary = "xYz123";
  const std::string body =
      "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a" +
      std::string(1, '\0') + "b\x01.txt\"\r\n\r\nhello\r\n--" + boundary + "--\r\n";
  Response nul = Call(server(), t, "POST", "/v1/files",
                      {{"Content-Type", "multipart/form-data; boundary=" + boundary}}, body);
  ASSERT_EQ(nul.status, 201) << nul.Describe();
  EXPECT_EQ(StringAt(nul.Json(), "file.filename"), "ab.txt");

  // Nothing landed outside the tenant's uploads, and every stored name is an id.
  EXPECT_FALSE(fs::exists(server().data_dir() / "etc"));
  EXPECT_FALSE(fs::exists(server().data_dir() / "storage" / "etc"));
  for (const std::string& name : AllStoredNames()) {
    EXPECT_TRUE(name.starts_with("fil_")) << name;
  }
  Response down = Call(server(), t, "GET", "/v1/files/" + StringAt(long_name.Json(), "file.id"));
  EXPECT_TRUE(down.Header("Content-Disposition").starts_with("attachment; filename=\"nnn"));
}

TEST_P(Files, PresignedLinkDownloadsWithoutCredentialsUntilItExpires) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(4096, 15);
  const std::string id = MustUpload(server(), t, bytes);
  const std::string other = MustUpload(server(), t, "other");
  Response made = Call(server(), t, "POST", "/v1/files/" + id + "/links",
                       {{"Content-Type", "application/json"}}, R"({"expires_in":60})");
  ASSERT_EQ(made.status, 201) << made.Describe();
  const std::string url = StringAt(made.Json(), "url");
  ASSERT_TRUE(url.starts_with("/v1/files/" + id + "?expires=")) << url;

  Response down = server().Request("GET", url);
  ASSERT_EQ(down.status, 200) << down.Describe();
  EXPECT_TRUE(down.body == bytes);
  EXPECT_FALSE(down.HasHeader("Set-Cookie"));
  Response range = server().Request("GET", url, {{"Range", "bytes=0-0"}});
  EXPECT_EQ(range.status, 206);

  // Edited: another file, another expiry, a flipped signature character.
  std::string other_file = url;
  other_file.replace(std::string("/v1/files/").size(), id.size(), other);
  EXPECT_PROBLEM(server().Request("GET", other_file), 403, "invalid_link");
  const std::size_t e = url.find("expires=") + 8;
  std::string later = url;
  later.replace(e, url.find('&') - e, "99999999999");
  EXPECT_PROBLEM(server().Request("GET", later), 403, "invalid_link");
  // Issue 12: the same expiry spelt with a leading zero is not the link.
  std::string padded = url;
  padded.insert(e, "0");
  EXPECT_PROBLEM(server().Request("GET", padded), 403, "invalid_link");
  std::string flipped = url;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_PROBLEM(server().Request("GET", flipped), 403, "invalid_link");
  // Only downloads: the same query on DELETE is no credential at all.
  EXPECT_EQ(server().Request("DELETE", url).status, 401);
  EXPECT_EQ(Call(server(), t, "GET", "/v1/files/" + id).status, 200);

  Response short_lived = Call(server(), t, "POST", "/v1/files/" + id + "/links",
                              {{"Content-Type", "application/json"}}, R"({"expires_in":1})");
  ASSERT_EQ(short_lived.status, 201);
  const std::string expiring = StringAt(short_lived.Json(), "url");
  FilesClock().Advance(2100ms);
  EXPECT_PROBLEM(server().Request("GET", expiring), 403, "link_expired");

  EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files/" + id + "/links",
                      {{"Content-Type", "application/json"}}, R"({"expires_in":0})"),
                 422, "validation_failed");
}

TEST_P(Files, AnotherTenantCannotReadDeleteOrLinkTheFile) {
  const Tenant a = MustCreateTenant(server());
  const Tenant b = MustCreateTenant(server());
  const std::string id = MustUpload(server(), a, "secret plans");
  EXPECT_PROBLEM(Call(server(), b, "GET", "/v1/files/" + id), 404, "not_found");
  EXPECT_PROBLEM(Call(server(), b, "DELETE", "/v1/files/" + id), 404, "not_found");
  EXPECT_PROBLEM(Call(server(), b, "POST", "/v1/files/" + id + "/links",
                      {{"Content-Type", "application/json"}}, "{}"),
                 404, "not_found");
  EXPECT_EQ(ListedFiles(server(), b), 0u);
  Response still = Call(server(), a, "GET", "/v1/files/" + id);
  EXPECT_EQ(still.status, 200);
  EXPECT_EQ(still.body, "secret plans");
}

TEST_P(Files, DeleteRemovesTheBytes) {
  const Tenant t = MustCreateTenant(server());
  const std::string id = MustUpload(server(), t, "bye");
  ASSERT_EQ(StoredKeys(t).size(), 1u);
  EXPECT_EQ(Call(server(), t, "DELETE", "/v1/files/" + id).status, 204);
  EXPECT_TRUE(StoredKeys(t).empty());
  EXPECT_PROBLEM(Call(server(), t, "GET", "/v1/files/" + id), 404, "not_found");
  EXPECT_PROBLEM(Call(server(), t, "DELETE", "/v1/files/" + id), 404, "not_found");
}

TEST_P(Files, ListPagesInCreationOrder) {
  const Tenant t = MustCreateTenant(server());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(MustUpload(server(), t, std::to_string(i)));
  std::vector<std::string> seen;
  std::string target = "/v1/files?limit=2";
  for (int page = 0; page < 5; ++page) {
    Response r = Call(server(), t, "GET", target);
    ASSERT_EQ(r.status, 200) << r.Describe();
    const json::value body = r.Json();
    for (const auto& f : body.at("data").as_array()) seen.emplace_back(f.at("id").as_string());
    if (body.at("next_cursor").is_null()) break;
    target = "/v1/files?limit=2&after=" + std::string(body.at("next_cursor").as_string());
  }
  EXPECT_EQ(seen, ids);
}

TEST_P(Files, RefusesWrongTypesScopesAndHashes) {
  const Tenant t = MustCreateTenant(server());
  EXPECT_PROBLEM(
      Call(server(), t, "POST", "/v1/files", {{"Content-Type", "application/json"}}, "{}"), 415,
      "unsupported_media_type");
  EXPECT_PROBLEM(
      Call(server(), t, "POST", "/v1/files", {{"Content-Type", "multipart/form-data; boundary=b"}},
           "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nx\r\n--b--\r\n"),
      422, "validation_failed");
  EXPECT_PROBLEM(Call(server(), t, "POST", "/v1/files",
                      {{"Content-Type", "multipart/form-data; boundary=b"}}, "--b\r\nbroken"),
                 400, "bad_request");
  // A client-side checksum that does not match stores nothing.
  EXPECT_PROBLEM(Upload(server(), t, "payload", "p.bin",
                        {{"X-Content-Sha256", crypto::Sha256Hex("something else")}}),
                 400, "content_hash_mismatch");
  Response ok =
      Upload(server(), t, "payload", "p.bin", {{"X-Content-Sha256", crypto::Sha256Hex("payload")}});
  EXPECT_EQ(ok.status, 201) << ok.Describe();
  EXPECT_EQ(ListedFiles(server(), t), 1u);

  Response k = server().Request("POST", "/v1/api-keys",
                                {{"X-App-Key", t.app_key},
                                 {"X-App-Secret", t.app_secret},
                                 {"Content-Type", "application/json"}},
                                R"({"name":"ro","type":"restricted","scopes":["files:read"]})");
  ASSERT_EQ(k.status, 201);
  const Tenant reader{t.id, t.app_key, t.app_secret, std::string(k.Json().at("secret").as_string()),
                      t.slug};
  EXPECT_PROBLEM(Upload(server(), reader, "x"), 403, "insufficient_scope");
  EXPECT_EQ(Call(server(), reader, "GET", "/v1/files").status, 200);
  EXPECT_PROBLEM(
      server().Request("POST", "/v1/files", {{"Content-Type", "application/octet-stream"}}, "x"),
      401, "missing_credentials");
}

TEST_P(Files, SignedUploadsAreCheckedAgainstTheSignedHash) {
  const Tenant t = MustCreateTenant(server());
  // The server's clock may have been moved (link expiry): sign with its time.
  const auto server_now = [] { return std::chrono::system_clock::now() + FilesClock().offset(); };
  auto signed_upload = [&](const std::string& body, const std::string& claimed,
                           std::chrono::seconds later = 0s) {
    const std::string date = base::FormatImfFixdate(server_now() + later);
    const std::string canonical = "POST\n/v1/files\n" + date + "\n" + claimed;
    return server().Request(
        "POST", "/v1/files",
        {{"X-App-Key", t.app_key},
         {"X-Date", date},
         {"X-Content-Sha256", claimed},
         {"X-App-Signature", crypto::HexEncode(crypto::HmacSha256(t.app_secret, canonical))},
         {"Content-Type", "application/octet-stream"},
         {"X-Filename", "signed.bin"}},
        body);
  };
  const std::string body = RandomBytes(100000, 16);
  Response good = signed_upload(body, crypto::Sha256Hex(body));
  EXPECT_EQ(good.status, 201) << good.Describe();
  // Another X-Date (a second on, well within the allowed skew): a new
  // signature, not a replay of the first.
  Response tampered = signed_upload(body + "!", crypto::Sha256Hex(body), 1s);
  EXPECT_PROBLEM(tampered, 401, "content_hash_mismatch");
  EXPECT_EQ(ListedFiles(server(), t), 1u);
  EXPECT_TRUE(PollUntil([&] { return NoUnfinishedUploads(); }, 5s));
}

// Issue 12, defect 6: for multipart, X-Content-Sha256 is the hash of the body
// as sent, framing included, so the part's filename and type are signed too.
TEST_P(Files, SignedMultipartUploadsCoverTheWholeBody) {
  const Tenant t = MustCreateTenant(server());
  auto multipart = [](std::string_view filename) {
    return "--sig\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
           std::string(filename) +
           "\"\r\nContent-Type: text/plain\r\n\r\nsigned bytes\r\n--sig--\r\n";
  };
  auto signed_upload = [&](const std::string& body, const std::string& claimed,
                           std::string_view nonce) {
    const std::string date = base::FormatImfFixdate(std::chrono::system_clock::now());
    const std::string canonical =
        "POST\n/v1/files\n" + date + "\n" + claimed + "\n" + std::string(nonce);
    return server().Request(
        "POST", "/v1/files",
        {{"X-App-Key", t.app_key},
         {"X-Date", date},
         {"X-Nonce", std::string(nonce)},
         {"X-Content-Sha256", claimed},
         {"X-App-Signature", crypto::HexEncode(crypto::HmacSha256(t.app_secret, canonical))},
         {"Content-Type", "multipart/form-data; boundary=sig"}},
        body);
  };
  const std::string sent = multipart("report.txt");
  Response good = signed_upload(sent, crypto::Sha256Hex(sent), "n1");
  ASSERT_EQ(good.status, 201) << good.Describe();
  EXPECT_EQ(StringAt(good.Json(), "file.filename"), "report.txt");
  EXPECT_EQ(StringAt(good.Json(), "file.sha256"), crypto::Sha256Hex("signed bytes"));
  // On the way, the part's filename changed: the signed hash no longer holds.
  EXPECT_PROBLEM(signed_upload(multipart("evil.html"), crypto::Sha256Hex(sent), "n2"), 401,
                 "content_hash_mismatch");
  // The hash of the file part alone is not the hash of the body.
  EXPECT_PROBLEM(signed_upload(sent, crypto::Sha256Hex("signed bytes"), "n3"), 401,
                 "content_hash_mismatch");
  EXPECT_EQ(ListedFiles(server(), t), 1u);
}
TEST_P(Files, APublicFileIsServedWithoutCredentialsAndWithdrawnAtOnce) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(2000, 19);
  Response up = Upload(server(), t, bytes, "summer photo \xC3\xA9+1.bin");
  ASSERT_EQ(up.status, 201) << up.Describe();
  EXPECT_FALSE(up.Json().at("file").at("public").as_bool());
  EXPECT_FALSE(up.Json().at("file").as_object().contains("public_url"));
  const std::string id = StringAt(up.Json(), "file.id");
  const std::string url = "/public/" + t.slug + "/" + id + "/summer%20photo%20%C3%A9%2B1.bin";
  // Private until published: the same answer as a file that does not exist.
  EXPECT_PROBLEM(server().Request("GET", url), 404, "not_found");

  Response published = SetPublic(server(), t, id, R"({"public":true})");
  ASSERT_EQ(published.status, 200) << published.Describe();
  EXPECT_TRUE(published.Json().at("file").at("public").as_bool());
  EXPECT_EQ(StringAt(published.Json(), "file.public_url"), url);
  EXPECT_EQ(StringAt(published.Json(), "file.sha256"), crypto::Sha256Hex(bytes));

  Response down = server().Request("GET", url);
  ASSERT_EQ(down.status, 200) << down.Describe();
  EXPECT_TRUE(down.body == bytes);
  EXPECT_EQ(down.Header("Cache-Control"), "public, max-age=86400");
  EXPECT_EQ(down.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(down.Header("ETag"), "\"" + crypto::Sha256Hex(bytes) + "\"");
  EXPECT_FALSE(down.Header("Last-Modified").empty());
  EXPECT_EQ(down.Header("Accept-Ranges"), "bytes");
  EXPECT_EQ(down.Header("Content-Disposition"),
            "attachment; filename=\"summer photo __+1.bin\"; "
            "filename*=UTF-8''summer%20photo%20%C3%A9+1.bin");
  EXPECT_FALSE(down.HasHeader("Set-Cookie"));
  EXPECT_FALSE(down.HasHeader("RateLimit-Limit")) << "cacheable answers carry no client's budget";

  Response not_modified = server().Request("GET", url, {{"If-None-Match", down.Header("ETag")}});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  EXPECT_EQ(not_modified.Header("Cache-Control"), "public, max-age=86400");
  Response range = server().Request("GET", url, {{"Range", "bytes=10-19"}});
  ASSERT_EQ(range.status, 206) << range.Describe();
  EXPECT_EQ(range.Header("Content-Range"), "bytes 10-19/2000");
  EXPECT_TRUE(range.body == bytes.substr(10, 10));
  Response unsatisfiable = server().Request("GET", url, {{"Range", "bytes=2000-"}});
  EXPECT_PROBLEM(unsatisfiable, 416, "range_not_satisfiable");
  EXPECT_EQ(unsatisfiable.Header("Content-Range"), "bytes */2000");
  Response head = server().Request("HEAD", url);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Content-Length"), "2000");
  EXPECT_EQ(head.Header("Cache-Control"), "public, max-age=86400");
  EXPECT_TRUE(head.body.empty());

  // The tenant's own views say so; its authenticated download stays private.
  Response list = Call(server(), t, "GET", "/v1/files");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(StringAt(list.Json(), "data.0.public_url"), url);
  EXPECT_EQ(Call(server(), t, "GET", "/v1/files/" + id).Header("Cache-Control"), "private");

  // Withdrawn: the very next request is 404, a revalidation included.
  Response withdrawn = SetPublic(server(), t, id, R"({"public":false})");
  ASSERT_EQ(withdrawn.status, 200) << withdrawn.Describe();
  EXPECT_FALSE(withdrawn.Json().at("file").at("public").as_bool());
  EXPECT_FALSE(withdrawn.Json().at("file").as_object().contains("public_url"));
  Response gone = server().Request("GET", url);
  EXPECT_PROBLEM(gone, 404, "not_found");
  EXPECT_EQ(gone.Header("Cache-Control"), "no-store");
  EXPECT_PROBLEM(server().Request("GET", url, {{"If-None-Match", down.Header("ETag")}}), 404,
                 "not_found");
  EXPECT_EQ(server().Request("HEAD", url).status, 404);
  EXPECT_EQ(Call(server(), t, "GET", "/v1/files/" + id).status, 200);

  // Published again, then deleted: gone with the file.
  EXPECT_EQ(MustPublish(server(), t, id), url);
  EXPECT_EQ(server().Request("GET", url).status, 200);
  EXPECT_EQ(Call(server(), t, "DELETE", "/v1/files/" + id).status, 204);
  EXPECT_PROBLEM(server().Request("GET", url), 404, "not_found");
}

TEST_P(Files, APublicFileAnswersOnlyToItsOwnTenantIdAndName) {
  const Tenant a = MustCreateTenant(server());
  const Tenant b = MustCreateTenant(server());
  const std::string id = MustUpload(server(), a, "public bytes", "report.txt");
  const std::string url = MustPublish(server(), a, id);
  ASSERT_EQ(url, "/public/" + a.slug + "/" + id + "/report.txt");
  const std::string private_id = MustUpload(server(), a, "private bytes", "report.txt");
  const std::string b_id = MustUpload(server(), b, "b's bytes", "report.txt");
  MustPublish(server(), b, b_id);

  // The name is compared once URL-decoded: any spelling of it works.
  EXPECT_EQ(server().Request("GET", "/public/" + a.slug + "/" + id + "/%72eport%2Etxt").body,
            "public bytes");
  const std::string not_found =
      server().Request("GET", url + "x").Json().at("detail").as_string().c_str();
  for (const std::string& target : {
           url + "x",                                            // another name
           "/public/" + a.slug + "/" + id + "/Report.txt",       // case matters
           "/public/" + a.slug + "/" + id + "/report.txt%00",    // a NUL appended
           "/public/" + a.slug + "/" + id + "/..%2Freport.txt",  // path tricks
           "/public/" + a.slug + "/" + id + "/%2E%2E",           //
           "/public/" + a.slug + "/" + id + "/report.txt%2F..",  //
           "/public/" + a.slug + "/" + id + "/a%2F..%2Freport.txt",
           "/public/" + b.slug + "/" + id + "/report.txt",          // another tenant's slug
           "/public/" + a.id + "/" + id + "/report.txt",            // the tenant's id, not its slug
           "/public/no-such-tenant/" + id + "/report.txt",          // an unknown tenant
           "/public/" + a.slug + "/" + private_id + "/report.txt",  // a private file
           "/public/" + a.slug + "/" + b_id + "/report.txt",        // b's public file under a
           "/public/" + a.slug + "/fil_nope/report.txt",            // no such id
           "/public/" + a.slug + "/prd_01JD0000000000000000000000/report.txt",
       }) {
    SCOPED_TRACE(target);
    Response r = server().Request("GET", target);
    EXPECT_PROBLEM(r, 404, "not_found");
    if (r.status == 404) {
      EXPECT_EQ(r.Json().at("detail").as_string(), not_found) << "the same answer each time";
    }
  }
  // Outside the route's shape: the router's 404 (no empty or extra segments).
  EXPECT_EQ(server().Request("GET", "/public/" + a.slug + "/" + id + "/").status, 404);
  EXPECT_EQ(server().Request("GET", "/public/" + a.slug + "/" + id + "/../report.txt").status, 404);
  // Only GET and HEAD.
  EXPECT_EQ(server().Request("DELETE", url).status, 405);
  EXPECT_EQ(server().Request("GET", url).body, "public bytes");
}

TEST_P(Files, PublishingIsValidatedAndNeedsFilesWrite) {
  const Tenant a = MustCreateTenant(server());
  const Tenant b = MustCreateTenant(server());
  const std::string id = MustUpload(server(), a, "x");
  for (const std::string body : {"{}", R"({"public":"yes"})", R"({"public":1})",
                                 R"({"public":true,"name":"y"})", R"({"public":null})"}) {
    SCOPED_TRACE(body);
    EXPECT_PROBLEM(SetPublic(server(), a, id, body), 422, "validation_failed");
  }
  EXPECT_PROBLEM(SetPublic(server(), a, id, "{"), 400, "invalid_json");
  EXPECT_PROBLEM(Call(server(), a, "PATCH", "/v1/files/" + id, {{"Content-Type", "text/plain"}},
                      R"({"public":true})"),
                 415, "unsupported_media_type");
  EXPECT_PROBLEM(SetPublic(server(), b, id, R"({"public":true})"), 404, "not_found");
  EXPECT_PROBLEM(SetPublic(server(), a, "fil_nope", R"({"public":true})"), 404, "not_found");
  Response k = server().Request("POST", "/v1/api-keys",
                                {{"X-App-Key", a.app_key},
                                 {"X-App-Secret", a.app_secret},
                                 {"Content-Type", "application/json"}},
                                R"({"name":"ro","type":"restricted","scopes":["files:read"]})");
  ASSERT_EQ(k.status, 201);
  Tenant reader = a;
  reader.key = std::string(k.Json().at("secret").as_string());
  EXPECT_PROBLEM(SetPublic(server(), reader, id, R"({"public":true})"), 403, "insufficient_scope");
  EXPECT_PROBLEM(server().Request("PATCH", "/v1/files/" + id,
                                  {{"Content-Type", "application/json"}}, R"({"public":true})"),
                 401, "missing_credentials");
  // Nothing of that published it.
  EXPECT_FALSE(
      Call(server(), a, "GET", "/v1/files").Json().at("data").at(0).at("public").as_bool());
}

TEST_P(Files, APublicFileNameCannotInjectHeaders) {
  const Tenant t = MustCreateTenant(server());
  // RFC 5987 lets a header carry CR LF, quotes and semicolons in a name.
  const std::string id =
      MustUpload(server(), t, "x", "UTF-8''a%0D%0ASet-Cookie%3A%20pwn%3D1%22%3B%20b%3D1.html");
  const std::string url = MustPublish(server(), t, id);
  Response r = server().Request("GET", url);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_FALSE(r.HasHeader("Set-Cookie"));
  EXPECT_EQ(r.Header("Content-Disposition"),
            "attachment; filename=\"aSet-Cookie: pwn=1_; b=1.html\"; "
            "filename*=UTF-8''aSet-Cookie%3A%20pwn%3D1%22%3B%20b%3D1.html");
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
}

TEST_P(Files, ASuspendedOrDeletedTenantsPublicFilesAre404) {
  const Tenant t = MustCreateTenant(server());
  const std::string url = MustPublish(server(), t, MustUpload(server(), t, "hi", "hi.txt"));
  ASSERT_EQ(server().Request("GET", url).status, 200);
  const std::string tenant = "/admin/v1/tenants/" + t.id;
  ASSERT_EQ(server().Admin("PATCH", tenant, R"({"status":"suspended"})").status, 200);
  Response suspended = server().Request("GET", url);
  EXPECT_PROBLEM(suspended, 404, "not_found");
  EXPECT_EQ(suspended.body.find("suspend"), std::string::npos) << suspended.body;
  ASSERT_EQ(server().Admin("PATCH", tenant, R"({"status":"active"})").status, 200);
  EXPECT_EQ(server().Request("GET", url).status, 200);
  ASSERT_EQ(server().Admin("DELETE", tenant).status, 204);
  EXPECT_PROBLEM(server().Request("GET", url), 404, "not_found");
}

// api.md §14 "Image variants".
TEST_P(Files, ImageVariantsAreMadeOnceKeptAndServedLikeTheFile) {
  const Tenant t = MustCreateTenant(server());
  const std::string id = MustUpload(server(), t, MakePng(300, 200), "photo.png");
  const std::string v = "/v1/files/" + id + "/variants/64x64.png";
  Response first = Call(server(), t, "GET", v);
  ASSERT_EQ(first.status, 200) << first.Describe();
  EXPECT_EQ(first.Header("Content-Type"), "image/png");
  EXPECT_EQ(ReadPngSize(first.body).width, 64u);
  EXPECT_EQ(ReadPngSize(first.body).height, 43u);  // the aspect kept
  EXPECT_EQ(first.Header("Cache-Control"), "private");
  EXPECT_EQ(first.Header("Content-Disposition"),
            "attachment; filename=\"photo-64x64.png\"; filename*=UTF-8''photo-64x64.png");
  const std::string etag = first.Header("ETag");
  EXPECT_EQ(etag, "\"" + crypto::Sha256Hex(first.body) + "\"");

  // Kept: the same bytes again, conditional requests and ranges as for files.
  Response again = Call(server(), t, "GET", v);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(Call(server(), t, "GET", v, {{"If-None-Match", etag}}).status, 304);
  Response part = Call(server(), t, "GET", v, {{"Range", "bytes=0-7"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, first.body.substr(0, 8));
  Response head = Call(server(), t, "HEAD", v);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Content-Length"), std::to_string(first.body.size()));

  Response webp = Call(server(), t, "GET", "/v1/files/" + id + "/variants/256x256.webp");
  ASSERT_EQ(webp.status, 200) << webp.Describe();
  EXPECT_EQ(webp.Header("Content-Type"), "image/webp");
  EXPECT_EQ(webp.body.substr(8, 4), "WEBP");
  Response jpeg = Call(server(), t, "GET", "/v1/files/" + id + "/variants/1024x1024.jpeg");
  ASSERT_EQ(jpeg.status, 200) << jpeg.Describe();
  EXPECT_EQ(jpeg.Header("Content-Type"), "image/jpeg");
  EXPECT_EQ(jpeg.body.substr(0, 3), std::string("\xFF\xD8\xFF", 3));
  // The file and its three variants are stored; deleting the file removes all.
  EXPECT_EQ(StoredKeys(t).size(), 4u);
  EXPECT_EQ(Call(server(), t, "DELETE", "/v1/files/" + id).status, 204);
  EXPECT_TRUE(StoredKeys(t).empty());
  EXPECT_PROBLEM(Call(server(), t, "GET", v), 404, "not_found");
}

TEST_P(Files, ImageVariantsRefuseOtherSizesNonImagesBombsAndOtherTenants) {
  const Tenant t = MustCreateTenant(server());
  const Tenant other = MustCreateTenant(server());
  const std::string image = "/v1/files/" + MustUpload(server(), t, MakePng(50, 50), "a.png");
  for (const char* name : {"100x100.png", "64x64.gif", "64x64.PNG", "064x64.png", "64x64",
                           "..%2F64x64.png", "64x64.png.png"}) {
    EXPECT_PROBLEM(Call(server(), t, "GET", image + "/variants/" + name), 404, "not_found") << name;
  }
  const std::string text = "/v1/files/" + MustUpload(server(), t, "just words", "a.png");
  EXPECT_PROBLEM(Call(server(), t, "GET", text + "/variants/64x64.png"), 415,
                 "unsupported_media_type");
  const std::string bomb =
      "/v1/files/" + MustUpload(server(), t, MakeBlackPng(20000, 20000), "bomb.png");
  EXPECT_PROBLEM(Call(server(), t, "GET", bomb + "/variants/64x64.png"), 422, "image_rejected");
  // Another tenant's file is not there, whatever the credentials.
  EXPECT_PROBLEM(Call(server(), other, "GET", image + "/variants/64x64.png"), 404, "not_found");
  EXPECT_EQ(Call(server(), t, "GET", image + "/variants/64x64.png").status, 200);
  // Only the one variant made is stored beside the three files.
  EXPECT_EQ(StoredKeys(t).size(), 4u);
  EXPECT_TRUE(StoredKeys(other).empty());
  // Without credentials: refused.
  EXPECT_EQ(server().Request("GET", image + "/variants/64x64.png").status, 401);
}

TEST_P(Files, APublicFilesVariantsAreServedWithoutCredentialsUntilWithdrawn) {
  const Tenant t = MustCreateTenant(server());
  const std::string id = MustUpload(server(), t, MakePng(120, 120), "pub.png");
  const std::string url = "/public/" + t.slug + "/" + id + "/variants/64x64.webp";
  Response hidden = server().Request("GET", url);
  EXPECT_PROBLEM(hidden, 404, "not_found");
  EXPECT_EQ(hidden.Header("Cache-Control"), "no-store");
  MustPublish(server(), t, id);
  Response shown = server().Request("GET", url);
  ASSERT_EQ(shown.status, 200) << shown.Describe();
  EXPECT_EQ(shown.Header("Content-Type"), "image/webp");
  EXPECT_EQ(shown.Header("Cache-Control"), "public, max-age=86400");
  EXPECT_PROBLEM(server().Request("GET", "/public/" + t.slug + "/" + id + "/variants/99x99.webp"),
                 404, "not_found");
  ASSERT_EQ(SetPublic(server(), t, id, R"({"public":false})").status, 200);
  EXPECT_PROBLEM(server().Request("GET", url), 404, "not_found");
}

TEST_P(Files, AVariantWhoseBytesWentMissingIsMadeAgain) {
  const Tenant t = MustCreateTenant(server());
  const std::string id = MustUpload(server(), t, MakePng(80, 80), "m.png");
  const std::string v = "/v1/files/" + id + "/variants/64x64.png";
  Response first = Call(server(), t, "GET", v);
  ASSERT_EQ(first.status, 200) << first.Describe();
  // Behind tenantd's back: the variant's bytes (s3rver's object and its
  // metadata, or the local file) go.
  const fs::path dir = s3_ ? s3_->bucket_dir() / ("tenant-" + t.id)
                           : server().data_dir() / "storage" / "uploads" / t.id;
  int removed = 0;
  for (const fs::path& p : FilesUnder(dir)) {
    if (p.filename().string().find(".64x64.png") != std::string::npos) removed += fs::remove(p);
  }
  ASSERT_GT(removed, 0);
  ASSERT_EQ(StoredKeys(t).size(), 1u);
  Response again = Call(server(), t, "GET", v);
  ASSERT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(StoredKeys(t).size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Stores, Files, ::testing::Values(Store::kLocal, Store::kS3),
                         [](const ::testing::TestParamInfo<Store>& info) {
                           return info.param == Store::kLocal ? "Local" : "S3";
                         });

// Servers of their own: limits, quotas and crashes need their own settings.

TEST(FileLimits, MaxUploadSizeAnswers413BeforeOrWhileStreaming) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"MAX_UPLOAD_SIZE", "1000"}}}));
  const Tenant t = MustCreateTenant(server);
  EXPECT_EQ(Upload(server, t, std::string(1000, 'a')).status, 201);
  // Known from Content-Length: refused before the body is read.
  Connection c(server.port());
  ASSERT_TRUE(
      c.Write("POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.key +
              "\r\nContent-Type: application/octet-stream\r\nContent-Length: 5000000\r\n\r\n"));
  Response early = c.ReadResponse();
  EXPECT_PROBLEM(early, 413, "payload_too_large");
  // Chunked: found out while streaming.
  Connection chunked(server.port());
  const std::string chunk(600, 'b');
  ASSERT_TRUE(chunked.Write("POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.key +
                            "\r\nContent-Type: application/octet-stream\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n258\r\n" +
                            chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
  EXPECT_PROBLEM(chunked.ReadResponse(), 413, "payload_too_large");
  EXPECT_EQ(ListedFiles(server, t), 1u);
  EXPECT_TRUE(FilesUnder(server.data_dir() / "storage" / "tmp").empty());
}

// Issue 12: presigned links (and public files' URLs) are absolute under
// TENANTD_PUBLIC_URL.
TEST(FileLinksPublicUrl, LinksAreAbsoluteUnderThePublicUrl) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"TENANTD_PUBLIC_URL", "https://files.example.test/"}}}));
  const Tenant t = MustCreateTenant(server);
  const std::string id = MustUpload(server, t, "public bytes");
  Response made = Call(server, t, "POST", "/v1/files/" + id + "/links",
                       {{"Content-Type", "application/json"}}, R"({"expires_in":60})");
  ASSERT_EQ(made.status, 201) << made.Describe();
  const std::string url = StringAt(made.Json(), "url");
  const std::string base = "https://files.example.test";
  ASSERT_TRUE(url.starts_with(base + "/v1/files/" + id + "?expires=")) << url;
  Response down = server.Request("GET", url.substr(base.size()));
  ASSERT_EQ(down.status, 200) << down.Describe();
  EXPECT_EQ(down.body, "public bytes");
  // So is a public file's public_url.
  const std::string public_url = MustPublish(server, t, id);
  ASSERT_EQ(public_url, base + "/public/" + t.slug + "/" + id + "/data.bin");
  EXPECT_EQ(server.Request("GET", public_url.substr(base.size())).body, "public bytes");
}

// api.md §14: public files are limited per client IP, behind trusted
// proxies the client they name.
TEST(FileLimits, PublicFilesAreLimitedPerClientIp) {
  TestServer server;
  ASSERT_TRUE(server.Start(
      {.env = {{"TENANTD_PUBLIC_FILE_RATE", "3"}, {"TENANTD_TRUSTED_PROXIES", "127.0.0.1"}}}));
  const Tenant t = MustCreateTenant(server);
  const std::string url = MustPublish(server, t, MustUpload(server, t, "pic", "pic.png"));
  const Headers client = {{"X-Forwarded-For", "203.0.113.7"}};
  EXPECT_EQ(server.Request("GET", url, client).status, 200);
  EXPECT_EQ(server.Request("HEAD", url, client).status, 200);
  EXPECT_EQ(server.Request("GET", url + "x", client).status, 404);  // misses count too
  Response refused = server.Request("GET", url, client);
  EXPECT_PROBLEM(refused, 429, "rate_limited");
  EXPECT_EQ(refused.Header("Retry-After"), "1200");  // an hour / 3
  EXPECT_EQ(refused.Header("RateLimit-Limit"), "3");
  EXPECT_EQ(refused.Header("RateLimit-Remaining"), "0");
  // Another client has its own budget; the tenant's API is not affected.
  EXPECT_EQ(server.Request("GET", url, {{"X-Forwarded-For", "203.0.113.8"}}).body, "pic");
  EXPECT_EQ(Call(server, t, "GET", "/v1/files").status, 200);
  Response metrics = server.Request("GET", "/metrics");
  EXPECT_NE(metrics.body.find("tenantd_rate_limited_total{kind=\"public_file_ip\"} 1\n"),
            std::string::npos);
}

TEST(FileLimits, PlanQuotaAnswers413QuotaExceeded) {
  TestServer server;
  const fs::path config = server.root() / "tenantd.toml";
  WriteFile(config, "[plans.free]\nstorage_bytes = 1000\n");
  ASSERT_TRUE(server.Start({.args = {"--config", config.string()}}));
  const Tenant t = MustCreateTenant(server);
  const Tenant pro = MustCreateTenant(server, R"("plan":"pro")");
  EXPECT_EQ(Upload(server, t, std::string(600, 'a')).status, 201);
  EXPECT_PROBLEM(Upload(server, t, std::string(600, 'b')), 413, "quota_exceeded");
  // Chunked, so only the bytes tell.
  Connection c(server.port());
  const std::string chunk(500, 'c');
  ASSERT_TRUE(c.Write("POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.key +
                      "\r\nContent-Type: application/octet-stream\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n1f4\r\n" +
                      chunk + "\r\n0\r\n\r\n"));
  EXPECT_PROBLEM(c.ReadResponse(), 413, "quota_exceeded");
  EXPECT_EQ(ListedFiles(server, t), 1u);
  EXPECT_EQ(Upload(server, t, std::string(400, 'd')).status, 201);     // exactly at the quota
  EXPECT_EQ(Upload(server, pro, std::string(5000, 'e')).status, 201);  // another plan
  EXPECT_TRUE(FilesUnder(server.data_dir() / "storage" / "tmp").empty());
}

// Variants' bytes count against the quota like the files'.
TEST(FileLimits, ImageVariantsCountAgainstTheQuota) {
  TestServer server;
  const fs::path config = server.root() / "tenantd.toml";
  const std::string png = MakePng(200, 200);
  WriteFile(config, "[plans.free]\nstorage_bytes = " + std::to_string(png.size() + 100) + "\n");
  ASSERT_TRUE(server.Start({.args = {"--config", config.string()}}));
  const Tenant t = MustCreateTenant(server);
  const std::string id = MustUpload(server, t, png, "q.png");
  EXPECT_PROBLEM(Call(server, t, "GET", "/v1/files/" + id + "/variants/1024x1024.png"), 413,
                 "quota_exceeded");
  EXPECT_TRUE(FilesUnder(server.data_dir() / "storage" / "tmp").empty());
  const std::size_t stored = FilesUnder(server.data_dir() / "storage" / "uploads").size();
  EXPECT_EQ(stored, 1u);
}

TEST(FileLimits, AStalledUploadIsClosedAndLeavesNothing) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"TENANTD_BODY_IDLE_TIMEOUT", "1"}}}));
  const Tenant t = MustCreateTenant(server);
  Connection c(server.port());
  ASSERT_TRUE(c.Write("POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.key +
                      "\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n" +
                      std::string(10, 'a')));
  // api.md §1: a stalled body is closed (the timeout closes the socket, so
  // no answer can follow).
  EXPECT_TRUE(c.WaitForClose(5s));
  EXPECT_EQ(ListedFiles(server, t), 0u);
  EXPECT_TRUE(FilesUnder(server.data_dir() / "storage" / "tmp").empty());
}

TEST(FileLimits, PresignedDownloadsCountAgainstThePlanAndCarryItsHeaders) {
  TestServer server;
  const fs::path config = server.root() / "tenantd.toml";
  WriteFile(config, "[plans.free]\nrequests_per_minute = 5\n");
  ASSERT_TRUE(server.Start({.args = {"--config", config.string()}}));
  const Tenant t = MustCreateTenant(server);               // 1: the API key
  const std::string id = MustUpload(server, t, "shared");  // 2
  Response made = Call(server, t, "POST", "/v1/files/" + id + "/links",
                       {{"Content-Type", "application/json"}}, "{}");  // 3
  ASSERT_EQ(made.status, 201) << made.Describe();
  const std::string url = StringAt(made.Json(), "url");
  Response first = server.Request("GET", url);  // 4
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.Header("RateLimit-Limit"), "5");
  EXPECT_EQ(first.Header("RateLimit-Remaining"), "1");
  EXPECT_EQ(server.Request("GET", url).status, 200);  // 5
  Response refused = server.Request("GET", url);
  EXPECT_PROBLEM(refused, 429, "rate_limited");
  EXPECT_FALSE(refused.Header("Retry-After").empty());
  EXPECT_EQ(refused.Header("RateLimit-Remaining"), "0");
}

TEST(FileCrash, AnUploadKilledBetweenBytesAndMetadataLeavesNothingAfterRestart) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"TENANTD_CRASH_AT", "file_upload.after_publish"}}}));
  const Tenant t = MustCreateTenant(server);
  Response r = Upload(server, t, RandomBytes(100000, 17));
  EXPECT_EQ(r.status, 0) << "the server should have died: " << r.Describe();
  EXPECT_EQ(server.WaitForExit(5s), 86);
  const fs::path uploads = server.data_dir() / "storage" / "uploads" / t.id;
  EXPECT_EQ(FilesUnder(uploads).size(), 1u) << "the crash point is after the bytes are placed";
  ASSERT_TRUE(server.Start());
  EXPECT_TRUE(FilesUnder(uploads).empty());
  EXPECT_TRUE(FilesUnder(server.data_dir() / "storage" / "tmp").empty());
  EXPECT_EQ(ListedFiles(server, t), 0u);
  EXPECT_EQ(Upload(server, t, "after").status, 201);
}

TEST(FileCrash, AnUploadKilledAfterItsMetadataIsKeptAfterRestart) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"TENANTD_CRASH_AT", "file_upload.after_insert"}}}));
  const Tenant t = MustCreateTenant(server);
  const std::string bytes = RandomBytes(100000, 18);
  EXPECT_EQ(Upload(server, t, bytes).status, 0);
  EXPECT_EQ(server.WaitForExit(5s), 86);
  ASSERT_TRUE(server.Start());
  Response list = Call(server, t, "GET", "/v1/files");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.Json().at("data").as_array().size(), 1u);
  const std::string id(list.Json().at("data").as_array()[0].at("id").as_string());
  Response down = Call(server, t, "GET", "/v1/files/" + id);
  EXPECT_TRUE(down.body == bytes);
  EXPECT_TRUE(FilesUnder(server.data_dir() / "storage" / "tmp").empty());
}

TEST(FilePurge, PurgingATenantRemovesItsFiles) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const Tenant t = MustCreateTenant(server);
  MustUpload(server, t, "x");
  const fs::path uploads = server.data_dir() / "storage" / "uploads" / t.id;
  ASSERT_TRUE(fs::exists(uploads));
  EXPECT_EQ(server.Admin("DELETE", "/admin/v1/tenants/" + t.id + "?purge=true").status, 204);
  EXPECT_FALSE(fs::exists(uploads));
}

// On S3: quotas, purge and a store that is away.

TEST(FilesOnS3, QuotaRefusalsAndPurgeLeaveNoObjects) {
  S3Server s3;
  ASSERT_TRUE(s3.Start());
  TestServer server;
  const fs::path config = server.root() / "tenantd.toml";
  WriteFile(config, "[plans.free]\nstorage_bytes = 1000\n");
  ASSERT_TRUE(server.Start({.args = {"--config", config.string()}, .env = s3.TenantdEnv()}));
  const Tenant t = MustCreateTenant(server);
  const Tenant other = MustCreateTenant(server);
  EXPECT_EQ(Upload(server, t, std::string(600, 'a')).status, 201);
  EXPECT_PROBLEM(Upload(server, t, std::string(600, 'b')), 413, "quota_exceeded");
  EXPECT_EQ(Upload(server, t, std::string(400, 'c')).status, 201);
  MustUpload(server, other, "kept");
  const std::string prefix = "tenant-" + t.id + "/";
  EXPECT_EQ(s3.Keys(prefix).size(), 2u);
  EXPECT_EQ(server.Admin("DELETE", "/admin/v1/tenants/" + t.id + "?purge=true").status, 204);
  EXPECT_TRUE(s3.Keys(prefix).empty());
  EXPECT_EQ(s3.Keys("tenant-" + other.id + "/").size(), 1u);
  EXPECT_EQ(s3.SigningFailures(), "");
}

TEST(FilesOnS3, AStoreThatIsAwayAnswers503AndNothingIsListed) {
  std::string endpoint;
  {
    S3Server gone;  // a port that was just free: nothing listens there now
    ASSERT_TRUE(gone.Start());
    endpoint = gone.url();
  }
  S3Server s3;
  ASSERT_TRUE(s3.Start());
  Env env = s3.TenantdEnv();
  for (auto& [name, value] : env) {
    if (name == "TENANTD_S3_ENDPOINT") value = endpoint;
  }
  TestServer server;
  ASSERT_TRUE(server.Start({.env = env}));
  const Tenant t = MustCreateTenant(server);
  Response r = Upload(server, t, "bytes");
  EXPECT_PROBLEM(r, 503, "storage_unavailable");
  EXPECT_EQ(r.Header("Retry-After"), "1");
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos) << "no internals in the answer";
  EXPECT_EQ(ListedFiles(server, t), 0u);
  EXPECT_TRUE(server.running());
}

TEST(FilesOnS3, BadStoreSettingsStopStartUp) {
  for (const Env& env : std::vector<Env>{{{"TENANTD_BLOB_STORE", "s3"}},
                                         {{"TENANTD_BLOB_STORE", "s3"},
                                          {"TENANTD_S3_ENDPOINT", "ftp://x"},
                                          {"TENANTD_S3_BUCKET", "b-1"},
                                          {"TENANTD_S3_ACCESS_KEY_ID", "k"},
                                          {"TENANTD_S3_SECRET_ACCESS_KEY", "s3cr3t-value"}},
                                         {{"TENANTD_BLOB_STORE", "floppy"}}}) {
    TestServer server;
    EXPECT_FALSE(server.Start({.env = env, .ready_timeout = 5s}));
    EXPECT_EQ(server.StderrText().find("s3cr3t-value"), std::string::npos);
  }
}

}  // namespace
}  // namespace tenantd::test
