#pragma once
// The OpenFGA-compatible HTTP API over the gate's authorization stores — one per organization
// (org_stores.hpp) — so the OpenFGA CLI (`fga --api-url ... --api-token ...`) and SDKs can
// manage and query policy.
//
// Endpoints (OpenFGA's HTTP API v1, JSON shapes as in openfga/api's OpenAPI document):
//   GET  /stores                                   every organization's store (paged; each
//                                                  entry also says its "organization")
//   GET  /stores/{store_id}
//   POST /stores/{store_id}/check                  {"allowed","resolution"}
//   POST /stores/{store_id}/batch-check            {"result":{correlation_id:{...}}}
//   POST /stores/{store_id}/write                  {}
//   POST /stores/{store_id}/read                   {"tuples","continuation_token"}
//   POST /stores/{store_id}/list-objects           {"objects"}
//   POST /stores/{store_id}/list-users             {"users"}
//   POST /stores/{store_id}/expand                 {"tree"}
//   GET  /stores/{store_id}/authorization-models   {"authorization_models","continuation_token"}
//   POST /stores/{store_id}/authorization-models   201 {"authorization_model_id"}
//   GET  /stores/{store_id}/authorization-models/{id}  {"authorization_model"}
//   GET  /stores/{store_id}/changes                {"changes","continuation_token"}
// Every /stores/{store_id}/... route works on that store only; an id that is no organization's
// store is OpenFGA's 404 store_id_not_found. Creating, renaming or deleting stores and the
// assertion endpoints are not offered (the gate makes one store per organization; assertions
// live in `.fga.yaml` files run by `mcpgate policy test`).
//
// Authentication: `Authorization: Bearer <admin token>` on every request, compared in constant
// time (OpenFGA's pre-shared-key mode). Missing or wrong: 401. The token is never logged. It is
// the operator's: it reaches every organization's store (per-organization administrators are a
// later step).
//
// Errors are OpenFGA's `{"code":"<snake_case name>","message":"..."}` with its HTTP statuses
// (input errors 400, authentication 401, unknown store or endpoint 404, internal 500); the one
// mapping lives in openfga_api.cpp (fga_error_response).
//
// Limits, all answered with a 400 before any work: body size (max_body_bytes, on top of the
// server's own cap), JSON nesting (64), tuples per write (100), contextual tuples (100), checks
// per batch (50), request and tuple condition context (32 KiB serialised), page sizes (1..100),
// string lengths as OpenFGA's request validation (user 512, object 256, relation 50 bytes).
//
// Threading: handlers run on the connection's strand. Queries run inline (microseconds, no
// I/O); model and tuple writes may block on storage and run on the store::Executor.

#include <cstddef>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "http/exchange.hpp"
#include "http/router.hpp"
#include "policy/org_stores.hpp"
#include "policy/policy_service.hpp"
#include "store/executor.hpp"

namespace mcpgate::policy {

struct OpenFgaApiOptions {
  // The admin credential. Must be non-empty (mount refuses to expose an open API); at least 16
  // bytes is required so a guessable token cannot be configured by accident.
  std::string admin_token;
  std::size_t max_body_bytes = 1024 * 1024;      // JSON request bodies
  std::size_t max_tuples_per_write = 100;        // OpenFGA's maxTuplesPerWrite
  std::size_t max_contextual_tuples = 100;
  std::size_t max_context_bytes = 32 * 1024;     // request / tuple condition context
  std::size_t max_batch_checks = 50;             // OpenFGA's maxChecksPerBatchCheck
  std::size_t max_model_bytes = 256 * 1024;      // OpenFGA's maxAuthorizationModelSizeInBytes
  std::size_t default_page_size = 50;
  std::size_t max_page_size = 100;
};

class OpenFgaApi {
 public:
  // The stores and `executor` must outlive the API (and every request in flight).
  OpenFgaApi(OrgStores stores, store::Executor& executor, OpenFgaApiOptions options);
  // One store, the default organization's.
  OpenFgaApi(std::shared_ptr<PolicyService> service, store::Executor& executor,
             OpenFgaApiOptions options);

  // Answers one request under /stores (any method). Never throws.
  asio::awaitable<void> handle(http::Exchange& ex) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Mounts `/stores` and `/stores/` on `router`. kInvalidArgument when the admin token is empty or
// shorter than 16 bytes.
Status mount_openfga_api(http::Router& router, OrgStores stores, store::Executor& executor,
                         OpenFgaApiOptions options);
// One store, the default organization's.
Status mount_openfga_api(http::Router& router, std::shared_ptr<PolicyService> service,
                         store::Executor& executor, OpenFgaApiOptions options);

}  // namespace mcpgate::policy
