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
#include "protocol/transport.hpp"
#include "slave/applier.hpp"
#include "slave/apply_session.hpp"
#include "slave/master_link.hpp"

using namespace sqlrepl;

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
    std::shared_ptr<protocol::TlsContext> tls;
    if (!cfg->tls.ca.empty()) {
      Result<std::shared_ptr<protocol::TlsContext>> made =
          protocol::TlsContext::ForClient(cfg->tls.ca, cfg->tls.cert, cfg->tls.key);
      if (!made.ok()) return Fail(made.status().message());
      tls = std::move(made).value();
    }

    db::LibraryGuard mysql_library;
    Result<slave::SlavePosition> position = Status::Unavailable("not read");
    {
      Result<db::Connection> conn = app::OpenLocalDatabase("slave", cfg->db, env_file);
      if (!conn.ok()) return app::kExitSetupFailed;
      // Created only when missing; an account that may not create it is told
      // what an administrator runs (README "Privileges").
      position = slave::OpenSlavePosition(&*conn, cfg->meta_schema);
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
                                cfg->reconnect_seconds, print,
                                slave::MasterLink::kDefaultMaxQueuedBytes, tls});
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
