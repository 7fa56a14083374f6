// slave: follows a master and applies its writes to the local database,
// refusing everything but data changes. On a terminal it also offers a
// local read-only prompt. See README.md and docs/design.md.
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
#include <variant>

#include "app/grants.hpp"
#include "app/oplog.hpp"
#include "app/provision.hpp"
#include "app/setup.hpp"
#include "app/startup.hpp"
#include "base/strings.hpp"
#include "config/config.hpp"
#include "console/interrupt.hpp"
#include "console/line_source.hpp"
#include "console/slave_shell.hpp"
#include "db/connection.hpp"
#include "db/privileges.hpp"
#include "http/http_server.hpp"
#include "http/slave_api.hpp"
#include "protocol/io_thread.hpp"
#include "protocol/transport.hpp"
#include "provision/gate.hpp"
#include "replication/slave_position.hpp"
#include "slave/applier.hpp"
#include "slave/apply_session.hpp"
#include "slave/master_link.hpp"
#include "slave/provisioner.hpp"
#include "slave/slave_status.hpp"

using namespace sqlrepl;

namespace {

using LogFn = std::function<void(const std::string&)>;

int Fail(const std::string& message) { return app::FailSetup("slave", message); }

// The configuration and what it names: the TLS context, the operations log.
struct Settings {
  config::SlaveConfig cfg;
  std::shared_ptr<protocol::TlsContext> tls;
  app::OpLog oplog;
};

// The settings, or the exit status when they are unusable.
std::variant<Settings, int> LoadSettings(const app::CommandLine& command_line) {
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
  Result<app::OpLog> oplog = app::OpLog::OpenUnlessEmpty(cfg->slave_log, "slave " + cfg->slave_id);
  if (!oplog.ok()) return Fail("SLAVE_LOG: " + oplog.status().message());
  return Settings{std::move(cfg).value(), std::move(tls), std::move(oplog).value()};
}

// The log's last line, however RunSlave returns.
struct StopLine {
  const LogFn log;
  const int& status;
  ~StopLine() {
    log(std::uncaught_exceptions() > 0 ? "stopped by an unexpected error (see the console)"
                                       : fmt::format("stopped (exit status {})", status));
  }
};

// The applied position, its table created when missing, once the account's
// grants are checked; nullopt (the reason printed) when either fails.
std::optional<slave::SlavePosition> OpenPosition(const config::SlaveConfig& cfg,
                                                 const std::string& env_file, const LogFn& Log) {
  Result<db::Connection> conn = app::OpenLocalDatabase("slave", cfg.db, env_file);
  if (!conn.ok()) {
    Log("cannot open the local database: " + conn.status().ToString());
    return std::nullopt;
  }
  // Created only when missing; an account that may not create it is told
  // what an administrator runs (README "Privileges").
  Result<slave::SlavePosition> position = slave::OpenSlavePosition(&*conn, cfg.meta_schema);
  if (!position.ok()) {
    Log("cannot read the applied position: " + position.status().ToString());
    Fail(fmt::format("cannot keep the applied position in {}.slave_position: {}\n(`slave --setup`, "
                     "run once with ADMIN_DB_USER and ADMIN_DB_PASS or ADMIN_DB_SOCKET, makes it)",
                     cfg.meta_schema, position.status().ToString()));
    return std::nullopt;
  }
  // Checked after the position table exists: a grant on it needs it.
  std::vector<std::string> grant_warnings;
  Status grants = app::CheckSlaveGrants(&*conn, cfg.db.database, cfg.meta_schema,
                                        cfg.allow_broad_grants, &grant_warnings);
  app::PrintWarnings("slave", grant_warnings);
  if (!grants.ok()) {
    Log("refusing to start: the database account may do more than applying needs");
    Fail(grants.message());
    return std::nullopt;
  }
  // An unfinished provisioning left a partial copy: following from any
  // position would build on it.
  Result<bool> unfinished = replication::ProvisioningUnfinished(&*conn, cfg.meta_schema);
  if (!unfinished.ok()) {
    Log("cannot read the provisioning marker: " + unfinished.status().ToString());
    Fail("cannot read the provisioning marker: " + unfinished.status().ToString());
    return std::nullopt;
  }
  if (*unfinished) {
    Log(std::string("refusing to start: ") + provision::kIncompleteMessage);
    Fail(provision::kIncompleteMessage);
    return std::nullopt;
  }
  return std::move(position).value();
}

// Console lines: above the line being typed at a terminal, else on stdout.
LogFn ConsolePrinter(std::mutex& print_mu,
                     const std::unique_ptr<console::TerminalLineSource>& terminal) {
  return [&print_mu, &terminal](const std::string& line) {
    if (terminal) return terminal->Notify(line);
    std::lock_guard lock(print_mu);
    std::cout << line << std::endl;
  };
}

slave::MasterLink::Options LinkOptions(const Settings& settings, const LogFn& print,
                                       const LogFn& Log) {
  slave::MasterLink::Options options;
  options.master_host = settings.cfg.master_host;
  options.master_port = settings.cfg.master_port;
  options.slave_id = settings.cfg.slave_id;
  options.token = settings.cfg.token;
  options.reconnect_seconds = settings.cfg.reconnect_seconds;
  options.print = print;
  options.log = Log;
  options.tls = settings.tls;
  return options;
}

slave::Applier::Options ApplierOptions(const config::SlaveConfig& cfg, const LogFn& print,
                                       const LogFn& Log, LogFn on_fatal) {
  slave::Applier::Options options;
  options.meta_schema = cfg.meta_schema;
  options.database = cfg.db.database;
  options.on_error = cfg.on_apply_error;
  options.print = print;
  options.log = Log;
  options.on_fatal = std::move(on_fatal);
  return options;
}

// An applier stopped for good ends the link, and the slave with status 1.
LogFn StopOnFatal(const LogFn& print, asio::io_context& io, slave::MasterLink& link,
                  int& exit_status) {
  return [&print, &io, &link, &exit_status](const std::string& why) {
    print("Stopping: " + why);
    asio::post(io, [&link, &exit_status] {
      exit_status = app::kExitStatementFailed;
      link.Stop();
    });
  };
}

// At the prompt, Ctrl-C belongs to the prompt (it drops the typed line);
// SIGTERM stops the slave either way.
void StopOnSignals(asio::signal_set& signals, bool interactive, slave::MasterLink& link,
                   const LogFn& Log) {
  if (!interactive) signals.add(SIGINT);
  signals.async_wait([&link, &Log](asio::error_code ec, int signo) {
    if (ec) return;
    Log(fmt::format("stopping on {}", signo == SIGTERM ? "SIGTERM" : "SIGINT"));
    link.Stop();
  });
}

// When MasterLink::Run() ends: its status becomes the slave's, and the
// signal wait, the prompt and the loop end too.
auto WhenLinkEnds(int& exit_status, asio::signal_set& signals, std::atomic<bool>& link_ended,
                  const std::unique_ptr<console::TerminalLineSource>& terminal,
                  asio::io_context& io) {
  return [&exit_status, &signals, &link_ended, &terminal, &io](std::exception_ptr e, int status) {
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
  };
}

// The read-only prompt, until it is closed or the link ends; false when its
// session cannot be opened.
bool RunPrompt(const config::SlaveConfig& cfg, const std::string& env_file,
               const std::string& master, console::TerminalLineSource& terminal,
               slave::MasterLink& link, slave::Applier& applier,
               const std::atomic<bool>& link_ended, const LogFn& Log) {
  Result<db::Connection> session = app::OpenLocalDatabase("slave", cfg.db, env_file);
  if (!session.ok()) return false;
  console::InterruptHandler interrupt(
      app::ToConnectOptions(cfg.db),
      [&terminal](const std::string& line) { terminal.Notify(line); },
      [&terminal] { terminal.WakeForInterrupt(); });
  terminal.set_interrupt_pending([&] { return interrupt.pending() || link_ended.load(); });
  console::SlaveShell shell(
      &*session, {cfg.slave_id, cfg.db.database, master},
      [&] {
        return slave::DescribeStatus(master, link.state(), applier.counters(),
                                     std::chrono::steady_clock::now());
      },
      std::cout, std::cerr);
  shell.set_interrupt(&interrupt);
  shell.set_stop([&link_ended] { return link_ended.load(); });
  shell.Run(&terminal);
  terminal.set_interrupt_pending(nullptr);
  if (!link_ended) Log("stopping: the prompt was closed");
  return true;
}

// The first lines: where the slave stands and whom it follows.
void AnnounceStart(const config::SlaveConfig& cfg, const slave::SlavePosition& position,
                   const LogFn& print, const LogFn& Log) {
  print(fmt::format("Slave {} applying into database '{}'; applied up to #{}; following {}:{}.",
                    cfg.slave_id, cfg.db.database, position.applied_seq, cfg.master_host,
                    cfg.master_port));
  Log(fmt::format("started: applied up to #{}{}", position.applied_seq,
                  position.replication_id.empty() ? "" : " of log " + position.replication_id));
}

// The HTTP API, when HTTP_LISTEN is set: `api` and `server` are the
// caller's, so that they go before the link and the applier.
Status StartHttp(const config::SlaveConfig& cfg, const std::string& master, const LogFn& print,
                 slave::MasterLink& link, slave::Applier& applier,
                 std::optional<http::SlaveApi>& api, std::optional<http::HttpServer>& server) {
  if (!cfg.http.enabled()) return Status::Ok();
  api.emplace(http::SlaveApi::Options{cfg.slave_id, cfg.db.database, master,
                                      !cfg.tls.cert.empty(), app::ToConnectOptions(cfg.db)},
              &link, &applier);
  server.emplace(http::NodeServerOptions(cfg.http, cfg.tls, print), &*api);
  return server->Start();
}

// Follows the master from `position` until the link ends (or, at a
// terminal, the prompt is closed); objects are declared in the order they
// may be torn down in reverse.
int Follow(const Settings& settings, const slave::SlavePosition& position,
           const std::string& env_file, const std::string& master, const LogFn& Log,
           int& exit_status) {
  const config::SlaveConfig& cfg = settings.cfg;
  // On a terminal the slave offers a read-only prompt, and its echo goes
  // above the line being typed. Otherwise it prints as it always did: also
  // when started in the background of a shell (`slave > log &`), whose
  // terminal it must not read (the kernel would stop it with SIGTTIN).
  const bool interactive = isatty(STDIN_FILENO) && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
  std::unique_ptr<console::TerminalLineSource> terminal;
  if (interactive) terminal = std::make_unique<console::TerminalLineSource>();
  std::mutex print_mu;
  const LogFn print = ConsolePrinter(print_mu, terminal);
  AnnounceStart(cfg, position, print, Log);

  // Ctrl-C must reach the prompt's thread alone: the threads started
  // until the prompt runs inherit SIGINT blocked (console/interrupt.hpp).
  std::optional<console::SigintBlocked> sigint_off_workers;
  if (interactive) sigint_off_workers.emplace();
  asio::io_context io;
  slave::MasterLink link(io, LinkOptions(settings, print, Log));
  // The link carries the applier's acks; the applier is handed to Run().
  slave::Applier applier(ApplierOptions(cfg, print, Log, StopOnFatal(print, io, link, exit_status)),
                         slave::MakeDbSessionFactory(app::ToConnectOptions(cfg.db)), link,
                         position);
  asio::signal_set signals(io, SIGTERM);
  StopOnSignals(signals, interactive, link, Log);
  std::atomic<bool> link_ended{false};
  // The HTTP API (HTTP_LISTEN): stopped before the link and the applier go.
  std::optional<http::SlaveApi> api;
  std::optional<http::HttpServer> http_server;
  if (Status started = StartHttp(cfg, master, print, link, applier, api, http_server);
      !started.ok()) {
    Log("stopped: " + started.message());
    return Fail(started.message());
  }
  asio::co_spawn(io, link.Run(applier),
                 WhenLinkEnds(exit_status, signals, link_ended, terminal, io));
  applier.Start();
  if (!interactive) {
    io.run();
    if (http_server) http_server->Stop();
    applier.Stop();
    return exit_status;
  }

  protocol::IoThread io_thread(io);
  sigint_off_workers.reset();
  if (!RunPrompt(cfg, env_file, master, *terminal, link, applier, link_ended, Log)) {
    exit_status = app::kExitSetupFailed;
  }
  link.Stop();
  link_ended.wait(false);  // Run() has finished: nothing on the loop refers to the link
  if (http_server) http_server->Stop();
  io_thread.Stop();
  applier.Stop();
  return exit_status;
}

// `slave --setup`: the administrator's step, then exit (app/setup.hpp).
// Not in the operational log: it is not the slave running.
int RunSetup(const app::CommandLine& command_line) {
  std::vector<std::string> warnings;
  Result<config::SlaveConfig> cfg = config::LoadSlaveConfig(command_line.load, &warnings);
  app::PrintWarnings("slave", warnings);
  if (!cfg.ok()) return Fail(cfg.status().message());
  db::LibraryGuard mysql_library;
  const Status s =
      app::RunSlaveSetup(*cfg, command_line.load.env_file,
                         [](const std::string& line) { std::cout << line << std::endl; });
  if (!s.ok()) return Fail("setup: " + s.message());
  return app::kExitOk;
}

// `slave --provision [--force]`: the database replaced by a copy of the
// master's and the position it corresponds to, then exit
// (docs/provisioning.md). Status 1 when it did not finish: the database
// stays marked incomplete.
int RunProvision(const app::CommandLine& command_line) {
  std::variant<Settings, int> loaded = LoadSettings(command_line);
  if (const int* status = std::get_if<int>(&loaded)) return *status;
  Settings& settings = std::get<Settings>(loaded);
  const config::SlaveConfig& cfg = settings.cfg;
  const LogFn print = [](const std::string& line) { std::cout << line << std::endl; };
  const LogFn Log = [&settings](const std::string& line) { settings.oplog.Write(line); };
  const std::string master = fmt::format("{}:{}", cfg.master_host, cfg.master_port);
  db::LibraryGuard mysql_library;
  Result<app::ProvisionPlan> plan = app::PlanProvisioning(cfg, command_line.force);
  if (!plan.ok()) return Fail("provision: " + plan.status().message());
  Log(fmt::format("provisioning database {} from the master at {}", cfg.db.database, master));
  print(fmt::format("Copying database '{}' from the master at {} ...", cfg.db.database, master));
  // Nothing changes before the master has welcomed us.
  bool cleared = false;
  Result<slave::ProvisionResult> copied = slave::CopySnapshot(
      &plan->admin, {cfg.db.database, cfg.meta_schema}, LinkOptions(settings, print, Log), [&] {
        cleared = true;
        return app::ClearForProvisioning(cfg, &*plan, print);
      });
  if (!copied.ok() && !cleared) {
    Log("provisioning did not start: " + copied.status().message());
    return Fail(fmt::format("provisioning did not start: {}\nThe database is as it was.",
                            copied.status().message()));
  }
  if (!copied.ok()) {
    Log("provisioning did not finish: " + copied.status().message());
    app::FailSetup("slave", fmt::format("provisioning did not finish: {}\nThe database stays "
                                        "marked incomplete: run slave --provision again.",
                                        copied.status().message()));
    return app::kExitStatementFailed;
  }
  const protocol::SnapshotBegin& begin = copied->begin;
  Log(fmt::format("provisioned: {} rows at #{} of log {}", copied->progress.rows, begin.position,
                  begin.replication_id));
  print(fmt::format("Provisioned database '{}': {} table{}, {} row{} ({}), the master's data as of "
                    "#{} (log {}).",
                    cfg.db.database, begin.table_count, begin.table_count == 1 ? "" : "s",
                    copied->progress.rows, copied->progress.rows == 1 ? "" : "s",
                    provision::FormatBytes(copied->progress.bytes), begin.position,
                    begin.replication_id));
  if (!begin.not_copied.empty()) {
    print("Not copied (create them from the master's definitions): " +
          JoinComma(begin.not_copied) + ".");
  }
  print(fmt::format("Start the slave to follow from #{}.", begin.position + 1));
  return app::kExitOk;
}

// The slave from its command line to its exit status.
int RunSlave(const app::CommandLine& command_line) {
  if (command_line.setup) return RunSetup(command_line);
  if (command_line.provision) return RunProvision(command_line);
  std::variant<Settings, int> loaded = LoadSettings(command_line);
  if (const int* status = std::get_if<int>(&loaded)) return *status;
  Settings& settings = std::get<Settings>(loaded);
  const config::SlaveConfig& cfg = settings.cfg;
  const std::string& env_file = command_line.load.env_file;
  const LogFn Log = [&settings](const std::string& line) { settings.oplog.Write(line); };
  const std::string master = fmt::format("{}:{}", cfg.master_host, cfg.master_port);
  Log(fmt::format("starting (sqlrepl {}) as {}, database {} on {}, following {}", app::kVersion,
                  cfg.slave_id, cfg.db.database,
                  cfg.db.socket.empty() ? fmt::format("{}:{}", cfg.db.host, cfg.db.port)
                                        : "socket " + cfg.db.socket,
                  master));
  int exit_status = app::kExitOk;
  StopLine stop_line{Log, exit_status};
  db::LibraryGuard mysql_library;
  std::optional<slave::SlavePosition> position = OpenPosition(cfg, env_file, Log);
  if (!position) return exit_status = app::kExitSetupFailed;
  return Follow(settings, *position, env_file, master, Log, exit_status);
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = app::ParseCommandLine(
      "slave", "sqlrepl slave: apply the master's writes to the local database", false, argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const app::CommandLine& command_line = std::get<app::CommandLine>(parsed);
  try {
    return RunSlave(command_line);
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}
