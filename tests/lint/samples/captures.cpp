// Input for the lint's own test (not compiled): 4 offenders, the rest allowed.
asio::awaitable<void> sample(Executor& executor, std::shared_ptr<Service> service, std::string id) {
  co_await executor.run([service] { return service->catch_up(); });             // offends
  auto r = co_await executor.run([id = std::move(id), &service] { return 1; });  // offends (id)
  co_await asio::co_spawn(ex, [=]() -> asio::awaitable<void> { co_return; },     // offends
                          asio::use_awaitable);
  co_await executor.run([&] { return service->catch_up(); });                   // reference
  co_await executor.run([this, &id] { return lookup(id); });                    // reference
  auto task = [service] { return service->catch_up(); };                        // not awaited here
  co_await executor.run(std::move(task));
  co_await table[index];                                                        // a subscript
  // co_await executor.run([service] { ... });  comments are ignored
  log("co_await executor.run([service] {})");                                  // so are strings
  co_await ctx.log(ok ? name : "info", data);                                   // offends (?:)
  const std::string level = ok ? name : "info";                                 // named first
  co_await ctx.log(level, data);
}
