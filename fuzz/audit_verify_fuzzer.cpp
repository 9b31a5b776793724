// Bytes -> audit::verify_stream and audit::parse_record_line, the path an exported audit log
// (possibly tampered with, possibly hostile) takes through `mcpgate audit verify`. The first
// byte picks the options (bit 0: a partial export; bits 1-3: the line cap, 256 << n bytes); the
// rest is the JSON-lines stream. Beyond "no crash":
//  * a line the parser accepts is within the cap, has seq >= 1 and a 64-hex prev, and is the
//    canonical text of its own value;
//  * an intact verdict covers every line, and its last hash is the hash of the last line;
//  * a broken verdict names a line that exists (or line 0 for an empty stream);
//  * the incremental ChainVerifier and verify_stream agree.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/record.hpp"
#include "audit/verify.hpp"

namespace {

using namespace mcpgate::audit;  // NOLINT(google-build-using-namespace)

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  VerifyOptions options;
  options.from_genesis = (data[0] & 1) == 0;
  options.max_line_bytes = std::size_t{256} << ((data[0] >> 1) & 7);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The lines as verify_stream sees them: split on '\n', a final newline ends the last line.
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < stream.size()) {
    const std::size_t nl = stream.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? stream.size() : nl;
    lines.push_back(stream.substr(start, end - start));
    start = end + 1;
  }

  ChainVerifier incremental(options);
  for (const std::string_view line : lines) {
    const ParsedLine parsed = parse_record_line(line, options.max_line_bytes);
    if (parsed.problem == Problem::kNone) {
      check(line.size() <= options.max_line_bytes);
      check(parsed.seq >= 1);
      check(parsed.prev.size() == 64);
      check(canonical_json(nlohmann::json::parse(line)) == line);
    } else {
      check(!parsed.reason.empty());
    }
    incremental.add_line(line);
  }
  const VerifyReport step = incremental.finish();

  std::istringstream in{std::string(stream)};
  const VerifyReport report = verify_stream(in, options);
  check(report.problem == step.problem && report.line == step.line
        && report.records == step.records && report.last_hash == step.last_hash);
  if (report.ok()) {
    check(report.records == lines.size() && !lines.empty());
    check(report.last_hash == record_hash(lines.back()));
    check(report.last_seq - report.first_seq + 1 == static_cast<std::int64_t>(report.records));
  } else if (report.problem == Problem::kEmpty) {
    check(lines.empty() && report.line == 0);
  } else {
    check(report.line >= 1 && report.line <= lines.size());
    check(!report.reason.empty());
    check(report.records < report.line);
  }
  return 0;
}
