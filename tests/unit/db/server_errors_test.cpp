// Which server errors a slave waits out (issue 18: a full disk is as
// temporary as a lock wait), and which it does not.
#include "db/server_errors.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sqlrepl::db {
namespace {

struct Case {
  unsigned code;
  const char* message;
  const char* name;  // nullptr: not cured by waiting
};

const Case kCases[] = {
    {1205, "Lock wait timeout exceeded; try restarting transaction", "lock wait timeout"},
    {1213, "Deadlock found when trying to get lock", "deadlock"},
    {1317, "Query execution was interrupted", "query interrupted"},
    {1969, "Query execution was interrupted (max_statement_time exceeded)", "statement timeout"},
    {1114, "The table 'items' is full", "table full"},
    {1021, "Disk full (./school/items.ibd); waiting for someone to free some space...",
     "disk full"},
    {1037, "Out of memory; restart server and try again (needed 65536 bytes)", "out of memory"},
    {1041, "Out of memory.", "out of memory"},
    {1040, "Too many connections", "too many connections"},
    {1030, "Got error 28 \"No space left on device\" from storage engine InnoDB", "disk full"},
    {1026, "Error writing file './school/x.MAD' (Errcode: 28 \"No space left on device\")",
     "disk full"},
    {1030, "Got error 1 \"Operation not permitted\" from storage engine Aria", nullptr},
    {1026, "Error writing file 'x' (Errcode: 5 \"Input/output error\")", nullptr},
    {1062, "Duplicate entry '1' for key 'PRIMARY'", nullptr},
    {1146, "Table 'school.courses' doesn't exist", nullptr},
    {1366, "Incorrect integer value: 'boom' for column `school`.`t`.`n` at row 1", nullptr},
};

TEST(WaitCurableError, ResourceErrorsAndLockWaitsAreWaitedOutOthersAreNot) {
  for (const Case& c : kCases) {
    const char* name = WaitCurableError(c.code, c.message);
    EXPECT_EQ(name == nullptr ? std::string("(none)") : std::string(name),
              c.name == nullptr ? std::string("(none)") : std::string(c.name))
        << c.code << " " << c.message;
  }
}

}  // namespace
}  // namespace sqlrepl::db
