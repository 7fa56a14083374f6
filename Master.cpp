// master: an interactive SQL prompt on the local database whose writes are
// streamed to the slaves. See README.md and DESIGN.md.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

#include "config/config.hpp"
#include "console/line_source.hpp"
#include "console/master_shell.hpp"
#include "app/startup.hpp"
#include "db/connection.hpp"
#include "db/schema_catalog.hpp"
#include "master/log_purger.hpp"
#include "master/master_executor.hpp"
#include "master/master_log.hpp"
#include "master/server.hpp"
#include "master/slave_registry.hpp"
#include "master/verifier.hpp"
#include "protocol/io_thread.hpp"

using namespace sqlrepl;

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // lets InputPending() see what std::cin has buffered
  auto parsed = app::ParseCommandLine(
      "master", "sqlrepl master: run SQL at a prompt and replicate its writes", true, argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const app::CommandLine& command_line = std::get<app::CommandLine>(parsed);
  const std::string& env_file = command_line.load.env_file;
  auto Fail = [](const std::string& message) { return app::FailSetup("master", message); };
  try {
    std::vector<std::string> warnings;
    Result<config::MasterConfig> cfg = config::LoadMasterConfig(command_line.load, &warnings);
    app::PrintWarnings("master", warnings);
    if (!cfg.ok()) return Fail(cfg.status().message());

    db::LibraryGuard mysql_library;
    Result<db::Connection> conn = app::OpenLocalDatabase("master", cfg->db, env_file);
    if (!conn.ok()) return app::kExitSetupFailed;
    Result<master::MasterLog> log = master::MasterLog::Open(&*conn, cfg->meta_schema);
    if (!log.ok()) {
      return Fail(fmt::format("cannot open the replication log in {}: {}", cfg->meta_schema,
                              log.status().ToString()));
    }
    Result<replication::LogBounds> bounds = master::MasterLog::ReadBounds(&*conn, cfg->meta_schema);
    if (!bounds.ok()) return Fail("cannot read the replication log: " + bounds.status().ToString());

    master::SlaveRegistry registry;
    master::ReplicationServer::Options server_options;
    server_options.listen_host = cfg->listen_host;
    server_options.listen_port = cfg->listen_port;
    server_options.token = cfg->token;
    server_options.meta_schema = cfg->meta_schema;
    server_options.db = app::ToConnectOptions(cfg->db);
    server_options.log = [](const std::string& line) { std::cerr << "master: " << line << std::endl; };
    asio::io_context io;
    master::ReplicationServer server(io, server_options, &registry, *bounds);
    // Declared after the server so that it stops first: late handlers still reach the server.
    protocol::IoThread io_thread(io);
    Status started = server.Start();
    if (!started.ok()) return Fail(started.message());
    std::cerr << fmt::format("master: replication log {} at #{}; listening for slaves on {}:{}",
                             log->replication_id(), log->last_seq(), cfg->listen_host, server.port())
              << std::endl;

    master::LogPurger purger({app::ToConnectOptions(cfg->db), cfg->meta_schema,
                                   cfg->log_retention_seconds,
                                   [&server](uint64_t first) { server.SetFirstSeq(first); },
                                   server_options.log},
                                  &registry);
    purger.Start();

    // A second session sees only what the first one committed.
    Result<db::Connection> probe = app::OpenLocalDatabase("master", cfg->db, env_file);
    if (!probe.ok()) return app::kExitSetupFailed;
    db::SchemaCatalog catalog(app::ToConnectOptions(cfg->db));
    master::MasterExecutor executor(&*conn, &*probe, &*log, &server,
                                    {cfg->meta_schema, cfg->unsafe_statements, &catalog});
    master::Verifier verifier(&*probe, &registry, &server, &*log);
    console::MasterShell shell(&executor, &registry, &verifier, &*log,
                               {command_line.force, cfg->db.database, cfg->ack_timeout_ms},
                               std::cout, std::cerr);
    int status = 0;
    if (isatty(STDIN_FILENO)) {
      console::InterruptHandler interrupt(
          app::ToConnectOptions(cfg->db), [](const std::string& line) { std::cerr << line << std::endl; },
          [&registry] { registry.WakeWaiters(); });
      executor.set_on_user_statement([&interrupt](unsigned long id) { interrupt.SetKillable(id); });
      shell.set_interrupt(&interrupt);
      console::TerminalLineSource terminal;
      status = shell.Run(&terminal);
      shell.set_interrupt(nullptr);
      executor.set_on_user_statement(nullptr);
    } else {
      console::StreamLineSource script(std::cin);
      script.set_fd(STDIN_FILENO);
      status = shell.Run(&script);
    }
    purger.Stop();
    server.Stop();
    io_thread.Stop();
    return status;
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}
