// Resumable uploads (api.md §14, tus 1.0.0 on /v1/uploads) through the real
// binary, on the local store and on S3: creation (with and without bytes),
// chunked PATCHes, offsets kept exact when a client is cut off mid-body,
// checksums (460, nothing appended), termination, expiry (404 at once,
// swept with the bytes), per-upload locking, quota and size limits,
// isolation between tenants, hostile metadata; and a stock client,
// tus-js-client, uploading a multi-chunk file that it resumes after being
// killed mid-PATCH.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <csignal>
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

Tenant MustCreateTenant(const TestServer& server, std::string_view extra = {}) {
  Response r = server.CreateTenant(UniqueSlug("tus"), "Tus Tenant", extra);
  if (r.status != 201) throw std::runtime_error("create tenant: " + r.Describe());
  const json::value body = r.Json();
  Response k = server.Request("POST", "/v1/api-keys",
                              {{"X-App-Key", StringAt(body, "credentials.app_key")},
                               {"X-App-Secret", StringAt(body, "credentials.app_secret")},
                               {"Content-Type", "application/json"}},
                              R"({"name":"uploads"})");
  if (k.status != 201) throw std::runtime_error("create key: " + k.Describe());
  return {StringAt(body, "tenant.id"), std::string(k.Json().at("secret").as_string())};
}

// A tus request: credentials and Tus-Resumable added.
Response Tus(const TestServer& server, const Tenant& t, std::string_view method,
             std::string_view target, Headers extra = {}, std::string_view body = {}) {
  Headers h = {{"Authorization", "Bearer " + t.key}, {"Tus-Resumable", "1.0.0"}};
  for (auto& e : extra) h.push_back(std::move(e));
  return server.Request(method, target, h, body);
}

std::string Metadata(std::string_view filename, std::string_view type = "text/plain") {
  return "filename " + crypto::Base64Encode(filename) + ",filetype " + crypto::Base64Encode(type);
}

// POST /v1/uploads; answers the upload's path ("/v1/uploads/upl_…").
std::string MustCreate(const TestServer& server, const Tenant& t, uint64_t length,
                       std::string_view filename = "data.bin") {
  Response r =
      Tus(server, t, "POST", "/v1/uploads",
          {{"Upload-Length", std::to_string(length)}, {"Upload-Metadata", Metadata(filename)}});
  if (r.status != 201) throw std::runtime_error("create upload: " + r.Describe());
  return r.Header("Location");
}

Response Patch(const TestServer& server, const Tenant& t, std::string_view upload, uint64_t offset,
               std::string_view bytes, Headers extra = {}) {
  Headers h = {{"Content-Type", "application/offset+octet-stream"},
               {"Upload-Offset", std::to_string(offset)}};
  for (auto& e : extra) h.push_back(std::move(e));
  return Tus(server, t, "PATCH", upload, h, bytes);
}

uint64_t OffsetOf(const TestServer& server, const Tenant& t, std::string_view upload) {
  Response r = Tus(server, t, "HEAD", upload);
  if (r.status != 200) throw std::runtime_error("HEAD upload: " + r.Describe());
  return std::stoull(r.Header("Upload-Offset"));
}

// The file's bytes, downloaded.
std::string Download(const TestServer& server, const Tenant& t, std::string_view file_id) {
  Response r = server.Request("GET", "/v1/files/" + std::string(file_id),
                              {{"Authorization", "Bearer " + t.key}});
  if (r.status != 200) throw std::runtime_error("download: " + r.Describe());
  return r.body;
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

ServerClock& UploadsClock() {
  static ServerClock clock;
  return clock;
}

enum class Store { kLocal, kS3 };

class Uploads : public ::testing::TestWithParam<Store> {
 protected:
  static void TearDownTestSuite() {
    server_.reset();
    s3_.reset();
  }

  void SetUp() override {
    if (!server_) {
      ServerOptions options{.env = UploadsClock().env()};
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
      EXPECT_EQ(s3_->PendingMultipartUploads(), 0u);
    }
  }

  static TestServer& server() { return *server_; }
  // The staging files of the tenant's unfinished uploads.
  std::vector<fs::path> Staged(const Tenant& t) const {
    return FilesUnder(server().data_dir() / "storage" / "uploads" / t.id / "tus");
  }

  inline static std::unique_ptr<TestServer> server_;
  inline static std::unique_ptr<S3Server> s3_;
};

TEST_P(Uploads, OptionsAdvertisesTheProtocolWithoutCredentials) {
  Response r = server().Request("OPTIONS", "/v1/uploads");
  ASSERT_EQ(r.status, 204) << r.Describe();
  EXPECT_EQ(r.Header("Tus-Resumable"), "1.0.0");
  EXPECT_EQ(r.Header("Tus-Version"), "1.0.0");
  EXPECT_EQ(r.Header("Tus-Extension"),
            "creation,creation-with-upload,termination,checksum,expiration");
  EXPECT_EQ(r.Header("Tus-Checksum-Algorithm"), "sha1,sha256");
}

TEST_P(Uploads, ChunksBecomeAFileWithTheUploadsMetadata) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes((3 << 20) + 17, 1);
  Response created = Tus(server(), t, "POST", "/v1/uploads",
                         {{"Upload-Length", std::to_string(bytes.size())},
                          {"Upload-Metadata", Metadata("report.pdf", "application/pdf")}});
  ASSERT_EQ(created.status, 201) << created.Describe();
  const std::string upload = created.Header("Location");
  EXPECT_EQ(upload.rfind("/v1/uploads/upl_", 0), 0u) << upload;
  EXPECT_EQ(created.Header("Tus-Resumable"), "1.0.0");
  EXPECT_FALSE(created.Header("Upload-Expires").empty());

  Response head = Tus(server(), t, "HEAD", upload);
  ASSERT_EQ(head.status, 200) << head.Describe();
  EXPECT_EQ(head.Header("Upload-Offset"), "0");
  EXPECT_EQ(head.Header("Upload-Length"), std::to_string(bytes.size()));
  EXPECT_EQ(head.Header("Cache-Control"), "no-store");
  EXPECT_EQ(head.Header("Upload-Metadata"), Metadata("report.pdf", "application/pdf"));
  EXPECT_EQ(Staged(t).size(), 1u);

  const std::size_t first = 1 << 20;
  Response one = Patch(server(), t, upload, 0, std::string_view(bytes).substr(0, first));
  ASSERT_EQ(one.status, 204) << one.Describe();
  EXPECT_EQ(one.Header("Upload-Offset"), std::to_string(first));
  EXPECT_EQ(OffsetOf(server(), t, upload), first);
  // A stale offset: 409, nothing appended.
  Response stale = Patch(server(), t, upload, 0, "xyz");
  EXPECT_PROBLEM(stale, 409, "offset_mismatch");
  EXPECT_EQ(stale.Header("Upload-Offset"), std::to_string(first));
  EXPECT_EQ(OffsetOf(server(), t, upload), first);

  Response rest = Patch(server(), t, upload, first, std::string_view(bytes).substr(first));
  ASSERT_EQ(rest.status, 204) << rest.Describe();
  EXPECT_EQ(rest.Header("Upload-Offset"), std::to_string(bytes.size()));
  const std::string file_id = rest.Header("X-File-Id");
  ASSERT_EQ(file_id.rfind("fil_", 0), 0u) << rest.Describe();

  Response file =
      server().Request("GET", "/v1/files/" + file_id, {{"Authorization", "Bearer " + t.key}});
  ASSERT_EQ(file.status, 200) << file.Describe();
  EXPECT_TRUE(file.body == bytes);
  EXPECT_EQ(file.Header("ETag"), "\"" + crypto::Sha256Hex(bytes) + "\"");
  EXPECT_EQ(file.Header("Content-Type"), "application/pdf");
  EXPECT_NE(file.Header("Content-Disposition").find("report.pdf"), std::string::npos);
  // The upload is over: its URL is gone, and so are its staged bytes.
  EXPECT_EQ(Tus(server(), t, "HEAD", upload).status, 404);
  EXPECT_PROBLEM(Patch(server(), t, upload, bytes.size(), "x"), 404, "not_found");
  EXPECT_TRUE(Staged(t).empty());
}

TEST_P(Uploads, CreationWithUploadAndEmptyUploadsFinishAtOnce) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(70000, 2);
  Response all = Tus(server(), t, "POST", "/v1/uploads",
                     {{"Upload-Length", std::to_string(bytes.size())},
                      {"Upload-Metadata", Metadata("all.bin")},
                      {"Content-Type", "application/offset+octet-stream"}},
                     bytes);
  ASSERT_EQ(all.status, 201) << all.Describe();
  EXPECT_EQ(all.Header("Upload-Offset"), std::to_string(bytes.size()));
  EXPECT_TRUE(Download(server(), t, all.Header("X-File-Id")) == bytes);

  // Half the bytes with the creation, the rest in a PATCH.
  Response half = Tus(server(), t, "POST", "/v1/uploads",
                      {{"Upload-Length", std::to_string(bytes.size())},
                       {"Content-Type", "application/offset+octet-stream"}},
                      std::string_view(bytes).substr(0, 30000));
  ASSERT_EQ(half.status, 201) << half.Describe();
  EXPECT_EQ(half.Header("Upload-Offset"), "30000");
  EXPECT_EQ(half.Header("X-File-Id"), "");
  Response rest =
      Patch(server(), t, half.Header("Location"), 30000, std::string_view(bytes).substr(30000));
  ASSERT_EQ(rest.status, 204) << rest.Describe();
  EXPECT_TRUE(Download(server(), t, rest.Header("X-File-Id")) == bytes);

  Response empty =
      Tus(server(), t, "POST", "/v1/uploads",
          {{"Upload-Length", "0"}, {"Upload-Metadata", "filename " + crypto::Base64Encode("e")}});
  ASSERT_EQ(empty.status, 201) << empty.Describe();
  EXPECT_EQ(Download(server(), t, empty.Header("X-File-Id")), "");
  EXPECT_TRUE(Staged(t).empty());
}

TEST_P(Uploads, ChecksumsAreVerifiedAndABadChunkIsNotAppended) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(200000, 3);
  const std::string upload = MustCreate(server(), t, bytes.size());
  const std::string_view a = std::string_view(bytes).substr(0, 100000);
  const std::string_view b = std::string_view(bytes).substr(100000);
  // sha1, right.
  Response sha1 = Patch(server(), t, upload, 0, a,
                        {{"Upload-Checksum", "sha1 " + [&] {
                            // SHA-1 via the digest stream of tenantd's
                            // own crypto library.
                            crypto::DigestStream d(crypto::DigestStream::Algorithm::kSha1);
                            d.Update(a);
                            return crypto::Base64Encode(d.Finish());
                          }()}});
  ASSERT_EQ(sha1.status, 204) << sha1.Describe();
  // sha256 of other bytes: 460, and the offset has not moved.
  Response bad =
      Patch(server(), t, upload, a.size(), b,
            {{"Upload-Checksum", "sha256 " + crypto::Base64Encode(crypto::Sha256("x"))}});
  EXPECT_PROBLEM(bad, 460, "checksum_mismatch");
  EXPECT_EQ(bad.reason, "Checksum Mismatch");
  EXPECT_EQ(OffsetOf(server(), t, upload), a.size());
  EXPECT_PROBLEM(Patch(server(), t, upload, a.size(), b, {{"Upload-Checksum", "md5 AAAA"}}), 400,
                 "checksum_algorithm_unsupported");
  EXPECT_PROBLEM(Patch(server(), t, upload, a.size(), b, {{"Upload-Checksum", "sha256 !!"}}), 400,
                 "bad_request");
  // sha256, right: the upload completes with exactly the right bytes.
  Response good = Patch(server(), t, upload, a.size(), b,
                        {{"Upload-Checksum", "sha256 " + crypto::Base64Encode(crypto::Sha256(b))}});
  ASSERT_EQ(good.status, 204) << good.Describe();
  EXPECT_TRUE(Download(server(), t, good.Header("X-File-Id")) == bytes);
}

TEST_P(Uploads, TerminationRemovesTheUploadAndItsBytes) {
  const Tenant t = MustCreateTenant(server());
  const std::string upload = MustCreate(server(), t, 1000);
  ASSERT_EQ(Patch(server(), t, upload, 0, std::string(400, 'a')).status, 204);
  ASSERT_EQ(Staged(t).size(), 1u);
  Response gone = Tus(server(), t, "DELETE", upload);
  ASSERT_EQ(gone.status, 204) << gone.Describe();
  EXPECT_EQ(gone.Header("Tus-Resumable"), "1.0.0");
  EXPECT_EQ(Tus(server(), t, "HEAD", upload).status, 404);
  EXPECT_PROBLEM(Patch(server(), t, upload, 400, "b"), 404, "not_found");
  EXPECT_PROBLEM(Tus(server(), t, "DELETE", upload), 404, "not_found");
  EXPECT_TRUE(Staged(t).empty());
}

TEST_P(Uploads, AClientCutOffMidPatchKeepsExactlyTheBytesThatArrived) {
  const Tenant t = MustCreateTenant(server());
  const std::string bytes = RandomBytes(3 << 20, 4);
  const std::string upload = MustCreate(server(), t, bytes.size());
  const std::size_t sent = (1 << 20) + 12345;
  {
    Connection c(server().port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Write("PATCH " + upload + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                        t.key +
                        "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                        "Content-Type: application/offset+octet-stream\r\nContent-Length: " +
                        std::to_string(bytes.size()) + "\r\n\r\n"));
    ASSERT_TRUE(c.Write(std::string_view(bytes).substr(0, sent)));
  }  // closed mid-body
  // The server notices, makes what arrived durable and acknowledges it.
  ASSERT_TRUE(PollUntil([&] { return OffsetOf(server(), t, upload) == sent; }, 10s))
      << OffsetOf(server(), t, upload);
  Response rest = Patch(server(), t, upload, sent, std::string_view(bytes).substr(sent));
  ASSERT_EQ(rest.status, 204) << rest.Describe();
  EXPECT_TRUE(Download(server(), t, rest.Header("X-File-Id")) == bytes);
}

TEST_P(Uploads, ASecondPatchWhileOneRunsIsRefusedWith409) {
  const Tenant t = MustCreateTenant(server());
  const std::string upload = MustCreate(server(), t, 1000);
  Connection first(server().port());
  ASSERT_TRUE(first.Write("PATCH " + upload + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                          t.key +
                          "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                          "Content-Type: application/offset+octet-stream\r\n"
                          "Content-Length: 1000\r\n\r\n" +
                          std::string(100, 'a')));
  // The first PATCH holds the upload while its body trickles in: once its
  // first 100 bytes are in the staging file, it has the lock. (Probing with
  // PATCHes instead would race: a probe holds the lock for a moment, and a
  // first PATCH arriving then would itself be refused.)
  const fs::path staged = server().data_dir() / "storage" / "uploads" / t.id / "tus" /
                          upload.substr(upload.rfind('/') + 1);
  ASSERT_TRUE(PollUntil(
      [&] {
        std::error_code ec;
        return fs::file_size(staged, ec) == 100;
      },
      10s));
  Response second = Patch(server(), t, upload, 0, "b");
  EXPECT_PROBLEM(second, 409, "upload_locked");
  EXPECT_PROBLEM(Tus(server(), t, "DELETE", upload), 409, "upload_locked");
  ASSERT_TRUE(first.Write(std::string(900, 'a')));
  Response done = first.ReadResponse();
  ASSERT_EQ(done.status, 204) << done.Describe();
  EXPECT_EQ(Download(server(), t, done.Header("X-File-Id")), std::string(1000, 'a'));
}

TEST_P(Uploads, RefusesOtherTenantsVersionsTypesAndOverlongBodies) {
  const Tenant t = MustCreateTenant(server());
  const Tenant other = MustCreateTenant(server());
  const std::string upload = MustCreate(server(), t, 100);
  // Another tenant's upload does not exist for it.
  EXPECT_EQ(Tus(server(), other, "HEAD", upload).status, 404);
  EXPECT_PROBLEM(Patch(server(), other, upload, 0, "abc"), 404, "not_found");
  EXPECT_PROBLEM(Tus(server(), other, "DELETE", upload), 404, "not_found");
  EXPECT_EQ(OffsetOf(server(), t, upload), 0u);
  // Without credentials, or with only files:read.
  EXPECT_EQ(server().Request("HEAD", upload, {{"Tus-Resumable", "1.0.0"}}).status, 401);
  // Another protocol version: 412 with the one spoken.
  Response old = server().Request(
      "POST", "/v1/uploads",
      {{"Authorization", "Bearer " + t.key}, {"Tus-Resumable", "0.2.2"}, {"Upload-Length", "5"}});
  EXPECT_PROBLEM(old, 412, "tus_version_unsupported");
  EXPECT_EQ(old.Header("Tus-Version"), "1.0.0");
  EXPECT_PROBLEM(Tus(server(), t, "POST", "/v1/uploads"), 400, "bad_request");
  EXPECT_PROBLEM(Tus(server(), t, "POST", "/v1/uploads", {{"Upload-Length", "-1"}}), 400,
                 "bad_request");
  EXPECT_PROBLEM(Tus(server(), t, "POST", "/v1/uploads",
                     {{"Upload-Length", "5"}, {"Upload-Defer-Length", "1"}}),
                 400, "bad_request");
  EXPECT_PROBLEM(Tus(server(), t, "POST", "/v1/uploads",
                     {{"Upload-Length", "5"}, {"Upload-Metadata", "filename not*base64"}}),
                 400, "bad_request");
  EXPECT_PROBLEM(Tus(server(), t, "PATCH", upload,
                     {{"Upload-Offset", "0"}, {"Content-Type", "application/octet-stream"}}, "a"),
                 415, "unsupported_media_type");
  EXPECT_PROBLEM(
      Tus(server(), t, "PATCH", upload, {{"Content-Type", "application/offset+octet-stream"}}, "a"),
      400, "bad_request");
  // More bytes than Upload-Length: refused, nothing appended.
  EXPECT_PROBLEM(Patch(server(), t, upload, 0, std::string(101, 'x')), 413,
                 "upload_length_exceeded");
  EXPECT_EQ(OffsetOf(server(), t, upload), 0u);
  // Chunked, so only the bytes tell.
  Connection c(server().port());
  ASSERT_TRUE(c.Write("PATCH " + upload + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.key +
                      "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                      "Content-Type: application/offset+octet-stream\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n3c\r\n" +
                      std::string(60, 'y') + "\r\n3c\r\n" + std::string(60, 'y') +
                      "\r\n0\r\n\r\n"));
  EXPECT_PROBLEM(c.ReadResponse(), 413, "upload_length_exceeded");
  EXPECT_EQ(OffsetOf(server(), t, upload), 0u);
}

TEST_P(Uploads, HostileFilenamesInMetadataStayDisplayNames) {
  const Tenant t = MustCreateTenant(server());
  const std::vector<std::string> names = {"../../../../etc/passwd", "..\\..\\boot.ini",
                                          std::string("a\0b", 3), "x\r\nSet-Cookie: y", ".."};
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    Response r = Tus(server(), t, "POST", "/v1/uploads",
                     {{"Upload-Length", "3"},
                      {"Upload-Metadata", "filename " + crypto::Base64Encode(name)},
                      {"Content-Type", "application/offset+octet-stream"}},
                     "abc");
    ASSERT_EQ(r.status, 201) << r.Describe();
    Response file = server().Request("GET", "/v1/files/" + r.Header("X-File-Id"),
                                     {{"Authorization", "Bearer " + t.key}});
    ASSERT_EQ(file.status, 200);
    EXPECT_EQ(file.body, "abc");
    const std::string disposition = file.Header("Content-Disposition");
    EXPECT_EQ(disposition.find('/'), std::string::npos) << disposition;
    // Control characters are dropped: the name stays inside its header.
    EXPECT_EQ(disposition.find_first_of("\r\n"), std::string::npos) << disposition;
    EXPECT_FALSE(file.HasHeader("Set-Cookie"));
  }
  EXPECT_FALSE(fs::exists(server().data_dir().parent_path() / "etc"));
}

TEST_P(Uploads, ExpiredUploadsAnswer404AndAreSweptWithTheirBytes) {
  const Tenant t = MustCreateTenant(server());
  const std::string upload = MustCreate(server(), t, 1000);
  ASSERT_EQ(Patch(server(), t, upload, 0, std::string(10, 'a')).status, 204);
  ASSERT_EQ(Staged(t).size(), 1u);
  UploadsClock().Advance(std::chrono::hours(24) + std::chrono::minutes(1));
  EXPECT_EQ(Tus(server(), t, "HEAD", upload).status, 404);
  EXPECT_PROBLEM(Patch(server(), t, upload, 10, "b"), 404, "not_found");
  // Housekeeping (every 5 s) removes the row and the staged bytes.
  EXPECT_TRUE(PollUntil([&] { return Staged(t).empty(); }, 20s));
  EXPECT_TRUE(server().WaitForLogLine("expired resumable upload(s) of " + t.id, 5s));
}

// tus-js-client (npm, tests/s3/tus_client.js) uploads a multi-chunk file,
// is killed mid-PATCH, and a new client resumes from the server's offset.
TEST_P(Uploads, StockClientResumesAfterBeingKilledMidChunk) {
  const Tenant t = MustCreateTenant(server());
  const std::size_t size = 40 << 20;
  const std::size_t chunk = 8 << 20;
  const std::string bytes = RandomBytes(size, 5);
  const fs::path file = server().root() / "big.bin";
  WriteFile(file, bytes);
  const std::string script = std::string(TENANTD_SOURCE_DIR) + "/tests/s3/tus_client.js";
  const std::string endpoint =
      "http://127.0.0.1:" + std::to_string(server().port()) + "/v1/uploads";
  // Killed in the middle of the third chunk.
  CommandResult killed =
      RunCommand({"node", script, endpoint, t.key, file.string(), std::to_string(chunk), "-",
                  std::to_string(2 * chunk + chunk / 2)},
                 {}, 120s);
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << killed.out << killed.err;
  ASSERT_EQ(killed.out.rfind("url ", 0), 0u) << killed.out;
  const std::string url = killed.out.substr(4, killed.out.find('\n') - 4);
  const std::string path = url.substr(url.find("/v1/uploads/"));
  // At least two whole chunks and part of the third are acknowledged once
  // the server has seen the connection die.
  uint64_t offset = 0;
  EXPECT_TRUE(PollUntil(
      [&] {
        offset = OffsetOf(server(), t, path);
        return offset > 2 * chunk;
      },
      10s))
      << offset;
  EXPECT_LT(offset, size);
  CommandResult resumed = RunCommand(
      {"node", script, endpoint, t.key, file.string(), std::to_string(chunk), url}, {}, 120s);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  const std::size_t done = resumed.out.find("done fil_");
  ASSERT_NE(done, std::string::npos) << resumed.out;
  const std::string file_id = resumed.out.substr(done + 5, resumed.out.find('\n', done) - done - 5);
  Response meta =
      server().Request("GET", "/v1/files?limit=500", {{"Authorization", "Bearer " + t.key}});
  ASSERT_EQ(meta.status, 200);
  bool found = false;
  const json::value listed = meta.Json();
  for (const json::value& f : listed.at("data").as_array()) {
    if (f.at("id").as_string() != file_id) continue;
    found = true;
    EXPECT_EQ(f.at("sha256").as_string(), crypto::Sha256Hex(bytes));
    EXPECT_EQ(f.at("size").as_int64(), static_cast<int64_t>(size));
    EXPECT_EQ(f.at("filename").as_string(), "big.bin");
  }
  EXPECT_TRUE(found) << meta.body;
  EXPECT_TRUE(Download(server(), t, file_id) == bytes);
  EXPECT_TRUE(Staged(t).empty());
}

INSTANTIATE_TEST_SUITE_P(Stores, Uploads, ::testing::Values(Store::kLocal, Store::kS3),
                         [](const ::testing::TestParamInfo<Store>& info) {
                           return info.param == Store::kLocal ? "Local" : "S3";
                         });

// Unfinished uploads hold their whole Upload-Length against the quota
// while they live, and give it back when they expire.
TEST(UploadLimits, UnfinishedUploadsCountAgainstTheQuotaUntilTheyExpire) {
  ServerClock clock;
  TestServer server;
  const fs::path config = server.root() / "tenantd.toml";
  WriteFile(config, "[plans.free]\nstorage_bytes = 1000\n");
  ASSERT_TRUE(server.Start({.args = {"--config", config.string()}, .env = clock.env()}));
  const Tenant t = MustCreateTenant(server);
  EXPECT_PROBLEM(Tus(server, t, "POST", "/v1/uploads", {{"Upload-Length", "1001"}}), 413,
                 "quota_exceeded");
  const std::string upload = MustCreate(server, t, 900);
  auto plain = [&](std::size_t n) {
    return server.Request(
        "POST", "/v1/files",
        {{"Authorization", "Bearer " + t.key}, {"Content-Type", "application/octet-stream"}},
        std::string(n, 'p'));
  };
  EXPECT_PROBLEM(plain(200), 413, "quota_exceeded");
  EXPECT_PROBLEM(Tus(server, t, "POST", "/v1/uploads", {{"Upload-Length", "101"}}), 413,
                 "quota_exceeded");
  EXPECT_PROBLEM(
      server.Request("POST", "/v1/files/upload-url",
                     {{"Authorization", "Bearer " + t.key}, {"Content-Type", "application/json"}},
                     R"({"filename":"a","size":200})"),
      413, "quota_exceeded");
  EXPECT_EQ(plain(100).status, 201);  // exactly at the quota
  // The upload itself finishes within its reservation.
  Response finished = Patch(server, t, upload, 0, std::string(900, 'u'));
  ASSERT_EQ(finished.status, 204) << finished.Describe();
  EXPECT_PROBLEM(plain(1), 413, "quota_exceeded");
  // An expired upload holds nothing.
  Response del = server.Request("DELETE", "/v1/files/" + finished.Header("X-File-Id"),
                                {{"Authorization", "Bearer " + t.key}});
  ASSERT_EQ(del.status, 204);
  MustCreate(server, t, 800);
  EXPECT_PROBLEM(plain(200), 413, "quota_exceeded");
  clock.Advance(std::chrono::hours(25));
  EXPECT_EQ(plain(200).status, 201);
}

TEST(UploadLimits, MaxUploadSizeIsAnnouncedAndEnforced) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"MAX_UPLOAD_SIZE", "1000"}}}));
  const Tenant t = MustCreateTenant(server);
  Response options = server.Request("OPTIONS", "/v1/uploads");
  EXPECT_EQ(options.Header("Tus-Max-Size"), "1000");
  EXPECT_PROBLEM(Tus(server, t, "POST", "/v1/uploads", {{"Upload-Length", "1001"}}), 413,
                 "payload_too_large");
  EXPECT_EQ(Tus(server, t, "POST", "/v1/uploads", {{"Upload-Length", "1000"}}).status, 201);
}

}  // namespace
}  // namespace tenantd::test
