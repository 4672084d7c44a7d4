#include "s3/s3_client.h"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cstring>

#include "crypto/crypto.h"

namespace tenantd::s3 {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::awaitable;
using asio::ip::tcp;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// Answers other than a streamed GET are small XML documents.
constexpr uint64_t kMaxReplyBytes = 16 * 1024 * 1024;

struct Endpoint {
  bool tls = false;
  std::string host;
  std::string port;
  bool default_port = true;
};

struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string_view> Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (beast::iequals(n, name)) return std::string_view(v);
    }
    return std::nullopt;
  }
};

// One request: what is signed and sent.
struct Call {
  std::string_view method;
  std::string_view key = {};  // "" = the bucket itself
  Params query = {};
  Params headers = {};
  std::string_view body = {};
  bool head = false;
};

base::Error Unavailable(std::string detail) {
  return base::MakeError(base::ErrorCode::kUnavailable, "storage_unavailable",
                         "File storage is unavailable; try again shortly.", std::move(detail));
}

std::string XmlUnescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    static constexpr std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool matched = false;
    for (const auto& [entity, c] : kEntities) {
      if (s.substr(i).starts_with(entity)) {
        out += c;
        i += entity.size() - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out += '&';
  }
  return out;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The text of each <tag>…</tag> in `xml`. S3's answers are flat documents
// of which a few leaf elements are read, so a scan does what a parser
// would; the elements read here never carry attributes.
std::vector<std::string> XmlLeaves(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    const std::size_t start = pos + open.size();
    const std::size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.push_back(XmlUnescape(xml.substr(start, end - start)));
    pos = end + close.size();
  }
  return out;
}

std::string XmlLeaf(std::string_view xml, std::string_view tag) {
  auto leaves = XmlLeaves(xml, tag);
  return leaves.empty() ? std::string() : std::move(leaves.front());
}

// "403 SignatureDoesNotMatch: The request signature…" for the error log.
std::string Describe(std::string_view op, std::string_view key, const Reply& r) {
  std::string s =
      "S3 " + std::string(op) + " " + std::string(key) + ": HTTP " + std::to_string(r.status);
  const std::string code = XmlLeaf(r.body, "Code");
  if (!code.empty()) s += " " + code + ": " + XmlLeaf(r.body, "Message");
  return s;
}

bool Retryable(int status) { return status >= 500 || status == 429; }

// A connection to the store: plain TCP or TLS over it.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  template <class F>
  auto With(F f) {
    return tls ? f(*tls) : f(*plain);
  }
};

template <class Stream>
awaitable<boost::system::error_code> WriteAll(Stream& s, const std::string& head,
                                              std::string_view body) {
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                                  asio::buffer(body.data(), body.size())};
  auto [ec, n] = co_await asio::async_write(s, buffers, kAwait);
  co_return ec;
}

template <class Stream, class Parser>
awaitable<boost::system::error_code> ReadWhole(Stream& s, beast::flat_buffer& buf, Parser& p) {
  auto [ec, n] = co_await bhttp::async_read(s, buf, p, kAwait);
  co_return ec;
}

template <class Stream, class Parser>
awaitable<boost::system::error_code> ReadHeader(Stream& s, beast::flat_buffer& buf, Parser& p) {
  auto [ec, n] = co_await bhttp::async_read_header(s, buf, p, kAwait);
  co_return ec;
}

template <class Stream, class Parser>
awaitable<boost::system::error_code> ReadSome(Stream& s, beast::flat_buffer& buf, Parser& p) {
  auto [ec, n] = co_await bhttp::async_read_some(s, buf, p, kAwait);
  co_return ec;
}

template <class Stream>
awaitable<boost::system::error_code> Handshake(Stream& s) {
  auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::client, kAwait);
  co_return ec;
}

template <class Fields>
Reply ReplyOf(int status, const Fields& fields) {
  Reply r;
  r.status = status;
  for (const auto& f : fields) r.headers.emplace_back(f.name_string(), f.value());
  return r;
}

std::optional<uint64_t> ParseUint(std::string_view s) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The most a GET body read takes from the socket at once.
constexpr std::size_t kBodyReadBytes = 64 * 1024;

// A GET's body, read from the connection as the caller asks for it.
class GetStream final : public ObjectStream {
 public:
  // `skip` and `limit` cut a whole body down to the range asked for, when
  // the store ignored the Range header (HTTP allows it).
  GetStream(Connection conn, beast::flat_buffer buf,
            std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser, uint64_t size,
            std::chrono::seconds timeout, uint64_t skip, std::optional<uint64_t> limit)
      : conn_(std::move(conn)),
        buf_(std::move(buf)),
        parser_(std::move(parser)),
        size_(size),
        timeout_(timeout),
        skip_(skip),
        limit_(limit) {
    // Beast reads at most the buffer's free capacity per call (512 bytes
    // at least): left at the few KiB the header took, a 1 GiB body came in
    // hundreds of thousands of small reads (22 MiB/s). 64 KiB per read.
    buf_.reserve(kBodyReadBytes);
  }

  awaitable<base::Result<std::size_t>> Read(std::span<char> out) override {
    if (limit_ && *limit_ == 0) co_return std::size_t{0};
    if (limit_ && out.size() > *limit_) out = out.first(static_cast<std::size_t>(*limit_));
    for (;;) {
      auto n = co_await ReadBody(out);
      if (!n || *n == 0) co_return n;
      if (skip_ >= *n) {
        skip_ -= *n;
        continue;
      }
      std::size_t got = *n;
      if (skip_ > 0) {
        std::memmove(out.data(), out.data() + skip_, got - skip_);
        got -= static_cast<std::size_t>(skip_);
        skip_ = 0;
      }
      if (limit_) *limit_ -= got;
      co_return got;
    }
  }
  uint64_t object_size() const override { return size_; }

 private:
  awaitable<base::Result<std::size_t>> ReadBody(std::span<char> out) {
    // A read may consume only framing (a chunk header): go on until bytes
    // of the body arrive or it ends.
    while (!parser_->is_done()) {
      auto& body = parser_->get().body();
      body.data = out.data();
      body.size = out.size();
      conn_.lowest().expires_after(timeout_);
      boost::system::error_code ec =
          co_await conn_.With([&](auto& s) { return ReadSome(s, buf_, *parser_); });
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) co_return Unavailable("S3 GET body: " + ec.message());
      const std::size_t n = out.size() - parser_->get().body().size;
      if (n > 0) co_return n;
    }
    co_return std::size_t{0};
  }

  Connection conn_;
  beast::flat_buffer buf_;
  std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser_;
  uint64_t size_;
  std::chrono::seconds timeout_;
  uint64_t skip_;
  std::optional<uint64_t> limit_;
};

base::Result<Endpoint> ParseEndpoint(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(text);
  auto bad = [&](std::string why) {
    return base::InvalidArgument("invalid_config",
                                 "invalid S3 endpoint \"" + std::string(text) + "\": " + why);
  };
  if (!url) return bad("must be http(s)://host[:port]");
  Endpoint e;
  if (url->scheme() == "https") {
    e.tls = true;
  } else if (url->scheme() != "http") {
    return bad("the scheme must be http or https");
  }
  e.host = std::string(url->host());
  if (e.host.empty()) return bad("it has no host");
  if (url->has_userinfo() || url->has_query() || url->has_fragment() ||
      (!url->path().empty() && url->path() != "/")) {
    return bad("give only scheme, host and port");
  }
  e.default_port = !url->has_port();
  e.port = url->has_port() ? std::string(url->port()) : (e.tls ? "443" : "80");
  return e;
}

}  // namespace

struct S3Client::Impl {
  Endpoint endpoint;
  std::unique_ptr<asio::ssl::context> tls;
  Credentials creds;

  // Host (as connected to and as sent) and path of an object.
  struct Target {
    std::string host;         // to connect to
    std::string host_header;  // with a non-default port
    std::string path;         // URI-encoded
  };
  Target TargetOf(const S3Options& o, std::string_view key) const {
    Target t;
    t.host = o.path_style ? endpoint.host : o.bucket + "." + endpoint.host;
    t.host_header = t.host;
    if (!endpoint.default_port) t.host_header += ":" + endpoint.port;
    if (o.path_style) {
      t.path = "/" + UriEncode(o.bucket);
      if (!key.empty()) t.path += "/" + UriEncode(key, false);
    } else {
      t.path = "/" + UriEncode(key, false);
    }
    return t;
  }

  awaitable<base::Result<Connection>> Connect(const Target& t, std::chrono::seconds timeout) {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(t.host, endpoint.port, kAwait);
    if (rec) co_return Unavailable("S3 resolve " + t.host + ": " + rec.message());
    Connection c;
    auto stream = std::make_unique<beast::tcp_stream>(ex);
    stream->expires_after(timeout);
    auto [cec, ep] = co_await stream->async_connect(results, kAwait);
    if (cec) co_return Unavailable("S3 connect " + t.host + ": " + cec.message());
    stream->socket().set_option(tcp::no_delay(true));
    if (!endpoint.tls) {
      c.plain = std::move(stream);
      co_return c;
    }
    c.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), *tls);
    if (!SSL_set_tlsext_host_name(c.tls->native_handle(), t.host.c_str())) {
      co_return Unavailable("S3 TLS: cannot set SNI");
    }
    c.tls->set_verify_callback(asio::ssl::host_name_verification(t.host));
    c.lowest().expires_after(timeout);
    if (auto ec = co_await Handshake(*c.tls)) {
      co_return Unavailable("S3 TLS handshake " + t.host + ": " + ec.message());
    }
    co_return c;
  }

  // The request line and headers of a signed request.
  std::string Head(const Call& call, const Target& t) const {
    Params headers = call.headers;
    headers.emplace_back("Host", t.host_header);
    const bool has_body = call.method == "PUT" || call.method == "POST";
    if (has_body) headers.emplace_back("Content-Length", std::to_string(call.body.size()));
    const std::string payload_hash =
        call.body.empty() ? std::string(kEmptyPayloadHash) : crypto::Sha256Hex(call.body);
    SignRequest(creds, std::chrono::system_clock::now(), call.method, t.path, call.query,
                payload_hash, headers);
    std::string head(call.method);
    head += ' ';
    head += t.path;
    if (!call.query.empty()) {
      head += '?';
      head += CanonicalQuery(call.query);
    }
    head += " HTTP/1.1\r\n";
    for (const auto& [name, value] : headers) {
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    }
    head += "\r\n";
    return head;
  }

  // One attempt of a request with its body in memory.
  awaitable<base::Result<Reply>> Once(const S3Options& o, const Call& call) {
    const Target t = TargetOf(o, call.key);
    auto conn = co_await Connect(t, o.io_timeout);
    if (!conn) co_return conn.error();
    const std::string head = Head(call, t);
    conn->lowest().expires_after(o.io_timeout);
    if (auto ec = co_await conn->With([&](auto& s) { return WriteAll(s, head, call.body); })) {
      co_return Unavailable("S3 " + std::string(call.method) + " write: " + ec.message());
    }
    beast::flat_buffer buf;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    if (call.head) parser.skip(true);
    conn->lowest().expires_after(o.io_timeout);
    if (auto ec = co_await conn->With([&](auto& s) { return ReadWhole(s, buf, parser); })) {
      co_return Unavailable("S3 " + std::string(call.method) + " read: " + ec.message());
    }
    Reply r = ReplyOf(parser.get().result_int(), parser.get());
    r.body = std::move(parser.get().body());
    co_return r;
  }

  awaitable<void> Backoff(const S3Options& o, int attempt) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(o.retry_delay * (1 << std::min(attempt - 1, 10)));
    co_await timer.async_wait(kAwait);
  }

  // A request with retries: a reply that is not worth retrying (any
  // status below 500 but 429) is returned for the caller to judge.
  awaitable<base::Result<Reply>> Send(const S3Options& o, const Call& call) {
    for (int attempt = 1;; ++attempt) {
      base::Result<Reply> r = co_await Once(o, call);
      const bool retry = r ? Retryable(r->status) : r.error().code == base::ErrorCode::kUnavailable;
      if (!retry) co_return r;
      if (attempt >= o.max_attempts) {
        if (r) co_return Unavailable(Describe(call.method, call.key, *r));
        co_return r;
      }
      co_await Backoff(o, attempt);
    }
  }
};

S3Client::S3Client(S3Options options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}

S3Client::~S3Client() = default;

base::Result<std::shared_ptr<S3Client>> S3Client::Create(S3Options options) {
  TENANTD_TRY(Endpoint endpoint, ParseEndpoint(options.endpoint));
  auto bad = [](std::string why) { return base::InvalidArgument("invalid_config", why); };
  // Bucket names are 3-63 of [a-z0-9.-]; checking keeps them out of hosts
  // and paths unescaped.
  const bool bucket_ok = options.bucket.size() >= 3 && options.bucket.size() <= 63 &&
                         options.bucket.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyz0123456789.-") == std::string::npos;
  if (!bucket_ok) return bad("invalid S3 bucket: must be 3-63 of a-z, 0-9, '.' and '-'");
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return bad("the S3 access key id and secret access key must both be set");
  }
  if (options.region.empty()) return bad("the S3 region must not be empty");
  if (options.max_attempts < 1) options.max_attempts = 1;
  auto impl = std::make_unique<Impl>();
  impl->endpoint = std::move(endpoint);
  impl->creds = {options.access_key_id, options.secret_access_key, options.region, "s3"};
  if (impl->endpoint.tls) {
    impl->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    impl->tls->set_verify_mode(asio::ssl::verify_peer);
    boost::system::error_code ec;
    impl->tls->set_default_verify_paths(ec);
    if (!options.ca_file.empty()) {
      impl->tls->load_verify_file(options.ca_file, ec);
      if (ec) return bad("cannot read the S3 CA file " + options.ca_file + ": " + ec.message());
    }
  }
  return std::shared_ptr<S3Client>(new S3Client(std::move(options), std::move(impl)));
}

awaitable<base::Status> S3Client::Put(std::string_view key, std::string_view body,
                                      std::string_view content_type) {
  Call call{"PUT", key, {}, {}, body};
  if (!content_type.empty()) call.headers.emplace_back("Content-Type", std::string(content_type));
  TENANTD_CO_TRY(Reply r, co_await impl_->Send(options_, call));
  if (r.status != 200) co_return base::Internal(Describe("PUT", key, r));
  co_return base::Status();
}

awaitable<base::Result<std::optional<ObjectInfo>>> S3Client::Head(std::string_view key) {
  Call call{"HEAD", key};
  call.head = true;
  TENANTD_CO_TRY(Reply r, co_await impl_->Send(options_, call));
  if (r.status == 404) co_return std::optional<ObjectInfo>();
  if (r.status != 200) co_return base::Internal(Describe("HEAD", key, r));
  ObjectInfo info;
  const auto size = ParseUint(r.Header("Content-Length").value_or(""));
  if (!size) co_return base::Internal("S3 HEAD " + std::string(key) + ": no Content-Length");
  info.size = *size;
  info.etag = std::string(r.Header("ETag").value_or(""));
  co_return std::optional<ObjectInfo>(std::move(info));
}

awaitable<base::Result<std::unique_ptr<ObjectStream>>> S3Client::Get(std::string_view key,
                                                                     uint64_t offset,
                                                                     uint64_t length) {
  Call call{"GET", key};
  if (length > 0) {
    call.headers.emplace_back(
        "Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
  }
  const Impl::Target t = impl_->TargetOf(options_, key);
  for (int attempt = 1;; ++attempt) {
    std::optional<base::Error> failure;
    auto conn = co_await impl_->Connect(t, options_.io_timeout);
    if (conn) {
      const std::string head = impl_->Head(call, t);
      conn->lowest().expires_after(options_.io_timeout);
      beast::flat_buffer buf;
      auto parser = std::make_unique<bhttp::response_parser<bhttp::buffer_body>>();
      parser->body_limit(boost::none);
      boost::system::error_code ec =
          co_await conn->With([&](auto& s) { return WriteAll(s, head, {}); });
      if (!ec) {
        conn->lowest().expires_after(options_.io_timeout);
        ec = co_await conn->With([&](auto& s) { return ReadHeader(s, buf, *parser); });
      }
      if (ec) {
        failure = Unavailable("S3 GET " + std::string(key) + ": " + ec.message());
      } else {
        const int status = parser->get().result_int();
        Reply r = ReplyOf(status, parser->get());
        if (status == 200 || status == 206) {
          // The body starts where Content-Range says (a 200 carries the
          // whole object: stores may ignore Range) and is cut to the range
          // asked for, whatever the store sent.
          std::optional<uint64_t> size;
          std::optional<uint64_t> start = 0;
          if (status == 200) {
            size = ParseUint(r.Header("Content-Length").value_or(""));
          } else {
            // "bytes a-b/size"
            const std::string_view range = r.Header("Content-Range").value_or("");
            const std::size_t space = range.find(' ');
            const std::size_t dash = range.find('-');
            const std::size_t slash = range.rfind('/');
            if (space != std::string_view::npos && dash != std::string_view::npos &&
                slash != std::string_view::npos && space < dash && dash < slash) {
              size = ParseUint(range.substr(slash + 1));
              start = ParseUint(range.substr(space + 1, dash - space - 1));
            }
          }
          if (!size || !start || *start > offset) {
            co_return base::Internal("S3 GET " + std::string(key) + ": unusable answer to a range");
          }
          co_return std::unique_ptr<ObjectStream>(new GetStream(
              std::move(*conn), std::move(buf), std::move(parser), *size, options_.io_timeout,
              offset - *start, length > 0 ? std::optional<uint64_t>(length) : std::nullopt));
        }
        if (status == 404) co_return base::NotFound("No such file.");
        // Read the (small) error document for the log.
        if (!Retryable(status)) co_return base::Internal(Describe("GET", key, r));
        failure = Unavailable(Describe("GET", key, r));
      }
    } else {
      failure = conn.error();
    }
    if (attempt >= options_.max_attempts) co_return *failure;
    co_await impl_->Backoff(options_, attempt);
  }
}

awaitable<base::Status> S3Client::Delete(std::string_view key) {
  const Call call{"DELETE", key};
  TENANTD_CO_TRY(Reply r, co_await impl_->Send(options_, call));
  if (r.status != 204 && r.status != 200 && r.status != 404) {
    co_return base::Internal(Describe("DELETE", key, r));
  }
  co_return base::Status();
}

awaitable<base::Result<Listing>> S3Client::List(std::string_view prefix,
                                                std::string_view continuation) {
  Call call{"GET", ""};
  call.query = {{"list-type", "2"}, {"prefix", std::string(prefix)}};
  if (!continuation.empty())
    call.query.emplace_back("continuation-token", std::string(continuation));
  TENANTD_CO_TRY(Reply r, co_await impl_->Send(options_, call));
  if (r.status != 200) co_return base::Internal(Describe("LIST", prefix, r));
  Listing listing;
  listing.keys = XmlLeaves(r.body, "Key");
  if (XmlLeaf(r.body, "IsTruncated") == "true") {
    listing.next_token = XmlLeaf(r.body, "NextContinuationToken");
  }
  co_return listing;
}

awaitable<base::Result<std::string>> S3Client::CreateMultipart(std::string_view key) {
  Call call{"POST", key};
  call.query = {{"uploads", ""}};
  TENANTD_CO_TRY(Reply r, co_await impl_->Send(options_, call));
  std::string id = r.status == 200 ? XmlLeaf(r.body, "UploadId") : std::string();
  if (id.empty()) co_return base::Internal(Describe("CreateMultipartUpload", key, r));
  co_return id;
}

awaitable<base::Result<std::string>> S3Client::UploadPart(std::string_view key,
                                                          std::string_view upload_id, int number,
                                                          std::string_view body) {
  Call call{"PUT", key, {}, {}, body};
  call.query = {{"partNumber", std::to_string(number)}, {"uploadId", std::string(upload_id)}};
  TENANTD_CO_TRY(Reply r, co_await impl_->Send(options_, call));
  const std::string_view etag = r.Header("ETag").value_or("");
  if (r.status != 200 || etag.empty()) co_return base::Internal(Describe("UploadPart", key, r));
  co_return std::string(etag);
}

awaitable<base::Status> S3Client::CompleteMultipart(std::string_view key,
                                                    std::string_view upload_id,
                                                    const std::vector<CompletedPart>& parts) {
  std::string xml = "<CompleteMultipartUpload>";
  for (const CompletedPart& p : parts) {
    xml += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>" +
           XmlEscape(p.etag) + "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  Call call{"POST", key, {}, {{"Content-Type", "application/xml"}}, xml};
  call.query = {{"uploadId", std::string(upload_id)}};
  TENANTD_CO_TRY(Reply r, co_await impl_->Send(options_, call));
  // S3 may answer 200 and report the failure in the body.
  if (r.status != 200 || r.body.find("<Error>") != std::string::npos) {
    co_return base::Internal(Describe("CompleteMultipartUpload", key, r));
  }
  co_return base::Status();
}

awaitable<base::Status> S3Client::AbortMultipart(std::string_view key, std::string_view upload_id) {
  Call call{"DELETE", key};
  call.query = {{"uploadId", std::string(upload_id)}};
  TENANTD_CO_TRY(Reply r, co_await impl_->Send(options_, call));
  if (r.status != 204 && r.status != 200 && r.status != 404) {
    co_return base::Internal(Describe("AbortMultipartUpload", key, r));
  }
  co_return base::Status();
}

std::string S3Client::PresignedUrl(std::string_view method, std::string_view key,
                                   base::TimePoint now, int64_t expires_seconds,
                                   const Params& query, const Params& headers) const {
  const Impl::Target t = impl_->TargetOf(options_, key);
  Params signed_headers = headers;
  signed_headers.emplace_back("host", t.host_header);
  std::string url = impl_->endpoint.tls ? "https://" : "http://";
  url += t.host_header;
  url += t.path;
  url += '?';
  url += PresignQuery(impl_->creds, now, expires_seconds, method, t.path, query, signed_headers);
  return url;
}

}  // namespace tenantd::s3
