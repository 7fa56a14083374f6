#include "db/pipeline.hpp"

namespace sqlrepl::db {

size_t PipelineChunkEnd(const std::vector<std::string>& statements, size_t from, size_t budget) {
  size_t cost = statements[from].size() + kPipelineStatementOverhead;
  size_t end = from + 1;
  for (; end < statements.size(); ++end) {
    cost += statements[end].size() + kPipelineStatementOverhead;
    if (cost > budget) break;
  }
  return end;
}

}  // namespace sqlrepl::db
