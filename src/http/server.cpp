#include "http/server.h"

#include "http/body_source.h"

#include <sys/sendfile.h>
#include <unistd.h>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cerrno>
#include <ctime>
#include <list>
#include <thread>
#include <vector>

#include "base/ids.h"
#include "http/body_reader.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "http/request_parser.h"
#include "http/router.h"

namespace tenantd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// One event loop: an io_context run by exactly one thread, and the
// connections it owns (touched only from that thread).
struct Loop;
struct Connection {
  beast::tcp_stream* lowest = nullptr;
  bool idle = false;  // waiting for the first byte of a request
};
struct Loop {
  std::list<Connection*> connections;  // declared before ioc: outlives its handlers
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
};

// RFC 9110 IMF-fixdate, cached per thread for the current second.
std::string_view HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char buf[40];
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return buf;
}

// A client-sent X-Request-Id is kept when it is 1..128 printable ASCII
// characters; anything else is replaced so log lines stay parseable.
bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// A request the server refuses itself, before any handler runs; turned into
// problem+json once the request id is known.
struct Rejection {
  int status;
  const char* code;
  std::string detail;
};

// The answer to a request the parser refused (api.md §1). `malformed`
// describes a kMalformed one.
Rejection RejectionFor(ParseStatus status, std::uint64_t body_limit, const char* malformed) {
  switch (status) {
    case ParseStatus::kUriTooLong:
      return {414, "uri_too_long", "The request line exceeds 8 KiB."};
    case ParseStatus::kHeaderTooLarge:
      return {431, "header_too_large", "The request header block exceeds 16 KiB."};
    case ParseStatus::kChunkFramingTooLarge:
      return {431, "chunk_framing_too_large",
              "Chunk extensions, chunk-size padding and trailers exceed 16 KiB."};
    case ParseStatus::kBodyTooLarge:
      if (body_limit == 0) return {413, "payload_too_large", "This route takes no request body."};
      return {413, "payload_too_large",
              "The request body exceeds " + std::to_string(body_limit) + " bytes."};
    case ParseStatus::kBadTransferEncoding:
      return {400, "bad_transfer_encoding",
              "Transfer-Encoding must be chunked, once and last, in HTTP/1.1, without "
              "Content-Length."};
    case ParseStatus::kUnsupportedTransferCoding:
      return {501, "unsupported_transfer_coding",
              "The only transfer coding this server accepts is chunked."};
    default:
      return {400, "bad_request", malformed};
  }
}

// GET, HEAD and DELETE requests carry no body: one announced there is
// refused (413) rather than buffered.
bool MethodTakesBody(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "DELETE";
}

void AppendNumber(std::string& out, uint64_t v) {
  char buf[24];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, end);
}

// Handlers build header values from validated data; a CR or LF would still
// split the response (header injection), so such a header is dropped.
void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  if (name.find_first_of("\r\n:") != std::string_view::npos ||
      value.find_first_of("\r\n") != std::string_view::npos) {
    return;
  }
  out += "\r\n";
  out += name;
  out += ": ";
  out += value;
}

bool IsTimeout(const boost::system::error_code& ec) { return ec == beast::error::timeout; }

// What parsing more of a request came to: a parser status, or the transport
// error that stopped it (`io`, with status kNeedMore).
struct ParseOutcome {
  ParseStatus status = ParseStatus::kNeedMore;
  boost::system::error_code io;
};

// Parses what `buffer` holds, reading from `stream` while the parser needs
// more. The caller arms the deadline; `idle`, when set, re-arms it before
// each read (a body may take long, but must not stall).
template <class Stream, class Body>
asio::awaitable<ParseOutcome> ParseSome(Stream& stream, beast::flat_buffer& buffer,
                                        RequestParser<Body>& parser,
                                        std::optional<std::chrono::seconds> idle) {
  for (;;) {
    const ParseStatus status = parser.Put(buffer);
    if (status != ParseStatus::kNeedMore) co_return ParseOutcome{status, {}};
    if (idle) beast::get_lowest_layer(stream).expires_after(*idle);
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunkBytes), kAwait);
    buffer.commit(n);
    if (ec == asio::error::eof) co_return ParseOutcome{parser.PutEof(), {}};
    if (ec) co_return ParseOutcome{ParseStatus::kNeedMore, ec};
  }
}

// A streaming route's body, read on demand into the handler's buffer by a
// buffer_body parser taken over from the header parser (Beast allows the
// switch once the header is done and the body not begun).
template <class Stream>
class StreamingBody final : public BodyReader {
 public:
  StreamingBody(Stream& stream, beast::flat_buffer& buffer,
                RequestParser<bhttp::string_body>&& header, std::size_t limit,
                std::optional<uint64_t> content_length, std::chrono::seconds idle_timeout,
                unsigned version, bool expect_continue)
      : stream_(stream),
        buffer_(buffer),
        parser_(std::move(header)),
        content_length_(content_length),
        idle_timeout_(idle_timeout),
        version_(version),
        expect_continue_(expect_continue) {
    parser_.set_body_limit(limit != 0 ? std::uint64_t{limit} : UINT64_MAX);  // 0 = none
  }

  asio::awaitable<BodyChunk> Read(std::span<char> out) override {
    if (done() || out.empty()) co_return BodyChunk{};
    if (expect_continue_) {
      expect_continue_ = false;
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version_};
      beast::get_lowest_layer(stream_).expires_after(idle_timeout_);
      auto [wec, wn] = co_await bhttp::async_write(stream_, cont, kAwait);
      if (wec) co_return BodyChunk{0, BodyError::kClientGone};
    }
    auto& body = parser_.get().get().body();
    for (;;) {
      body.data = out.data();
      body.size = out.size();
      const ParseOutcome r = co_await ParseSome(stream_, buffer_, parser_, idle_timeout_);
      if (r.io)
        co_return BodyChunk{0, IsTimeout(r.io) ? BodyError::kTimeout : BodyError::kClientGone};
      if (r.status != ParseStatus::kDone) co_return BodyChunk{0, Classify(r.status)};
      const std::size_t got = out.size() - body.size;
      bytes_read_ += got;
      if (got > 0 || done()) co_return BodyChunk{got};
    }
  }
  std::optional<uint64_t> content_length() const override { return content_length_; }
  uint64_t bytes_read() const override { return bytes_read_; }
  bool done() const override { return parser_.get().is_done(); }

 private:
  static BodyError Classify(ParseStatus status) {
    if (status == ParseStatus::kBodyTooLarge) return BodyError::kTooLarge;
    if (status == ParseStatus::kEndOfStream) return BodyError::kClientGone;
    return BodyError::kMalformed;
  }

  Stream& stream_;
  beast::flat_buffer& buffer_;
  RequestParser<bhttp::buffer_body> parser_;
  std::optional<uint64_t> content_length_;
  std::chrono::seconds idle_timeout_;
  unsigned version_;
  bool expect_continue_;
  uint64_t bytes_read_ = 0;
};

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router, Metrics& metrics, ServerHooks hooks)
      : options_(std::move(options)), router_(router), metrics_(metrics), hooks_(std::move(hooks)) {
    const unsigned n = std::max(1u, options_.threads);
    for (unsigned i = 0; i < n; ++i) loops_.push_back(std::make_unique<Loop>());
  }

  base::Status Listen();
  uint16_t port() const { return port_; }
  bool is_tls() const { return tls_ != nullptr; }
  void Run(bool handle_signals);
  void Stop() {
    asio::post(loops_[0]->ioc, [this] { BeginShutdown(); });
  }

 private:
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> RunConnection(tcp::socket socket, Loop& loop);
  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, Loop& loop, const std::string& remote_ip);
  template <class Stream>
  asio::awaitable<std::size_t> Write(Stream& stream, std::string& head, const Request& req,
                                     unsigned version, bool keep_alive, Response& res);
  template <class Stream>
  asio::awaitable<bool> WriteFile(Stream& stream, Response::FileBody& file);
  template <class Stream>
  asio::awaitable<bool> WriteStream(Stream& stream, Response::StreamBody& body);
  template <class Stream>
  asio::awaitable<void> DiscardUnreadBody(Stream& stream, beast::flat_buffer& buffer);
  asio::awaitable<Response> Dispatch(const Route& route, Request& req, RequestContext& ctx);
  void BeginShutdown();
  asio::awaitable<void> Drain();
  void ReportError(std::string_view request_id, std::string_view message) {
    if (hooks_.on_error) hooks_.on_error(request_id, message);
  }

  ServerOptions options_;
  const Router& router_;
  Metrics& metrics_;
  ServerHooks hooks_;
  std::unique_ptr<asio::ssl::context> tls_;  // before loops_: streams refer to it
  std::vector<std::unique_ptr<Loop>> loops_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  uint16_t port_ = 0;
  std::size_t next_loop_ = 0;
  std::atomic<bool> stopping_{false};
  bool shutdown_started_ = false;  // loop 0 only
};

base::Status Server::Impl::Listen() {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  if (!options_.tls_cert.empty()) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert, ec);
    if (ec) {
      return base::InvalidArgument(
          "invalid_config", "cannot load tls_cert " + options_.tls_cert + ": " + ec.message());
    }
    tls_->use_private_key_file(options_.tls_key, asio::ssl::context::pem, ec);
    if (ec) {
      return base::InvalidArgument("invalid_config",
                                   "cannot load tls_key " + options_.tls_key + ": " + ec.message());
    }
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return base::InvalidArgument("invalid_config", "invalid host " + options_.host);
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_ = std::make_unique<tcp::acceptor>(loops_[0]->ioc);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) {
    port_ = acceptor_->local_endpoint().port();
    return {};
  }
  return base::MakeError(base::ErrorCode::kUnavailable, "listen_failed",
                         "cannot listen on " + where + ": " + ec.message());
}

void Server::Impl::Run(bool handle_signals) {
  asio::signal_set signals(loops_[0]->ioc);
  if (handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) BeginShutdown();
    });
  }
  asio::co_spawn(loops_[0]->ioc, AcceptLoop(), [this](std::exception_ptr e) {
    if (e) ReportError("", "accept loop ended unexpectedly");
  });
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < loops_.size(); ++i) {
    threads.emplace_back([loop = loops_[i].get()] { loop->ioc.run(); });
  }
  loops_[0]->ioc.run();
  for (auto& t : threads) t.join();
}

asio::awaitable<void> Server::Impl::AcceptLoop() {
  for (;;) {
    Loop& loop = *loops_[next_loop_];
    next_loop_ = (next_loop_ + 1) % loops_.size();
    auto [ec, socket] = co_await acceptor_->async_accept(loop.ioc, kAwait);
    if (stopping_) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors or a transient network error: back off
      // briefly rather than spin, and keep serving the connections we have.
      ReportError("", "accept failed: " + ec.message());
      asio::steady_timer t(acceptor_->get_executor(), 50ms);
      co_await t.async_wait(kAwait);
      continue;
    }
    asio::co_spawn(loop.ioc, RunConnection(std::move(socket), loop), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        ReportError("", std::string("connection failed: ") + ex.what());
      }
    });
  }
}

asio::awaitable<void> Server::Impl::RunConnection(tcp::socket socket, Loop& loop) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  const auto remote = socket.remote_endpoint(ec);
  const std::string remote_ip = ec ? std::string("-") : remote.address().to_string();
  metrics_.ConnectionOpened();
  struct Closed {
    Metrics& m;
    ~Closed() { m.ConnectionClosed(); }
  } closed{metrics_};

  if (tls_) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls_);
    beast::get_lowest_layer(stream).expires_after(options_.header_timeout);
    auto [hs_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kAwait);
    if (hs_ec) co_return;  // not TLS, or a scanner: nothing to answer
    co_await Serve(stream, loop, remote_ip);
    beast::get_lowest_layer(stream).expires_after(1s);
    co_await stream.async_shutdown(kAwait);
  } else {
    socket.non_blocking(true, ec);  // lets Write try a direct send first
    beast::tcp_stream stream(std::move(socket));
    co_await Serve(stream, loop, remote_ip);
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

template <class Stream>
asio::awaitable<void> Server::Impl::Serve(Stream& stream, Loop& loop,
                                          const std::string& remote_ip) {
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  Connection conn{&lowest, false};
  loop.connections.push_front(&conn);
  struct Unregister {
    Loop& loop;
    std::list<Connection*>::iterator it;
    ~Unregister() { loop.connections.erase(it); }
  } unregister{loop, loop.connections.begin()};

  beast::flat_buffer buffer;
  std::string head_buffer;  // response header block, reused across requests
  bool first = true;
  for (;;) {
    // Phase 1: wait for the first byte. A new connection gets the header
    // timeout, an idle keep-alive one the keep-alive timeout; on shutdown
    // only connections parked here are closed at once.
    if (stopping_) co_return;
    if (buffer.size() == 0) {
      lowest.expires_after(first ? options_.header_timeout : options_.keepalive_timeout);
      conn.idle = true;
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kAwait);
      conn.idle = false;
      if (ec) co_return;  // EOF, idle timeout, reset, or shutdown
      buffer.commit(n);
    }
    first = false;

    // Phase 2: the header block, under one absolute deadline, so a client
    // dribbling one byte a second cannot hold the connection open.
    const auto started = std::chrono::steady_clock::now();
    const auto started_wall = std::chrono::system_clock::now();
    lowest.expires_after(options_.header_timeout);
    RequestParser<bhttp::string_body> parser;

    RequestContext ctx;
    Request req;
    req.remote_ip = remote_ip;
    req.peer_ip = remote_ip;
    req.is_tls = tls_ != nullptr;
    std::size_t pattern_index = SIZE_MAX;
    bool keep_alive = true;
    unsigned version = 11;
    std::optional<Rejection> early;  // answered by the server itself, then close
    std::optional<StreamingBody<Stream>> streaming_body;

    ParseOutcome head;
    do {
      head = co_await ParseSome(stream, buffer, parser, std::nullopt);
    } while (!head.io && head.status == ParseStatus::kDone && !parser.get().is_header_done());
    if (head.io) {
      if (!IsTimeout(head.io)) co_return;  // reset, or shutdown
      early = Rejection{408, "request_timeout", "The request headers did not arrive in time."};
    } else if (head.status == ParseStatus::kEndOfStream) {
      co_return;
    } else if (head.status != ParseStatus::kDone) {
      early = RejectionFor(head.status, 0, "The request is not valid HTTP/1.1.");
    }

    const Route* route = nullptr;
    if (parser.get().is_header_done()) {
      // Also for a refused header (a bad Transfer-Encoding): the access log
      // and the request id then name the request.
      auto& h = parser.get().get();
      req.method = std::string(h.method_string());
      req.target = std::string(h.target());
      version = h.version();
      keep_alive = h.keep_alive();
      for (const auto& f : h) req.headers.Add(std::string(f.name_string()), std::string(f.value()));
      if (!options_.trusted_proxies.empty()) {
        req.remote_ip = ClientAddress(remote_ip, req.headers, options_.trusted_proxies,
                                      options_.forwarded_header);
      }
      if (auto id = req.headers.Get("X-Request-Id"); id && IsSaneRequestId(*id)) {
        ctx.request_id = std::string(*id);
      }
    }
    if (ctx.request_id.empty()) ctx.request_id = base::NewId("req");

    RouteMatch match;
    if (!early) {
      match = router_.Find(req.method, req.Path());
      route = match.route;
      pattern_index = match.pattern_index;
      req.path_params = std::move(match.params);
    }
    // Phase 3: the body, with a size limit known before reading when the
    // client sends Content-Length, and an idle deadline per read. A
    // streaming route reads its own body (limit 0 = none); no body is read
    // for a request without a route (404/405 close the connection instead).
    if (route) {
      const bool streaming = route->options.stream_body;
      std::size_t limit = route->options.max_body_bytes || streaming ? route->options.max_body_bytes
                                                                     : options_.max_body_bytes;
      if (!MethodTakesBody(route->method)) limit = 0;
      const auto content_length = parser.get().content_length();
      if (content_length && (limit != 0 || !streaming) && *content_length > limit) {
        early = RejectionFor(ParseStatus::kBodyTooLarge, limit, "");
      } else if (streaming) {
        const auto expect = req.headers.Get("Expect");
        streaming_body.emplace(
            stream, buffer, std::move(parser), limit,
            content_length ? std::optional<uint64_t>(*content_length) : std::nullopt,
            options_.body_idle_timeout, version, expect && beast::iequals(*expect, "100-continue"));
        req.body_reader = &*streaming_body;
      } else if (!parser.get().is_done()) {
        parser.set_body_limit(limit);
        if (auto expect = req.headers.Get("Expect");
            expect && beast::iequals(*expect, "100-continue")) {
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
          lowest.expires_after(options_.body_idle_timeout);
          auto [wec, wn] = co_await bhttp::async_write(stream, cont, kAwait);
          if (wec) co_return;
        }
        while (!early && !parser.get().is_done()) {
          const ParseOutcome body =
              co_await ParseSome(stream, buffer, parser, options_.body_idle_timeout);
          if (body.io) {
            if (!IsTimeout(body.io)) co_return;  // the client went away mid-body
            early = Rejection{408, "request_timeout", "The request body stalled."};
          } else if (body.status == ParseStatus::kEndOfStream) {
            co_return;
          } else if (body.status != ParseStatus::kDone) {
            early = RejectionFor(body.status, limit, "The request body is malformed.");
          }
        }
      }
      if (!early && !streaming) req.body = std::move(parser.get().get().body());
    }

    // Phase 4: answer.
    Response res;
    if (early) {
      if (early->status == 408 && stopping_) co_return;
      res = ProblemResponse(early->status, early->code, early->detail, ctx.request_id);
      res.close_connection = true;  // the rest of the request was not read
    } else if (!route) {
      res = match.path_exists()
                ? ProblemResponse(405, "method_not_allowed",
                                  "This route does not support " + req.method + ".", ctx.request_id)
                : ProblemResponse(404, "not_found", "No such route.", ctx.request_id);
      if (!match.allow.empty()) res.headers.Add("Allow", match.allow);
    } else {
      res = co_await Dispatch(*route, req, ctx);
    }
    // A body the handler left unread (or that was never read: a refused
    // request, no route) cannot be skipped reliably: close.
    const bool unread_body = streaming_body ? !streaming_body->done() : !parser.get().is_done();
    if (unread_body) res.close_connection = true;
    res.headers.Add("X-Request-Id", ctx.request_id);
    const bool keep = keep_alive && !res.close_connection && !stopping_;
    const std::size_t body_size = co_await Write(stream, head_buffer, req, version, keep, res);

    const auto elapsed = std::chrono::steady_clock::now() - started;
    metrics_.RecordRequest(pattern_index, res.status, elapsed);
    if (hooks_.on_access) {
      AccessRecord rec;
      rec.start = started_wall;
      rec.status = res.status;
      const std::string& method = ctx.logged_method.empty() ? req.method : ctx.logged_method;
      const std::string& target = ctx.logged_target.empty() ? req.target : ctx.logged_target;
      rec.method = method.empty() ? std::string_view("-") : std::string_view(method);
      rec.target = target.empty() ? std::string_view("-") : std::string_view(target);
      rec.duration = elapsed;
      rec.bytes_sent = body_size;
      rec.bytes_received = streaming_body ? streaming_body->bytes_read() : req.body.size();
      rec.tenant = ctx.tenant_slug;
      rec.tenant_id = ctx.auth.tenant_id;
      rec.request_id = ctx.request_id;
      rec.remote_ip = req.remote_ip;
      rec.user_agent = req.headers.Get("User-Agent").value_or("");
      rec.referer = req.headers.Get("Referer").value_or("");
      hooks_.on_access(rec);
    }
    if (body_size == SIZE_MAX) co_return;
    if (unread_body && res.status != 408) co_await DiscardUnreadBody(stream, buffer);
    if (!keep) co_return;
  }
}

// Closing a socket with unread bytes in its receive queue resets the
// connection, and the reset can destroy the answer before the client reads
// it (a 401 or 413 to an upload). So, as nginx's lingering close does, stop
// sending, then read and drop what the client still sends, for a bounded
// time and amount.
template <class Stream>
asio::awaitable<void> Server::Impl::DiscardUnreadBody(Stream& stream, beast::flat_buffer& buffer) {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    constexpr std::size_t kMaxDiscard = 16 * 1024 * 1024;
    std::size_t discarded = 0;
    stream.expires_after(2s);
    while (!ec && discarded < kMaxDiscard) {
      buffer.clear();
      auto [rec, n] = co_await stream.async_read_some(buffer.prepare(64 * 1024), kAwait);
      ec = rec;
      discarded += n;
    }
  }
  co_return;
}

template <class Stream>
asio::awaitable<std::size_t> Server::Impl::Write(Stream& stream, std::string& head,
                                                 const Request& req, unsigned version,
                                                 bool keep_alive, Response& res) {
  // The header block is serialised by hand into the connection's reused
  // buffer `head` (never shared: a write may suspend) and sent
  // with the body in a single gather write: cheaper than Beast's serializer
  // on the hot path, and the response shape here is simple.
  head.clear();
  head += "HTTP/1.1 ";
  AppendNumber(head, static_cast<uint64_t>(res.status));
  head += ' ';
  head += ReasonPhrase(res.status);
  head += "\r\nDate: ";
  head += HttpDate();
  if (!res.content_type.empty()) AppendHeader(head, "Content-Type", res.content_type);
  for (const auto& h : res.headers.items()) AppendHeader(head, h.name, h.value);
  const std::size_t body_size = res.file     ? res.file->length
                                : res.stream ? res.stream->length
                                             : res.body.size();
  if (res.status != 204 && res.status != 304 && res.status >= 200) {
    head += "\r\nContent-Length: ";
    AppendNumber(head, body_size);
  }
  if (!keep_alive) {
    head += "\r\nConnection: close";
  } else if (version == 10) {
    head += "\r\nConnection: keep-alive";
  }
  head += "\r\n\r\n";
  const bool is_head = req.method == "HEAD";
  const bool send_file = res.file && !is_head && body_size > 0;
  const bool send_stream = res.stream && !is_head && body_size > 0;
  const std::array<asio::const_buffer, 2> buffers{
      asio::buffer(head), is_head ? asio::const_buffer() : asio::buffer(res.body)};
  const std::size_t sent = is_head ? 0 : body_size;
  beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(buffers);
  bool written = false;
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    // Most answers fit the socket buffer: one non-blocking write, without
    // arming a timer or suspending. Only what the kernel did not take waits,
    // under the body-idle deadline, for a slow reader.
    boost::system::error_code ec;
    const std::size_t n = stream.socket().write_some(buffers, ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) co_return SIZE_MAX;
    if (!ec && n == beast::buffer_bytes(buffers)) written = true;
    if (!ec && !written) rest.consume(n);
  }
  if (!written) {
    beast::get_lowest_layer(stream).expires_after(options_.body_idle_timeout);
    auto [ec, n] = co_await asio::async_write(stream, rest, kAwait);
    if (ec) co_return SIZE_MAX;
  }
  if (send_file && !co_await WriteFile(stream, *res.file)) co_return SIZE_MAX;
  if (send_stream && !co_await WriteStream(stream, *res.stream)) co_return SIZE_MAX;
  co_return sent;
}

// A streamed body: read from its source into one 64 KiB buffer and
// written, one buffer at a time, so memory stays flat and a slow client
// slows the source down. A source that fails or ends early closes the
// connection: the client sees a short body, never a wrong one.
template <class Stream>
asio::awaitable<bool> Server::Impl::WriteStream(Stream& stream, Response::StreamBody& body) {
  std::vector<char> chunk(64 * 1024);
  uint64_t left = body.length;
  while (left > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(left, chunk.size()));
    const std::optional<std::size_t> n =
        co_await body.source->Read(std::span<char>(chunk.data(), want));
    if (!n || *n == 0) co_return false;
    left -= *n;
    beast::get_lowest_layer(stream).expires_after(options_.body_idle_timeout);
    auto [ec, written] = co_await asio::async_write(stream, asio::buffer(chunk.data(), *n), kAwait);
    if (ec) co_return false;
  }
  co_return true;
}

// A file body: sendfile(2) on plain TCP, so the bytes go from the page cache
// to the socket without passing through user space; through a 64 KiB buffer
// under TLS. Either way memory stays flat whatever the file's size. A
// reader that takes nothing for the body idle timeout is dropped.
template <class Stream>
asio::awaitable<bool> Server::Impl::WriteFile(Stream& stream, Response::FileBody& file) {
  uint64_t left = file.length;
  off_t offset = static_cast<off_t>(file.offset);
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    tcp::socket& socket = stream.socket();
    while (left > 0) {
      const std::size_t chunk = static_cast<std::size_t>(std::min<uint64_t>(left, 1u << 30));
      const ssize_t n = ::sendfile(socket.native_handle(), file.fd.get(), &offset, chunk);
      if (n > 0) {
        left -= static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) co_return false;  // the file is shorter than announced
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) co_return false;
      asio::steady_timer deadline(socket.get_executor(), options_.body_idle_timeout);
      deadline.async_wait([&socket](const boost::system::error_code& ec) {
        if (!ec) socket.cancel();
      });
      auto [ec] = co_await socket.async_wait(tcp::socket::wait_write, kAwait);
      deadline.cancel();
      if (ec) co_return false;
    }
  } else {
    std::vector<char> chunk(64 * 1024);
    while (left > 0) {
      const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(left, chunk.size()));
      const ssize_t n = ::pread(file.fd.get(), chunk.data(), want, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) co_return false;
      offset += n;
      left -= static_cast<uint64_t>(n);
      beast::get_lowest_layer(stream).expires_after(options_.body_idle_timeout);
      auto [ec, written] = co_await asio::async_write(
          stream, asio::buffer(chunk.data(), static_cast<std::size_t>(n)), kAwait);
      if (ec) co_return false;
    }
  }
  co_return true;
}

asio::awaitable<Response> Server::Impl::Dispatch(const Route& route, Request& req,
                                                 RequestContext& ctx) {
  std::size_t passed = 0;
  std::optional<Response> res;
  try {
    for (const Stage* stage : route.stages) {
      res = co_await stage->OnRequest(req, ctx);
      if (res) break;
      ++passed;
    }
    if (!res) res = co_await route.handler(req, ctx);
    for (std::size_t i = passed; i-- > 0;) route.stages[i]->OnResponse(ctx, *res);
  } catch (const std::exception& e) {
    // The last line of defence: a bug must cost one request, not the server,
    // and must not leak its message to the client.
    ReportError(ctx.request_id, std::string("unhandled exception in ") + route.method + " " +
                                    route.pattern + ": " + e.what());
    res = ProblemResponse(500, "internal_error", "The server could not complete the request.",
                          ctx.request_id);
  }
  co_return std::move(*res);
}

void Server::Impl::BeginShutdown() {
  if (shutdown_started_) return;
  shutdown_started_ = true;
  stopping_ = true;
  boost::system::error_code ec;
  if (acceptor_) acceptor_->close(ec);
  for (auto& loop : loops_) {
    asio::post(loop->ioc, [l = loop.get()] {
      for (Connection* c : l->connections) {
        if (c->idle) c->lowest->cancel();
      }
    });
  }
  asio::co_spawn(loops_[0]->ioc, Drain(), asio::detached);
}

asio::awaitable<void> Server::Impl::Drain() {
  const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_timeout;
  asio::steady_timer timer(loops_[0]->ioc);
  while (metrics_.open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(20ms);
    co_await timer.async_wait(kAwait);
  }
  // Whatever is still open is abandoned: destroying the io_contexts closes it.
  for (auto& loop : loops_) {
    loop->guard.reset();
    loop->ioc.stop();
  }
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics, ServerHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, std::move(hooks))) {}
Server::~Server() = default;
base::Status Server::Listen() { return impl_->Listen(); }
uint16_t Server::port() const { return impl_->port(); }
bool Server::is_tls() const { return impl_->is_tls(); }
void Server::Run(bool handle_signals) { impl_->Run(handle_signals); }
void Server::Stop() { impl_->Stop(); }

}  // namespace tenantd::http
