#include "db/server_errors.hpp"

namespace sqlrepl::db {
namespace {

// ENOSPC (28) as the server words it in the messages of errors that carry
// an operating-system error number.
bool SaysNoSpace(std::string_view message) {
  return message.find("error 28 ") != std::string_view::npos ||
         message.find("Errcode: 28 ") != std::string_view::npos ||
         message.find("No space left") != std::string_view::npos;
}

}  // namespace

const char* WaitCurableError(unsigned sql_errno, std::string_view message) {
  switch (sql_errno) {
    case kErLockWaitTimeout: return "lock wait timeout";
    case kErDeadlock: return "deadlock";
    case kErQueryInterrupted: return "query interrupted";
    case kErStatementTimeout: return "statement timeout";
    case kErTableFull: return "table full";
    case kErDiskFull: return "disk full";
    case kErOutOfMemory:
    case kErOutOfSortMemory:
    case kErOutOfResources: return "out of memory";
    case kErTooManyConnections:
    case kErTooManyUserConnections: return "too many connections";
    case kErErrorOnWrite:
    case kErGetErrno:
    case kErErrorDuringCommit: return SaysNoSpace(message) ? "disk full" : nullptr;
    default: return nullptr;
  }
}

}  // namespace sqlrepl::db
