#include "audit/verify.hpp"

#include <istream>
#include <streambuf>

#include <nlohmann/json.hpp>

#include "audit/record.hpp"
#include "crypto/strict_json.hpp"

namespace mcpgate::audit {
namespace {

// Arguments are recorded as the gateway accepted them (at most 64 levels deep); the record
// object adds one level. Deeper than this was never written by us.
constexpr int kMaxDepth = 128;

bool is_lower_hex64(const std::string& s) {
  if (s.size() != 64) {
    return false;
  }
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string seq_text(std::int64_t seq) { return std::to_string(seq); }

}  // namespace

const char* problem_name(Problem problem) {
  switch (problem) {
    case Problem::kNone:
      return "ok";
    case Problem::kLineTooLong:
      return "line_too_long";
    case Problem::kBadJson:
      return "bad_json";
    case Problem::kNotObject:
      return "not_object";
    case Problem::kMissingField:
      return "missing_field";
    case Problem::kBadField:
      return "bad_field";
    case Problem::kNotCanonical:
      return "not_canonical";
    case Problem::kBadGenesis:
      return "bad_genesis";
    case Problem::kSeqGap:
      return "seq_gap";
    case Problem::kSwapped:
      return "swapped";
    case Problem::kSeqOutOfOrder:
      return "seq_out_of_order";
    case Problem::kPrevMismatch:
      return "prev_mismatch";
    case Problem::kEmpty:
      return "empty";
  }
  return "unknown";
}

ParsedLine parse_record_line(std::string_view line, std::size_t max_line_bytes) {
  ParsedLine out;
  auto problem = [&](Problem p, std::string reason) {
    out.problem = p;
    out.reason = std::move(reason);
    return out;
  };
  if (line.size() > max_line_bytes) {
    return problem(Problem::kLineTooLong,
                   "line longer than " + std::to_string(max_line_bytes) + " bytes");
  }
  if (line.empty()) {
    return problem(Problem::kBadJson, "empty line");
  }
  auto parsed = crypto::parse_json_strict(line, crypto::JsonLimits{max_line_bytes, kMaxDepth});
  if (!parsed) {
    return problem(Problem::kBadJson, "not a JSON record (" + parsed.error().message + ")");
  }
  const nlohmann::json& value = *parsed;
  if (!value.is_object()) {
    return problem(Problem::kNotObject, "not a JSON object");
  }
  const auto seq = value.find("seq");
  const auto prev = value.find("prev");
  if (seq == value.end() || prev == value.end()) {
    return problem(Problem::kMissingField,
                   seq == value.end() ? "no \"seq\" member" : "no \"prev\" member");
  }
  if (seq->is_number_unsigned() && seq->get<std::uint64_t>() >= 1
      && seq->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) {
    out.seq = static_cast<std::int64_t>(seq->get<std::uint64_t>());
  } else if (seq->is_number_integer() && !seq->is_number_unsigned() && seq->get<std::int64_t>() >= 1) {
    out.seq = seq->get<std::int64_t>();
  } else {
    return problem(Problem::kBadField, "\"seq\" is not an integer >= 1");
  }
  if (!prev->is_string() || !is_lower_hex64(prev->get<std::string>())) {
    return problem(Problem::kBadField, "\"prev\" is not a SHA-256 hash in lowercase hex");
  }
  out.prev = prev->get<std::string>();
  // Anything but the canonical text is not how the log writes records: an edit by hand
  // (whitespace, reordered or duplicated members) shows here even on the last line.
  if (canonical_json(value) != line) {
    return problem(Problem::kNotCanonical, "not in canonical form (edited by hand?)");
  }
  return out;
}

ChainVerifier::ChainVerifier(VerifyOptions options) : options_(options) {}

void ChainVerifier::fail(std::size_t line, Problem problem, std::string reason) {
  failed_ = true;
  report_.problem = problem;
  report_.line = line;
  report_.reason = std::move(reason);
}

bool ChainVerifier::add_line(std::string_view line) {
  if (failed_) {
    return false;
  }
  ++line_no_;
  ParsedLine parsed = parse_record_line(line, options_.max_line_bytes);
  if (gap_) {
    // The previous line skipped ahead. If this line is the seq it skipped, the two were swapped.
    const Gap gap = *gap_;
    if (parsed.problem == Problem::kNone && parsed.seq == gap.expected) {
      fail(gap.line,
           Problem::kSwapped,
           "records out of order: seq " + seq_text(gap.found) + " comes before seq "
               + seq_text(gap.expected) + " (lines " + std::to_string(gap.line) + " and "
               + std::to_string(gap.line + 1) + " swapped)");
    } else {
      fail(gap.line,
           Problem::kSeqGap,
           "seq " + seq_text(gap.found) + " where " + seq_text(gap.expected)
               + " was expected: record(s) " + seq_text(gap.expected)
               + (gap.found - 1 > gap.expected ? ".." + seq_text(gap.found - 1) : "")
               + " missing here (deleted, or moved)");
    }
    return false;
  }
  if (parsed.problem != Problem::kNone) {
    fail(line_no_, parsed.problem, std::move(parsed.reason));
    return false;
  }
  if (report_.records == 0) {
    if (options_.from_genesis && parsed.seq != 1) {
      fail(line_no_,
           Problem::kSeqGap,
           "the log starts at seq " + seq_text(parsed.seq) + ", not 1: record(s) 1.."
               + seq_text(parsed.seq - 1)
               + " missing (deleted; or a partial export: verify it with --partial)");
      return false;
    }
    if (parsed.seq == 1 && parsed.prev != kGenesisPrev) {
      fail(line_no_, Problem::kBadGenesis, "seq 1 must have prev = 64 zeros");
      return false;
    }
    report_.first_seq = parsed.seq;
  } else {
    const std::int64_t expected = report_.last_seq + 1;
    if (parsed.seq > expected) {
      gap_ = Gap{line_no_, expected, parsed.seq};
      return true;  // judged with the next line
    }
    if (parsed.seq < expected) {
      fail(line_no_,
           Problem::kSeqOutOfOrder,
           "seq " + seq_text(parsed.seq) + " after seq " + seq_text(report_.last_seq)
               + ": records out of order or duplicated");
      return false;
    }
    if (parsed.prev != report_.last_hash) {
      fail(line_no_,
           Problem::kPrevMismatch,
           "prev does not match the hash of seq " + seq_text(report_.last_seq) + " (line "
               + std::to_string(line_no_ - 1) + "): that record was modified, or this one was");
      return false;
    }
  }
  ++report_.records;
  report_.last_seq = parsed.seq;
  report_.last_hash = record_hash(line);
  return true;
}

VerifyReport ChainVerifier::finish() {
  if (!failed_ && gap_) {
    // Nothing came after the skip: the missing records are gone.
    const Gap gap = *gap_;
    fail(gap.line,
         Problem::kSeqGap,
         "seq " + seq_text(gap.found) + " where " + seq_text(gap.expected)
             + " was expected: record(s) missing here (deleted, or moved)");
  }
  if (!failed_ && report_.records == 0) {
    fail(0, Problem::kEmpty, "no records");
  }
  return report_;
}

VerifyReport verify_stream(std::istream& in, const VerifyOptions& options) {
  ChainVerifier verifier(options);
  std::streambuf* buf = in.rdbuf();
  std::string line;
  while (buf != nullptr) {
    const int c = buf->sbumpc();
    const bool end = c == std::char_traits<char>::eof();
    if (end && line.empty()) {
      break;  // after the final newline, or an empty input
    }
    if (!end && c != '\n') {
      // Keep one byte past the cap: enough for the parser to report the overlong line, without
      // buffering the rest of it.
      if (line.size() <= options.max_line_bytes) {
        line.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (!verifier.add_line(line) || end) {
      break;
    }
    line.clear();
  }
  return verifier.finish();
}

}  // namespace mcpgate::audit
