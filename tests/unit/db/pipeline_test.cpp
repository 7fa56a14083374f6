#include "db/pipeline.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::db {
namespace {

constexpr size_t kSmall = 40;  // a typical statement or guard
constexpr size_t kCostOfSmall = kSmall + kPipelineStatementOverhead;

struct ChunkCase {
  const char* what;
  std::vector<size_t> sizes;  // of the batch's statements
  size_t from;
  size_t budget;
  size_t end;
};

TEST(PipelineChunkEndTest, ChunksStayWithinTheBudgetAndNeverEmpty) {
  const std::vector<ChunkCase> cases = {
      {"one statement", {kSmall}, 0, kPipelineBudget, 1},
      {"a few small ones go together", {kSmall, kSmall, kSmall}, 0, kPipelineBudget, 3},
      {"small ones are counted with their overhead", std::vector<size_t>(1000, kSmall), 0,
       kPipelineBudget, kPipelineBudget / kCostOfSmall},
      {"a chunk may fill the budget exactly", {kSmall, kSmall, kSmall}, 0, 2 * kCostOfSmall, 2},
      {"one byte over: the last waits", {kSmall, kSmall + 1, kSmall}, 0, 2 * kCostOfSmall, 1},
      {"a large one after small ones waits for the next chunk", {kSmall, 100000, kSmall}, 0,
       kPipelineBudget, 1},
      {"a statement over the budget goes alone", {kSmall, 100000, kSmall}, 1, kPipelineBudget, 2},
      {"so does one that is the whole budget", {kPipelineBudget, kSmall}, 0, kPipelineBudget, 1},
      {"the chunk after it", {kSmall, 100000, kSmall, kSmall}, 2, kPipelineBudget, 4},
      {"a chunk ends with the batch", std::vector<size_t>(10, kSmall), 7, kPipelineBudget, 10},
      {"empty statements cost their overhead", std::vector<size_t>(100, 0), 0,
       kPipelineBudget, kPipelineBudget / kPipelineStatementOverhead},
  };
  for (const ChunkCase& c : cases) {
    std::vector<std::string> statements;
    for (size_t n : c.sizes) statements.emplace_back(n, 'x');
    EXPECT_EQ(PipelineChunkEnd(statements, c.from, c.budget), c.end) << c.what;
  }
}

}  // namespace
}  // namespace sqlrepl::db
