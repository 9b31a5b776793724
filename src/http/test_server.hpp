#pragma once
// TEST ONLY (included by *_test.cpp, never by library code): a small HTTP/1.1 server on
// 127.0.0.1, plain or TLS, running its own io_context on its own thread, for tests of the
// outbound client and of the modules built on it. One request per connection; every reply
// closes the connection. Also a self-signed certificate generator for TLS tests.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "http/asio.hpp"
#include "http/message.hpp"

namespace mcpgate::http::testing {

struct TestReply {
  Response response{bhttp::status::ok, 11};
  std::string raw;                     // written verbatim instead of `response` when not empty
  std::chrono::milliseconds delay{0};  // wait this long before answering
};

// A complete reply: status, body, Content-Type and optional extra headers.
inline TestReply make_reply(unsigned status,
                            std::string body,
                            std::string_view content_type = "application/json",
                            std::initializer_list<std::pair<Field, std::string>> headers = {}) {
  TestReply r;
  r.response.result(status);
  if (!content_type.empty()) {
    r.response.set(Field::content_type, content_type);
  }
  for (const auto& [field, value] : headers) {
    r.response.set(field, value);
  }
  r.response.body() = std::move(body);
  r.response.prepare_payload();
  return r;
}

class TestServer {
 public:
  using Handler = std::function<TestReply(const Request&)>;

  explicit TestServer(Handler handler, std::shared_ptr<asio::ssl::context> tls = nullptr)
      : handler_(std::move(handler)), tls_(std::move(tls)), acceptor_(ioc_) {
    const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~TestServer() {
    ioc_.stop();
    thread_.join();
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  uint16_t port() const { return port_; }

  // Requests and connections accepted so far.
  size_t requests() const { return requests_.load(); }

  size_t connections() const { return connections_.load(); }

  std::string url(std::string_view path, std::string_view host = "127.0.0.1") const {
    return std::string(tls_ ? "https://" : "http://") + std::string(host) + ":"
           + std::to_string(port_) + std::string(path);
  }

  void set_handler(Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(handler);
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      asio::ip::tcp::socket socket =
          co_await acceptor_.async_accept(ioc_, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      ++connections_;
      if (tls_) {
        asio::co_spawn(ioc_,
                       serve_tls(boost::beast::ssl_stream<boost::beast::tcp_stream>(
                           boost::beast::tcp_stream(std::move(socket)), *tls_)),
                       asio::detached);
      } else {
        asio::co_spawn(ioc_, serve(boost::beast::tcp_stream(std::move(socket))), asio::detached);
      }
    }
  }

  asio::awaitable<void> serve_tls(boost::beast::ssl_stream<boost::beast::tcp_stream> stream) {
    boost::system::error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      co_await answer(stream);
    }
  }

  asio::awaitable<void> serve(boost::beast::tcp_stream stream) {
    co_await answer(stream);
    boost::system::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }

  template <class Stream>
  asio::awaitable<void> answer(Stream& stream) {
    boost::system::error_code ec;
    boost::beast::flat_buffer buffer;
    Request req;
    co_await bhttp::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    ++requests_;
    TestReply reply;
    {
      std::lock_guard<std::mutex> lock(mu_);
      reply = handler_(req);
    }
    if (reply.delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, reply.delay);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!reply.raw.empty()) {
      co_await asio::async_write(
          stream, asio::buffer(reply.raw), asio::redirect_error(asio::use_awaitable, ec));
    } else {
      reply.response.keep_alive(false);
      co_await bhttp::async_write(
          stream, reply.response, asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  std::mutex mu_;
  Handler handler_;
  std::shared_ptr<asio::ssl::context> tls_;
  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<size_t> requests_{0};
  std::atomic<size_t> connections_{0};
  std::thread thread_;
};

// A port on 127.0.0.1 with nothing listening (bound, then released).
inline uint16_t unused_port() {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed P-256 certificate (CA:TRUE, so it can be its own trust anchor) whose
// subjectAltName is `san`, e.g. "DNS:localhost,IP:127.0.0.1".
inline TestCertificate make_self_signed_certificate(const std::string& san) {
  auto fail = [](const char* what) {
    throw std::runtime_error(what);
  };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!key || !cert) {
    fail("key or certificate allocation");
  }
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(
      X509_get_serialNumber(cert.get()),
      static_cast<long>(std::chrono::system_clock::now().time_since_epoch().count() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("mcpgate test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
      {NID_subject_key_identifier, "hash"},
      {NID_subject_alt_name, san},
  };
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) {
      fail("certificate extension");
    }
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    fail("certificate signature");
  }
  auto to_pem = [&](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || write(bio.get()) != 1) {
      fail("PEM encoding");
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
  };
  TestCertificate out;
  out.cert_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  out.key_pem = to_pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return out;
}

// A TLS server context presenting `cert`.
inline std::shared_ptr<asio::ssl::context> make_server_tls(const TestCertificate& cert) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->use_certificate_chain(asio::buffer(cert.cert_pem));
  ctx->use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
  return ctx;
}

template <class T>
asio::awaitable<std::optional<T>> boxed_for_test(asio::awaitable<T> aw) {
  co_return co_await std::move(aw);
}

// run_awaitable: drives a coroutine to completion on a fresh io_context (rethrows). The result
// travels boxed: Boost 1.74's co_spawn needs a default-constructible type and Result has none.
template <class T>
T run_awaitable(asio::awaitable<T> aw) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, boxed_for_test(std::move(aw)), asio::use_future);
  ioc.run();
  return std::move(*fut.get());
}

}  // namespace mcpgate::http::testing
