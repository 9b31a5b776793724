// Guards against a g++ 12 miscompilation that double-destroys the captures of a lambda created
// inside a co_await expression:
//
//   co_await executor.run([service] { return service->catch_up(); });   // g++ 12: the copy of
//                                                                         // `service` is released twice
//
// Each such call drops one reference too many (a shared_ptr's count falls by one per call until
// the object is freed under its users; a captured std::string is freed twice). clang is not
// affected, so the ASan build (clang) cannot see it; the Release build (g++) can. Found when the
// policy catch-up loop freed the PolicyService after two rounds (docs/ARCHITECTURE.md, "Coroutine
// rules"). The safe forms: capture by reference (`[&]`, `[&x]`, `[this]`), or build the lambda
// (or the awaitable) in a declaration before the co_await.
//
// A second rule, the same family of g++ 12 bugs: a conditional expression (`c ? a : b`) inside a
// co_await expression whose result is a temporary with a destructor. g++ 12 destroys that
// temporary twice:
//
//   co_await ctx.log(level.is_string() ? level.get<std::string>() : "info", data);   // free()
//                                                                                     // abort
//
// (found when the gateway relayed an upstream's log message in the Release build). The safe
// form names the value first. The lint refuses any `?` inside a co_await expression.
//
// Usage: coawait_lambda_lint DIR...   prints every offending co_await and exits 1 if any.

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Blanks comments, string and character literals (keeping newlines and offsets).
std::string strip(const std::string& in) {
  std::string out = in;
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n) {
    if (in.compare(i, 2, "//") == 0) {
      while (i < n && in[i] != '\n') {
        out[i++] = ' ';
      }
    } else if (in.compare(i, 2, "/*") == 0) {
      std::size_t end = in.find("*/", i + 2);
      end = end == std::string::npos ? n : end + 2;
      for (; i < end; ++i) {
        if (out[i] != '\n') {
          out[i] = ' ';
        }
      }
    } else if (in.compare(i, 2, "R\"") == 0) {
      // Raw string: R"delim( ... )delim"
      const std::size_t open = in.find('(', i + 2);
      if (open == std::string::npos) {
        break;
      }
      const std::string close = ")" + in.substr(i + 2, open - i - 2) + "\"";
      std::size_t end = in.find(close, open);
      end = end == std::string::npos ? n : end + close.size();
      for (; i < end; ++i) {
        if (out[i] != '\n') {
          out[i] = ' ';
        }
      }
    } else if (in[i] == '"' || in[i] == '\'') {
      // A digit separator (1'000) is not a literal.
      if (in[i] == '\'' && i > 0 && std::isxdigit(static_cast<unsigned char>(in[i - 1])) != 0) {
        ++i;
        continue;
      }
      const char q = in[i];
      out[i++] = ' ';
      while (i < n && in[i] != q) {
        if (in[i] == '\\' && i + 1 < n) {
          out[i++] = ' ';
        }
        if (out[i] != '\n') {
          out[i] = ' ';
        }
        ++i;
      }
      if (i < n) {
        out[i++] = ' ';
      }
    } else {
      ++i;
    }
  }
  return out;
}

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}

// A capture that copies an object (and so may own something): anything but `&`, `&name`,
// `&name = expr` and `this`.
bool copies(std::string_view capture) {
  capture = trim(capture);
  return !(capture.empty() || capture.front() == '&' || capture == "this");
}

// The end of the co_await expression starting at `from`: the `;` at depth 0, or the bracket
// that closes an enclosing one (an `if (co_await x)` condition).
std::size_t expression_end(const std::string& s, std::size_t from) {
  int depth = 0;
  for (std::size_t i = from; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      if (--depth < 0) {
        return i;
      }
    } else if (c == ';' && depth == 0) {
      return i;
    }
  }
  return s.size();
}

struct Finding {
  std::size_t line;
  std::string capture;  // empty: a conditional expression
};

std::vector<Finding> scan(const std::string& text) {
  const std::string s = strip(text);
  std::vector<Finding> found;
  static constexpr std::string_view kAwait = "co_await";
  for (std::size_t at = s.find(kAwait); at != std::string::npos; at = s.find(kAwait, at + 1)) {
    if ((at > 0 && ident_char(s[at - 1])) ||
        (at + kAwait.size() < s.size() && ident_char(s[at + kAwait.size()]))) {
      continue;
    }
    const std::size_t end = expression_end(s, at + kAwait.size());
    if (const std::size_t q = s.find('?', at); q < end) {
      const auto line = static_cast<std::size_t>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(q), '\n')) + 1;
      found.push_back({line, std::string()});
    }
    for (std::size_t i = at + kAwait.size(); i < end; ++i) {
      if (s[i] != '[') {
        continue;
      }
      // A lambda introducer follows `(`, `,`, `=` or `{`; a subscript follows a name or `)`.
      std::size_t p = i;
      while (p > 0 && std::isspace(static_cast<unsigned char>(s[p - 1])) != 0) {
        --p;
      }
      const char before = p > 0 ? s[p - 1] : '(';
      if (before != '(' && before != ',' && before != '=' && before != '{') {
        continue;
      }
      // The capture list, split at top-level commas.
      int depth = 0;
      std::size_t close = i + 1;
      for (; close < end; ++close) {
        if (s[close] == '[' || s[close] == '(' || s[close] == '{') {
          ++depth;
        } else if (s[close] == ']' || s[close] == ')' || s[close] == '}') {
          if (depth-- == 0) {
            break;
          }
        }
      }
      std::size_t start = i + 1;
      depth = 0;
      for (std::size_t k = i + 1; k <= close; ++k) {
        const char c = k < close ? s[k] : ',';
        if (c == '(' || c == '{' || c == '[') {
          ++depth;
        } else if (c == ')' || c == '}' || c == ']') {
          --depth;
        } else if (c == ',' && depth == 0) {
          const std::string_view capture = trim(std::string_view(s).substr(start, k - start));
          if (copies(capture)) {
            const auto line = static_cast<std::size_t>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(i), '\n')) + 1;
            found.push_back({line, std::string(capture)});
          }
          start = k + 1;
        }
      }
      i = close;
    }
  }
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR...\n", argv[0]);
    return 2;
  }
  std::size_t files = 0;
  std::size_t bad = 0;
  for (int a = 1; a < argc; ++a) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[a])) {
      const auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) {
        continue;
      }
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream buf;
      buf << in.rdbuf();
      ++files;
      for (const Finding& f : scan(buf.str())) {
        if (f.capture.empty()) {
          std::printf("%s:%zu: conditional expression inside a co_await expression (g++ 12 "
                      "destroys its temporary twice): name the value before the co_await\n",
                      entry.path().c_str(), f.line);
        } else {
          std::printf("%s:%zu: lambda capture `%s` copied inside a co_await expression "
                      "(g++ 12 destroys it twice): capture by reference or name the lambda "
                      "first\n",
                      entry.path().c_str(), f.line, f.capture.c_str());
        }
        ++bad;
      }
    }
  }
  std::printf("%zu files scanned, %zu offending captures\n", files, bad);
  return bad == 0 ? 0 : 1;
}
