#include "log/log_purger.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::log {
namespace {

TEST(PurgeRule, NothingGoesWithoutAKnownSlave) { EXPECT_EQ(PurgeLimit({}, 100), 0u); }

TEST(PurgeRule, TheSlowestKnownSlaveHoldsTheLog) { EXPECT_EQ(PurgeLimit({80, 30, 95}, 100), 30u); }

TEST(PurgeRule, TheNewestEventIsAlwaysKept) {
  EXPECT_EQ(PurgeLimit({100, 100}, 100), 99u);
  EXPECT_EQ(PurgeLimit({1}, 1), 0u);
  EXPECT_EQ(PurgeLimit({5}, 0), 0u);
}

TEST(PurgeRule, ASlaveThatAppliedNothingKeepsEverything) { EXPECT_EQ(PurgeLimit({0, 50}, 60), 0u); }

TEST(PurgeRule, IntervalIsAtMostAMinute) {
  EXPECT_EQ(PurgeInterval(7 * 86400), std::chrono::seconds(60));
  EXPECT_EQ(PurgeInterval(60), std::chrono::seconds(30));
  EXPECT_EQ(PurgeInterval(1), std::chrono::seconds(1));
}

}  // namespace
}  // namespace sqlrepl::log
