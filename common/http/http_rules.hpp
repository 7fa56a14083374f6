// The HTTP server's decisions, as pure functions tested as tables
// (tests/unit/http/http_rules_test.cpp): whether an address may be served,
// whether a request carries the token, what a request body asks for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "sql/classifier.hpp"

namespace sqlrepl::http {

// Requests a node serves at once (the rest queue); past the queue, 503.
inline constexpr size_t kWorkerThreads = 16;
inline constexpr size_t kQueuedRequests = 48;
// Connections past the queue waiting for their 503; past these, the server
// stops accepting and the kernel's backlog holds them (no descriptor of ours).
inline constexpr size_t kRefusedWaiting = 64;
// An idle connection frees its worker after this long, and a connection
// serves at most this many requests.
inline constexpr int kKeepAliveSeconds = 2;
inline constexpr size_t kKeepAliveRequests = 10;
// Connections the kernel holds until the server takes them.
inline constexpr int kListenBacklog = 256;
// Bodies larger than this are answered 413 (docs/api.md).
inline constexpr size_t kMaxBodyBytes = 1024 * 1024;
// How long POST /api/sql waits for the prompt's statement to end before 409.
inline constexpr int kWritePathWaitSeconds = 5;
// /api/events answers at most this many events per call.
inline constexpr size_t kMaxEventsPerCall = 1000;

// Serving `host` over plain HTTP sends the token and every result readable
// on the network path: allowed on loopback, or with HTTP_ALLOW_PLAINTEXT=1.
// kInvalidArgument saying why otherwise.
Status CheckListen(const std::string& host, bool tls, bool allow_plaintext);

// True when `authorization` is exactly "Bearer <token>"; compared in time
// that does not depend on where the two differ.
bool TokenMatches(std::string_view authorization, std::string_view token);

// POST /api/sql: {"sql": "..."} (one statement or several; a list of
// strings runs as a script), with "force": true to go on after a failure.
struct SqlRequest {
  // One statement each, split as the prompt splits a script (DELIMITER
  // too); blank ones left out.
  std::vector<std::string> statements;
  bool force = false;
};
// kInvalidArgument with the reason (bad JSON, no "sql", wrong types, a bad
// DELIMITER line): a request refused whole, before any of it runs.
Result<SqlRequest> ParseSqlRequest(std::string_view body);

// The master's API runs statements on the prompt's session (one write path,
// one log, the log's lock): why `c` may not run there, because it could
// change that session beyond the request, into the prompt and the next
// request. Empty when it may run: reads, data changes, DDL but temporary
// tables, transactions (rolled back if left open), USE (undone), accounts
// but SET ROLE; none of them with a user variable or GET_LOCK(). All else
// (SET, LOCK and FLUSH, HANDLER, CALL, dynamic SQL, compound statements)
// is refused.
std::string SessionChangeRefusal(const sql::Classification& c);

// A non-negative whole number of a query string (?after=N); `fallback`
// when absent; kInvalidArgument naming `name` when malformed.
Result<uint64_t> ParseCount(const std::string& name, const std::optional<std::string>& value,
                            uint64_t fallback);

}  // namespace sqlrepl::http
