// master: an interactive SQL prompt on the local database whose writes are
// streamed to the slaves. See README.md and DESIGN.md.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "app/oplog.hpp"
#include "app/startup.hpp"
#include "config/config.hpp"
#include "console/line_source.hpp"
#include "console/master_shell.hpp"
#include "db/connection.hpp"
#include "db/schema_catalog.hpp"
#include "master/log_purger.hpp"
#include "master/master_executor.hpp"
#include "master/master_log.hpp"
#include "master/server.hpp"
#include "master/slave_registry.hpp"
#include "master/verifier.hpp"
#include "protocol/io_thread.hpp"
#include "protocol/transport.hpp"

using namespace sqlrepl;

namespace {

// ~/.sqlrepl_history, as the mysql client keeps ~/.mysql_history.
std::string HistoryFile() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? std::string(home) + "/.sqlrepl_history" : "";
}

// https://no-color.org: colour only on a terminal, and not when NO_COLOR is set.
bool UseColor() {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return isatty(STDERR_FILENO) && (no_color == nullptr || *no_color == '\0') &&
         !(term != nullptr && std::string(term) == "dumb");
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // lets InputPending() see what std::cin has buffered
  auto parsed = app::ParseCommandLine(
      "master", "sqlrepl master: run SQL at a prompt and replicate its writes", true, argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const app::CommandLine& command_line = std::get<app::CommandLine>(parsed);
  const std::string& env_file = command_line.load.env_file;
  const bool interactive = !command_line.execute && isatty(STDIN_FILENO);
  auto Fail = [](const std::string& message) { return app::FailSetup("master", message); };
  try {
    std::vector<std::string> warnings;
    Result<config::MasterConfig> cfg = config::LoadMasterConfig(command_line.load, &warnings);
    app::PrintWarnings("master", warnings);
    if (!cfg.ok()) return Fail(cfg.status().message());
    std::shared_ptr<protocol::TlsContext> tls;
    if (!cfg->tls.cert.empty()) {
      Result<std::shared_ptr<protocol::TlsContext>> made =
          protocol::TlsContext::ForServer(cfg->tls.cert, cfg->tls.key, cfg->tls.ca);
      if (!made.ok()) return Fail(made.status().message());
      tls = std::move(made).value();
    }

    std::optional<app::OpLog> oplog;
    if (!cfg->master_log.empty()) {
      Result<app::OpLog> opened = app::OpLog::Open(cfg->master_log, "master");
      if (!opened.ok()) return Fail("MASTER_LOG: " + opened.status().message());
      oplog.emplace(std::move(opened).value());
    }
    auto Log = [&oplog](const std::string& line) {
      if (oplog) oplog->Write(line);
    };
    Log(fmt::format("starting (sqlrepl {}), database {} on {}", app::kVersion, cfg->db.database,
                    cfg->db.socket.empty() ? fmt::format("{}:{}", cfg->db.host, cfg->db.port)
                                           : "socket " + cfg->db.socket));

    db::LibraryGuard mysql_library;
    Result<db::Connection> conn = app::OpenLocalDatabase("master", cfg->db, env_file);
    if (!conn.ok()) {
      Log("stopped: cannot open the local database: " + conn.status().ToString());
      return app::kExitSetupFailed;
    }
    conn->set_capture_warnings(true);  // the log's own statements would clear them
    Result<master::MasterLog> log = master::MasterLog::Open(&*conn, cfg->meta_schema);
    if (!log.ok()) {
      Log("stopped: cannot open the replication log: " + log.status().ToString());
      return Fail(fmt::format("cannot open the replication log in {}: {}", cfg->meta_schema,
                              log.status().ToString()));
    }

    master::SlaveRegistry registry;
    master::ReplicationServer::Options server_options;
    server_options.listen_host = cfg->listen_host;
    server_options.listen_port = cfg->listen_port;
    server_options.token = cfg->token;
    server_options.meta_schema = cfg->meta_schema;
    server_options.db = app::ToConnectOptions(cfg->db);
    server_options.tls = tls;
    // Notices come from the I/O and purger threads; at a terminal they are
    // printed above the prompt (the terminal redraws what was being typed).
    std::unique_ptr<console::TerminalLineSource> terminal;
    if (interactive) terminal = std::make_unique<console::TerminalLineSource>(HistoryFile());
    server_options.log = [&Log, &terminal](const std::string& line) {
      Log(line);
      if (terminal) {
        terminal->Notify("master: " + line);
      } else {
        std::cerr << "master: " << line << std::endl;
      }
    };
    // Ctrl-C must reach the prompt's thread alone: the threads started
    // until the prompt runs inherit SIGINT blocked.
    std::optional<console::SigintBlocked> sigint_off_workers;
    if (interactive) sigint_off_workers.emplace();
    asio::io_context io;
    master::ReplicationServer server(io, server_options, &registry, log->replication_id(),
                                     log->first_seq_at_open(), log->head());
    // Declared after the server so that it stops first: late handlers still reach the server.
    protocol::IoThread io_thread(io);
    Status started = server.Start();
    if (!started.ok()) {
      Log("stopped: " + started.message());
      return Fail(started.message());
    }
    const std::string listening = fmt::format("replication log {} at #{}; listening for slaves on {}:{}{}",
                                              log->replication_id(), log->last_seq(), cfg->listen_host,
                                              server.port(), tls ? " (TLS)" : "");
    Log("started: " + listening);
    std::cerr << "master: " << listening << std::endl;
    if (!tls && !app::IsLoopback(cfg->listen_host)) {
      const std::string warning = fmt::format(
          "warning: listening on {} without TLS: anyone on the network path can read every replicated "
          "statement; set TLS_CERT and TLS_KEY (README \"Configuration\")",
          cfg->listen_host);
      Log(warning);
      std::cerr << "master: " << warning << std::endl;
    }

    master::LogPurger purger({app::ToConnectOptions(cfg->db), cfg->meta_schema,
                                   cfg->log_retention_seconds,
                                   [&server](uint64_t first) { server.SetFirstSeq(first); },
                                   server_options.log},
                                  &registry);
    purger.Start();
    sigint_off_workers.reset();

    // A second session sees only what the first one committed.
    Result<db::Connection> probe = app::OpenLocalDatabase("master", cfg->db, env_file);
    if (!probe.ok()) return app::kExitSetupFailed;
    db::SchemaCatalog catalog(app::ToConnectOptions(cfg->db));
    master::MasterExecutor executor(&*conn, &*probe, &*log, &server,
                                    {cfg->meta_schema, cfg->unsafe_statements, &catalog});
    // A new session must hold the log's single-writer lock again, and still
    // write the same log.
    executor.set_on_reconnect([&](db::Connection* session) -> Status {
      Result<master::MasterLog> again = master::MasterLog::Open(session, cfg->meta_schema);
      if (!again.ok() && again.status().code() == StatusCode::kFailedPrecondition) {
        Log("reconnected, but another master holds the replication log lock; writes are "
            "impossible");
        return Status::FailedPrecondition(
            "reconnected, but another master took the replication log lock meanwhile: this master "
            "cannot write any more. Stop one of the two masters.");
      }
      if (!again.ok()) return again.status();
      if (again->replication_id() != log->replication_id()) {
        return Status::FailedPrecondition(
            fmt::format("reconnected, but {} now holds another replication log ({}, not {}): "
                        "restart the master",
                        cfg->meta_schema, again->replication_id(), log->replication_id()));
      }
      Log(fmt::format("reconnected to the local database (session {})", session->thread_id()));
      return Status::Ok();
    });
    master::Verifier verifier(&*probe, &registry, &server, &*log);
    console::MasterShell::Options shell_options;
    shell_options.force = command_line.force;
    shell_options.database = cfg->db.database;
    shell_options.ack_timeout_ms = cfg->ack_timeout_ms;
    // Piped input keeps the bordered tables scripts already rely on; -B (and
    // -e, as in the mysql client) gives the mysql client's batch format.
    shell_options.silent = command_line.silent;
    if (command_line.batch || command_line.execute)
      shell_options.silent = std::max(shell_options.silent, 1);
    shell_options.table = command_line.table;
    shell_options.column_names = !command_line.skip_column_names;
    shell_options.verbose = command_line.verbose;
    shell_options.show_warnings = command_line.show_warnings;
    shell_options.color = UseColor();
    shell_options.user = cfg->db.user;
    shell_options.host = cfg->db.socket.empty()
                             ? fmt::format("{} via TCP/IP, port {}", cfg->db.host, cfg->db.port)
                             : "Localhost via UNIX socket " + cfg->db.socket;
    console::MasterShell shell(&executor, &registry, &verifier, &*log, shell_options, std::cout,
                               std::cerr);
    shell.set_oplog(Log);
    int status = 0;
    if (command_line.execute) {
      std::istringstream statements(*command_line.execute);
      console::StreamLineSource script(statements);
      status = shell.Run(&script);
    } else if (interactive) {
      console::InterruptHandler interrupt(
          app::ToConnectOptions(cfg->db),
          [&terminal](const std::string& line) { terminal->Notify(line); },
          // The signal may land on any thread: wake both kinds of waiting.
          [&registry, &terminal] {
            registry.WakeWaiters();
            terminal->WakeForInterrupt();
          });
      executor.set_on_user_statement([&interrupt](unsigned long id) { interrupt.SetKillable(id); });
      terminal->set_interrupt_pending([&interrupt] { return interrupt.pending(); });
      shell.set_interrupt(&interrupt);
      status = shell.Run(terminal.get());
      shell.set_interrupt(nullptr);
      terminal->set_interrupt_pending(nullptr);
      executor.set_on_user_statement(nullptr);
    } else {
      console::StreamLineSource script(std::cin);
      script.set_fd(STDIN_FILENO);
      status = shell.Run(&script);
    }
    purger.Stop();
    server.Stop();
    io_thread.Stop();
    Log(fmt::format("stopped (exit status {})", status));
    return status;
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}
