// slave: follows a master and applies its writes to the local database,
// refusing everything but data changes. See README.md and DESIGN.md.
#include <fmt/format.h>

#include <asio.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "app/grants.hpp"
#include "app/startup.hpp"
#include "config/config.hpp"
#include "db/connection.hpp"
#include "db/privileges.hpp"
#include "slave/applier.hpp"
#include "slave/apply_session.hpp"
#include "slave/master_link.hpp"

using namespace sqlrepl;

namespace {

// The applied position. The slave's account normally may not create tables
// (README "Privileges"): META_SCHEMA.slave_position is created only when it
// is missing, and a missing table the account cannot create stops the slave
// with what an administrator must run.
// TODO(applier owner): once slave::OpenSlavePosition creates only what is
// missing (db::CreateTableIfMissing), this is just that call.
Result<slave::SlavePosition> OpenPosition(db::Connection* conn, const std::string& meta) {
  Result<bool> exists = db::TableExists(conn, meta, "slave_position");
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    Result<slave::SlavePosition> created = slave::OpenSlavePosition(conn, meta);
    if (!created.ok() && db::IsAccessDenied(created.status())) {
      return Status::FailedPrecondition(app::MissingPositionTableMessage(meta));
    }
    return created;
  }
  // The table is there: only data statements, which the account may run.
  const std::string table = fmt::format("`{}`.slave_position", meta);
  Status s = conn->Run(fmt::format(
      "INSERT IGNORE INTO {} (id, replication_id, applied_seq) VALUES (1, '', 0)", table));
  if (!s.ok()) return s;
  Result<db::QueryResult> r =
      conn->Execute(fmt::format("SELECT replication_id, applied_seq FROM {} WHERE id = 1", table));
  if (!r.ok()) return r.status();
  if (r->rows.empty() || r->rows[0].size() < 2) {
    return Status::FailedPrecondition(fmt::format("{} has no row with id = 1", table));
  }
  slave::SlavePosition p;
  p.replication_id = r->rows[0][0].value_or("");
  p.applied_seq = std::strtoull(r->rows[0][1].value_or("0").c_str(), nullptr, 10);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = app::ParseCommandLine(
      "slave", "sqlrepl slave: apply the master's writes to the local database", false, argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const app::CommandLine& command_line = std::get<app::CommandLine>(parsed);
  const std::string& env_file = command_line.load.env_file;
  auto Fail = [](const std::string& message) { return app::FailSetup("slave", message); };
  try {
    std::vector<std::string> warnings;
    Result<config::SlaveConfig> cfg = config::LoadSlaveConfig(command_line.load, &warnings);
    app::PrintWarnings("slave", warnings);
    if (!cfg.ok()) return Fail(cfg.status().message());

    db::LibraryGuard mysql_library;
    Result<slave::SlavePosition> position = Status::Unavailable("not read");
    {
      Result<db::Connection> conn = app::OpenLocalDatabase("slave", cfg->db, env_file);
      if (!conn.ok()) return app::kExitSetupFailed;
      position = OpenPosition(&*conn, cfg->meta_schema);
      if (!position.ok()) {
        return Fail(fmt::format("cannot keep the applied position in {}.slave_position: {}",
                                cfg->meta_schema, position.status().ToString()));
      }
      // Checked after the position table exists: a grant on it needs it.
      std::vector<std::string> grant_warnings;
      Status grants = app::CheckSlaveGrants(&*conn, cfg->db.database, cfg->meta_schema,
                                            cfg->allow_broad_grants, &grant_warnings);
      app::PrintWarnings("slave", grant_warnings);
      if (!grants.ok()) return Fail(grants.message());
    }

    std::mutex print_mu;
    auto print = [&print_mu](const std::string& line) {
      std::lock_guard lock(print_mu);
      std::cout << line << std::endl;
    };
    print(fmt::format("Slave {} applying into database '{}'; applied up to #{}; following {}:{}.",
                      cfg->slave_id, cfg->db.database, position->applied_seq, cfg->master_host,
                      cfg->master_port));

    asio::io_context io;
    int exit_status = app::kExitOk;
    slave::MasterLink link(io, {cfg->master_host, cfg->master_port, cfg->slave_id, cfg->token,
                                cfg->reconnect_seconds, print});
    slave::Applier::Options applier_options;
    applier_options.meta_schema = cfg->meta_schema;
    applier_options.database = cfg->db.database;
    applier_options.on_error = cfg->on_apply_error;
    applier_options.print = print;
    applier_options.on_fatal = [&](const std::string& why) {
      print("Stopping: " + why);
      asio::post(io, [&] {
        exit_status = app::kExitStatementFailed;
        link.Stop();
      });
    };
    // The link carries the applier's acks; the applier is handed to Run().
    slave::Applier applier(applier_options,
                           slave::MakeDbSessionFactory(app::ToConnectOptions(cfg->db)), link,
                           *position);

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](asio::error_code ec, int) {
      if (!ec) link.Stop();
    });
    asio::co_spawn(io, link.Run(applier), [&](std::exception_ptr e, int status) {
      if (e) {
        exit_status = app::kExitSetupFailed;
      } else if (status != 0) {
        exit_status = status;
      }
      signals.cancel();
      io.stop();
    });
    applier.Start();
    io.run();
    applier.Stop();
    return exit_status;
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}
