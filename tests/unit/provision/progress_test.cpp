// The provisioning progress line: rows, bytes, percentage by bytes (never
// 100 before the end), rate and time left, each only once it can be known.
#include "provision/progress.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::provision {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

TEST(ProvisionProgress, Percent) {
  struct Row {
    uint64_t bytes, estimate;
    bool finished;
    int percent;
  };
  for (const Row& r : std::vector<Row>{{0, 0, false, 0},
                                       {0, 100, false, 0},
                                       {42, 100, false, 42},
                                       {100, 100, false, 99},  // the estimate is no promise
                                       {500, 100, false, 99},
                                       {10, 100, true, 100},
                                       {10, 0, true, 100}}) {
    Progress p;
    p.bytes = r.bytes;
    p.bytes_estimate = r.estimate;
    p.finished = r.finished;
    EXPECT_EQ(Percent(p), r.percent) << r.bytes << "/" << r.estimate;
  }
}

TEST(ProvisionProgress, LineWhileCopying) {
  Progress p{"school", 1204000, 412 * kMiB, 980 * kMiB, 10.0, false};
  EXPECT_EQ(DescribeProgress(p),
            "provisioning school: 1,204,000 rows, 412.0 MiB of ~980.0 MiB (42%), 41.2 MiB/s, "
            "~14 s left");
}

TEST(ProvisionProgress, PartsNotKnownYetAreLeftOut) {
  EXPECT_EQ(DescribeProgress({"school", 0, 0, 0, 0, false}),
            "provisioning school: 0 rows, 0 B (0%)");
  // Past a low estimate: no time left is promised.
  EXPECT_EQ(DescribeProgress({"school", 10, 2048, 1024, 1.0, false}),
            "provisioning school: 10 rows, 2.0 KiB of ~1.0 KiB (99%), 2.0 KiB/s");
}

TEST(ProvisionProgress, LineAtTheEnd) {
  EXPECT_EQ(DescribeProgress({"school", 5, 3 * kMiB, 2 * kMiB, 90.0, true}),
            "provisioning school: 5 rows, 3.0 MiB (100%), 34.1 KiB/s, done in ~2 min");
}

TEST(ProvisionProgress, Units) {
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(5ull * 1024 * kMiB), "5.0 GiB");
  EXPECT_EQ(FormatDuration(0.2), "~1 s");
  EXPECT_EQ(FormatDuration(61), "~2 min");
  EXPECT_EQ(FormatDuration(7500), "~2 h 5 min");
}

}  // namespace
}  // namespace sqlrepl::provision
