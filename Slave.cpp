// slave: follows a master and applies its writes to the local database,
// refusing everything but data changes. On a terminal it also offers a
// local read-only prompt. See README.md and DESIGN.md.
#include <fmt/format.h>
#include <unistd.h>

#include <asio.hpp>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>

#include "app/grants.hpp"
#include "app/oplog.hpp"
#include "app/startup.hpp"
#include "config/config.hpp"
#include "console/interrupt.hpp"
#include "console/line_source.hpp"
#include "console/slave_shell.hpp"
#include "db/connection.hpp"
#include "db/privileges.hpp"
#include "protocol/io_thread.hpp"
#include "protocol/transport.hpp"
#include "slave/applier.hpp"
#include "slave/apply_session.hpp"
#include "slave/master_link.hpp"
#include "slave/slave_status.hpp"

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

    Result<app::OpLog> oplog = app::OpLog::OpenUnlessEmpty(cfg->slave_log, "slave");
    if (!oplog.ok()) return Fail("SLAVE_LOG: " + oplog.status().message());
    auto Log = [&oplog](const std::string& line) { oplog->Write(line); };
    const std::string master = fmt::format("{}:{}", cfg->master_host, cfg->master_port);
    Log(fmt::format("starting (sqlrepl {}) as {}, database {} on {}, following {}", app::kVersion,
                    cfg->slave_id, cfg->db.database,
                    cfg->db.socket.empty() ? fmt::format("{}:{}", cfg->db.host, cfg->db.port)
                                           : "socket " + cfg->db.socket,
                    master));
    int exit_status = app::kExitOk;
    struct StopLine {  // the log's last line, however main returns
      const std::function<void(const std::string&)> log;
      const int& status;
      ~StopLine() {
        log(std::uncaught_exceptions() > 0 ? "stopped by an unexpected error (see the console)"
                                           : fmt::format("stopped (exit status {})", status));
      }
    } stop_line{Log, exit_status};

    db::LibraryGuard mysql_library;
    Result<slave::SlavePosition> position = Status::Unavailable("not read");
    {
      Result<db::Connection> conn = app::OpenLocalDatabase("slave", cfg->db, env_file);
      if (!conn.ok()) {
        Log("cannot open the local database: " + conn.status().ToString());
        return exit_status = app::kExitSetupFailed;
      }
      // Created only when missing; an account that may not create it is told
      // what an administrator runs (README "Privileges").
      position = slave::OpenSlavePosition(&*conn, cfg->meta_schema);
      if (!position.ok()) {
        Log("cannot read the applied position: " + position.status().ToString());
        exit_status = app::kExitSetupFailed;
        return Fail(fmt::format("cannot keep the applied position in {}.slave_position: {}",
                                cfg->meta_schema, position.status().ToString()));
      }
      // Checked after the position table exists: a grant on it needs it.
      std::vector<std::string> grant_warnings;
      Status grants = app::CheckSlaveGrants(&*conn, cfg->db.database, cfg->meta_schema,
                                            cfg->allow_broad_grants, &grant_warnings);
      app::PrintWarnings("slave", grant_warnings);
      if (!grants.ok()) {
        Log("refusing to start: the database account may do more than applying needs");
        exit_status = app::kExitSetupFailed;
        return Fail(grants.message());
      }
    }

    // On a terminal the slave offers a read-only prompt, and its echo goes
    // above the line being typed. Otherwise it prints as it always did: also
    // when started in the background of a shell (`slave > log &`), whose
    // terminal it must not read (the kernel would stop it with SIGTTIN).
    const bool interactive = isatty(STDIN_FILENO) && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
    std::unique_ptr<console::TerminalLineSource> terminal;
    if (interactive) terminal = std::make_unique<console::TerminalLineSource>();
    std::mutex print_mu;
    auto print = [&print_mu, &terminal](const std::string& line) {
      if (terminal) return terminal->Notify(line);
      std::lock_guard lock(print_mu);
      std::cout << line << std::endl;
    };
    print(fmt::format("Slave {} applying into database '{}'; applied up to #{}; following {}:{}.",
                      cfg->slave_id, cfg->db.database, position->applied_seq, cfg->master_host,
                      cfg->master_port));

    Log(fmt::format("started: applied up to #{}{}", position->applied_seq,
                    position->replication_id.empty() ? "" : " of log " + position->replication_id));

    // Ctrl-C must reach the prompt's thread alone: the threads started
    // until the prompt runs inherit SIGINT blocked (console/interrupt.hpp).
    std::optional<console::SigintBlocked> sigint_off_workers;
    if (interactive) sigint_off_workers.emplace();
    asio::io_context io;
    slave::MasterLink::Options link_options;
    link_options.master_host = cfg->master_host;
    link_options.master_port = cfg->master_port;
    link_options.slave_id = cfg->slave_id;
    link_options.token = cfg->token;
    link_options.reconnect_seconds = cfg->reconnect_seconds;
    link_options.print = print;
    link_options.log = Log;
    link_options.tls = tls;
    slave::MasterLink link(io, link_options);
    slave::Applier::Options applier_options;
    applier_options.meta_schema = cfg->meta_schema;
    applier_options.database = cfg->db.database;
    applier_options.on_error = cfg->on_apply_error;
    applier_options.print = print;
    applier_options.log = Log;
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

    // At the prompt, Ctrl-C belongs to the prompt (it drops the typed line);
    // SIGTERM stops the slave either way.
    asio::signal_set signals(io, SIGTERM);
    if (!interactive) signals.add(SIGINT);
    signals.async_wait([&](asio::error_code ec, int signo) {
      if (ec) return;
      Log(fmt::format("stopping on {}", signo == SIGTERM ? "SIGTERM" : "SIGINT"));
      link.Stop();
    });
    std::atomic<bool> link_ended{false};
    asio::co_spawn(io, link.Run(applier), [&](std::exception_ptr e, int status) {
      if (e) {
        exit_status = app::kExitSetupFailed;
      } else if (status != 0) {
        exit_status = status;
      }
      signals.cancel();
      link_ended = true;
      link_ended.notify_all();
      if (terminal) terminal->WakeForInterrupt();  // the prompt ends too
      io.stop();
    });
    applier.Start();
    if (!interactive) {
      io.run();
      applier.Stop();
      return exit_status;
    }

    protocol::IoThread io_thread(io);
    sigint_off_workers.reset();
    Result<db::Connection> session = app::OpenLocalDatabase("slave", cfg->db, env_file);
    if (session.ok()) {
      console::InterruptHandler interrupt(
          app::ToConnectOptions(cfg->db),
          [&terminal](const std::string& line) { terminal->Notify(line); },
          [&terminal] { terminal->WakeForInterrupt(); });
      terminal->set_interrupt_pending([&] { return interrupt.pending() || link_ended.load(); });
      console::SlaveShell shell(
          &*session, {cfg->slave_id, cfg->db.database, master},
          [&] {
            return slave::DescribeStatus(master, link.state(), applier.counters(),
                                         std::chrono::steady_clock::now());
          },
          std::cout, std::cerr);
      shell.set_interrupt(&interrupt);
      shell.set_stop([&link_ended] { return link_ended.load(); });
      shell.Run(terminal.get());
      terminal->set_interrupt_pending(nullptr);
      if (!link_ended) Log("stopping: the prompt was closed");
    } else {
      exit_status = app::kExitSetupFailed;
    }
    link.Stop();
    link_ended.wait(false);  // Run() has finished: nothing on the loop refers to the link
    io_thread.Stop();
    applier.Stop();
    return exit_status;
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}
