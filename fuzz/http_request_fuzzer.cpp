// Bytes from the network → the request reader with the server's own limits and checks
// (http/request_checks.hpp), the way a connection reads: head, head checks, body, then the next
// pipelined request. Input: [read size][body limit][head limit] then the bytes on the wire. The
// three leading bytes pick how many bytes each read returns (so the parser's resumable states
// are exercised) and small limits (so short inputs reach them). A body over the limit that gets
// through is a crash.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include "http/asio.hpp"
#include "http/message.hpp"
#include "http/request_checks.hpp"
#include "http/router.hpp"

namespace {

namespace beast = boost::beast;
using namespace mcpgate::http;

std::string_view unparsed(const beast::flat_buffer& buffer) {
  const auto data = buffer.cdata();
  return {static_cast<const char*>(data.data()), data.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) {
    return 0;
  }
  static boost::asio::io_context ioc;
  const std::size_t read_size = data[0] < 128 ? std::size_t{1} + data[0] % 16 : 4096;
  ServerOptions options;
  options.max_body_bytes = data[1];
  options.max_header_bytes = 64 + std::size_t{data[2]} * 4;
  const std::string_view wire(reinterpret_cast<const char*>(data + 3), size - 3);  // NOLINT
  beast::test::stream in(ioc, wire);
  in.read_size(read_size);
  in.close_remote();

  beast::flat_buffer buffer;
  for (int i = 0; i < 64; ++i) {  // pipelined requests
    RequestParser parser;
    apply_limits(parser, options);
    beast::error_code ec;
    bhttp::read_header(in, buffer, parser, ec);
    if (ec) {
      (void)failure_response(classify_read_error(ec, unparsed(buffer)));
      break;
    }
    if (const RequestFailure f = check_head(parser, options); f != RequestFailure::kNone) {
      (void)failure_response(f);
      break;
    }
    bhttp::read(in, buffer, parser, ec);
    if (ec) {
      (void)failure_response(classify_read_error(ec));
      break;
    }
    const Request req = parser.release();
    if (req.body().size() > options.max_body_bytes) {
      __builtin_trap();  // the body limit was bypassed
    }
    // What handlers look at.
    (void)target_path(req.target());
    (void)header(req, "Host");
    (void)header(req, "Content-Type");
    if (!req.keep_alive()) {
      break;
    }
  }
  return 0;
}
