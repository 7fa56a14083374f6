// The position table is defined once in code; scripts/cluster.sh creates it
// as root before the slaves start (they may not create tables), so its copy
// of the statement must stay the same.
#include "replication/slave_position.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace sqlrepl::replication {
namespace {

// Without name quotes and white space: only what the server reads differs.
std::string Normalized(std::string_view sql) {
  std::string out;
  for (char c : sql) {
    if (c != '`' && c != ' ' && c != '\n' && c != '\t') out += c;
  }
  return out;
}

TEST(SlavePosition, ClusterScriptCreatesTheSameTable) {
  std::ifstream in(std::string(SQLREPL_SOURCE_DIR) + "/scripts/cluster.sh");
  ASSERT_TRUE(in);
  std::stringstream script;
  script << in.rdbuf();
  const std::string expected = Normalized(SlavePositionTableDdl("repl_meta"));
  EXPECT_NE(Normalized(script.str()).find(expected), std::string::npos)
      << "scripts/cluster.sh no longer holds: " << expected;
}

}  // namespace
}  // namespace sqlrepl::replication
