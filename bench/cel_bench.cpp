// Micro-benchmarks of CEL condition evaluation (src/cel): the per-tools/call cost of a condition.
//
//   build/<dir>/bench/bench_cel --benchmark_min_time=1
//
// The activation is built once per benchmark (the engine converts the request context once per
// call); the timed loop is Program::evaluate alone unless the name says otherwise.

#include <benchmark/benchmark.h>

#include "cel/cel.hpp"

namespace {

using namespace mcpgate::cel;  // NOLINT(google-build-using-namespace)

using Params = std::map<std::string, Type, std::less<>>;

Type scalar(TypeKind kind) {
  return Type{kind, {}};
}

Program compile(std::string_view expr, const Params& params) {
  auto program = Program::compile(expr, params);
  if (!program) {
    std::fprintf(stderr, "compile failed: %s\n", program.error().message.c_str());
    std::abort();
  }
  return std::move(program).value();
}

Activation bind(const Params& params, const nlohmann::json& context) {
  Activation out;
  for (const auto& [name, type] : params) {
    out[name] = value_from_json(context.at(name), type).value();
  }
  return out;
}

void run(benchmark::State& state,
         std::string_view expr,
         const Params& params,
         const nlohmann::json& context) {
  const Program program = compile(expr, params);
  const Activation activation = bind(params, context);
  for (auto _ : state) {
    EvalResult r = program.evaluate(activation);
    benchmark::DoNotOptimize(r);
  }
}

void BM_IntComparison(benchmark::State& state) {
  run(state,
      "arg_max_results <= 50",
      {{"arg_max_results", scalar(TypeKind::kInt)}},
      {{"arg_max_results", 20}});
}

BENCHMARK(BM_IntComparison);

void BM_StringPrefix(benchmark::State& state) {
  run(state,
      "arg_path.startsWith('/home/') && !arg_path.contains('..')",
      {{"arg_path", scalar(TypeKind::kString)}},
      {{"arg_path", "/home/alice/notes.txt"}});
}

BENCHMARK(BM_StringPrefix);

void BM_InLiteralList(benchmark::State& state) {
  run(state,
      "client_kind in ['cimd', 'dcr', 'static'] && scope in ['calendar.read', 'mail.read']",
      {{"client_kind", scalar(TypeKind::kString)}, {"scope", scalar(TypeKind::kString)}},
      {{"client_kind", "static"}, {"scope", "mail.read"}});
}

BENCHMARK(BM_InLiteralList);

void BM_RegexLiteral(benchmark::State& state) {
  run(state,
      "arg_email.matches('^[a-z.]+@example\\\\.com$')",
      {{"arg_email", scalar(TypeKind::kString)}},
      {{"arg_email", "alice.smith@example.com"}});
}

BENCHMARK(BM_RegexLiteral);

void BM_CidrAndTime(benchmark::State& state) {
  run(state,
      "source_ip.in_cidr('10.0.0.0/8') && request_time < timestamp('2030-01-01T00:00:00Z') && "
      "request_time.getHours('+01:00') >= 8",
      {{"source_ip", scalar(TypeKind::kIpAddress)}, {"request_time", scalar(TypeKind::kTimestamp)}},
      {{"source_ip", "10.1.2.3"}, {"request_time", "2026-11-28T09:30:00Z"}});
}

BENCHMARK(BM_CidrAndTime);

void BM_ListMacro(benchmark::State& state) {
  run(state,
      "arg_recipients.all(r, r.endsWith('@example.com'))",
      {{"arg_recipients", Type{TypeKind::kList, {scalar(TypeKind::kString)}}}},
      {{"arg_recipients", {"a@example.com", "b@example.com", "c@example.com"}}});
}

BENCHMARK(BM_ListMacro);

// What a tools/call pays when it must also convert its JSON argument.
void BM_ConvertAndEvaluate(benchmark::State& state) {
  const Params params{{"arg_max_results", scalar(TypeKind::kInt)}};
  const Program program = compile("arg_max_results <= 50", params);
  const nlohmann::json value = 20;
  for (auto _ : state) {
    Activation activation;
    activation.emplace("arg_max_results", value_from_json(value, params.begin()->second).value());
    EvalResult r = program.evaluate(activation);
    benchmark::DoNotOptimize(r);
  }
}

BENCHMARK(BM_ConvertAndEvaluate);

void BM_Compile(benchmark::State& state) {
  const Params params{{"arg_max_results", scalar(TypeKind::kInt)},
                      {"arg_path", scalar(TypeKind::kString)}};
  for (auto _ : state) {
    auto program =
        Program::compile("arg_max_results <= 50 && arg_path.startsWith('/home/')", params);
    benchmark::DoNotOptimize(program);
  }
}

BENCHMARK(BM_Compile);

}  // namespace

BENCHMARK_MAIN();
