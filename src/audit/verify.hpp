#pragma once
// Verifies an exported audit log (`mcpgate audit verify`): JSON lines, each line exactly one
// stored record text (record.hpp), in seq order, as `mcpgate audit export` writes them.
//
// What a line-by-line check can prove, and how each tampering shows:
//  * an edited record: its hash changes, so the NEXT record's "prev" no longer matches
//    (kPrevMismatch, reported on that next line); an edit that is not in canonical form
//    (whitespace, a duplicated member) is also caught on the line itself (kNotCanonical);
//  * a deleted record: a seq gap (kSeqGap), or a stream that does not start at seq 1
//    when a full log is expected;
//  * a swapped pair: seq N+1 followed by N (kSwapped); a record moved further is a gap where
//    it was taken (kSeqGap) and out of order where it landed;
//  * a removed TAIL cannot be seen from the file alone: nothing follows the last record to
//    contradict it. The report gives the last seq and hash so an operator can compare them with
//    the store (or a copy kept elsewhere); `mcpgate audit verify --config` does that comparison.
//
// Hostile input is expected: lines are capped (1 MiB by default), parsed with depth and
// duplicate-member limits, and every problem is a value, never a crash. Verification stops at
// the first problem.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::audit {

enum class Problem {
  kNone,
  kLineTooLong,    // over VerifyOptions::max_line_bytes
  kBadJson,        // not JSON (also: too deep, duplicate member names, an empty line)
  kNotObject,      // JSON, but not an object
  kMissingField,   // no "seq" or no "prev"
  kBadField,       // "seq" not an integer >= 1, "prev" not 64 lowercase hex digits
  kNotCanonical,   // the text is not the canonical form of its own value
  kBadGenesis,     // seq 1 whose prev is not 64 zeros
  kSeqGap,         // records missing before this one (deleted or moved)
  kSwapped,        // this record and the next are in reverse order
  kSeqOutOfOrder,  // a seq at or below one already seen (moved or duplicated)
  kPrevMismatch,   // prev is not the hash of the record before: that one (or this) was edited
  kEmpty,          // no records at all
};

const char* problem_name(Problem problem);

struct VerifyOptions {
  std::size_t max_line_bytes = std::size_t{1} << 20;
  // true: the stream must start at seq 1 (a full export), so removing its head is detected.
  // false: a partial export (`audit export --after N`) may start anywhere; its first "prev" is
  // taken on trust.
  bool from_genesis = true;
};

struct VerifyReport {
  bool ok() const { return problem == Problem::kNone; }

  Problem problem = Problem::kNone;
  std::size_t line = 0;  // 1-based line of the first problem; 0 when ok
  std::string reason;    // what is wrong there, for an operator
  std::size_t records = 0;  // records checked and intact before the problem (all, when ok)
  std::int64_t first_seq = 0;
  std::int64_t last_seq = 0;   // of the last intact record
  std::string last_hash;       // its hash: compare it with the store's
};

// The chain fields of one line, or the problem that keeps it from being a record.
struct ParsedLine {
  Problem problem = Problem::kNone;
  std::string reason;
  std::int64_t seq = 0;
  std::string prev;
};

// Checks one line on its own (size, JSON, object, seq/prev, canonical form).
ParsedLine parse_record_line(std::string_view line, std::size_t max_line_bytes);

// Incremental verification: add_line() for each line (without its '\n'), then finish().
class ChainVerifier {
 public:
  explicit ChainVerifier(VerifyOptions options = {});

  // False once a problem has been found (further lines are ignored).
  bool add_line(std::string_view line);
  // The verdict over everything added.
  VerifyReport finish();

 private:
  void fail(std::size_t line, Problem problem, std::string reason);

  VerifyOptions options_;
  VerifyReport report_;
  std::size_t line_no_ = 0;
  bool failed_ = false;
  // A line whose seq skipped ahead: deletion, unless the next line supplies the missing seq
  // (then the two are swapped). Judged on the next line or at finish().
  struct Gap {
    std::size_t line = 0;
    std::int64_t expected = 0;
    std::int64_t found = 0;
  };
  std::optional<Gap> gap_;
};

// Reads JSON lines from `in` (a final newline is optional) and verifies them.
VerifyReport verify_stream(std::istream& in, const VerifyOptions& options = {});

}  // namespace mcpgate::audit
