// Where the write path hands committed events: the replication server in
// the program, a recorder in tests. Kept apart so that the write path does
// not depend on networking.
#pragma once

#include <cstdint>
#include <string>

namespace sqlrepl::feed {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // `encoded_event` committed as `seq`; called by the thread that holds the
  // write path (the prompt's or an HTTP worker's), in commit order, after
  // COMMIT returned.
  virtual void Publish(uint64_t seq, const std::string& encoded_event) = 0;
};

}  // namespace sqlrepl::feed
