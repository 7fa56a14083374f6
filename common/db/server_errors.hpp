// The server's error codes that our code decides on, by name
// (include/mysqld_error.h of MariaDB 10.11), and the rule that says which
// of them a later attempt of the same statement can get past.
#pragma once

#include <string_view>

namespace sqlrepl::db {

inline constexpr unsigned kErDiskFull = 1021;            // ER_DISK_FULL
inline constexpr unsigned kErErrorOnWrite = 1026;  // ER_ERROR_ON_WRITE (Errcode: 28 is ENOSPC)
inline constexpr unsigned kErGetErrno = 1030;            // ER_GET_ERRNO ("Got error 28 ...")
inline constexpr unsigned kErOutOfMemory = 1037;         // ER_OUTOFMEMORY
inline constexpr unsigned kErOutOfSortMemory = 1038;     // ER_OUT_OF_SORTMEMORY
inline constexpr unsigned kErTooManyConnections = 1040;  // ER_CON_COUNT_ERROR
inline constexpr unsigned kErOutOfResources = 1041;      // ER_OUT_OF_RESOURCES
inline constexpr unsigned kErTableFull = 1114;           // ER_RECORD_FILE_FULL
inline constexpr unsigned kErErrorDuringCommit = 1180;   // ER_ERROR_DURING_COMMIT
inline constexpr unsigned kErTooManyUserConnections = 1203;  // ER_TOO_MANY_USER_CONNECTIONS
inline constexpr unsigned kErLockWaitTimeout = 1205;     // ER_LOCK_WAIT_TIMEOUT
inline constexpr unsigned kErDeadlock = 1213;            // ER_LOCK_DEADLOCK
inline constexpr unsigned kErQueryInterrupted = 1317;    // ER_QUERY_INTERRUPTED
inline constexpr unsigned kErReadOnlyTransaction =
    1792;                                                // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
inline constexpr unsigned kErStatementTimeout = 1969;    // ER_STATEMENT_TIMEOUT

// A short name ("lock wait timeout", "disk full", ...) when an error with
// this code and message goes away by waiting, without anyone changing the
// statement: another session held a lock, the statement was cut short, or
// a server resource (disk space, memory, connections) ran out for a while.
// nullptr for every other error, which a retry would only repeat.
const char* WaitCurableError(unsigned sql_errno, std::string_view message);

}  // namespace sqlrepl::db
