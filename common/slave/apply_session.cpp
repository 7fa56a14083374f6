#include "slave/apply_session.hpp"

namespace sqlrepl::slave {
namespace {

class DbApplySession : public ApplySession {
 public:
  explicit DbApplySession(db::Connection conn) : conn_(std::move(conn)) {}

  Result<db::QueryResult> Execute(std::string_view sql) override { return conn_.Execute(sql); }
  std::string Quote(std::string_view text) override { return conn_.Quote(text); }
  bool IsConnectionLost(const Status& status) const override {
    return db::IsConnectionLost(status);
  }

 private:
  db::Connection conn_;
};

}  // namespace

ApplySessionFactory MakeDbSessionFactory(db::ConnectOptions options) {
  return [options = std::move(options)]() -> Result<std::unique_ptr<ApplySession>> {
    Result<db::Connection> c = db::Connection::Open(options);
    if (!c.ok()) return c.status();
    return std::unique_ptr<ApplySession>(std::make_unique<DbApplySession>(std::move(c).value()));
  };
}

}  // namespace sqlrepl::slave
