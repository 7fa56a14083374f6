// How a pipelined batch is cut so that it cannot hang.
//
// A pipeline writes statements before it reads their answers. Meanwhile the
// server answers into the other direction of the socket; once that is full
// it stops reading, and a client still writing would wait for good (the
// server until net_write_timeout ends the session; a retry hangs alike).
// So a batch goes in chunks: one whose statements fit in the client's send
// buffer is written whole whatever the server does, and its answers are
// read before the next chunk is sent.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sqlrepl::db {

// What one chunk may cost: well under the smallest socket buffer a session
// meets (a Unix socket's, about 208 KB).
inline constexpr size_t kPipelineBudget = 64 * 1024;
// What a statement costs beyond its text: a Unix socket charges each write
// its kernel bookkeeping too (about 700 bytes for a small one), so its
// buffer holds only some 300 small statements.
inline constexpr size_t kPipelineStatementOverhead = 1024;

// The end of the chunk that starts at `from` (< statements.size()): the
// statement at `from` (alone when it costs more than `budget`), then those
// after it while the chunk's cost stays within `budget`.
size_t PipelineChunkEnd(const std::vector<std::string>& statements, size_t from,
                        size_t budget = kPipelineBudget);

}  // namespace sqlrepl::db
