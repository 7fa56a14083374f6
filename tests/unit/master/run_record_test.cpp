#include "master/run_record.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::master {
namespace {

TEST(RunRecord, WarnsUnlessThePreviousRunStoppedCleanlyAtTheLastWrite) {
  struct Case {
    std::optional<uint64_t> clean_stop;
    uint64_t last_seq;
    bool may_have_unreported;
  };
  // clang-format off
  const Case cases[] = {
      {std::nullopt, 0, false},  // an empty log: nothing to report
      {std::nullopt, 5, true},   // killed, or a version that kept no record
      {5,            5, false},  // stopped cleanly after its last write
      {4,            5, true},   // a later run wrote #5 and died
      {6,            5, true},   // the log was reset under the record
      {0,            0, false},
  };
  // clang-format on
  for (const Case& c : cases) {
    EXPECT_EQ(MayHaveUnreportedWrites(c.clean_stop, c.last_seq), c.may_have_unreported)
        << (c.clean_stop ? std::to_string(*c.clean_stop) : "none") << " / " << c.last_seq;
  }
}

}  // namespace
}  // namespace sqlrepl::master
