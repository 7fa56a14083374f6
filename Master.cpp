// master: an interactive SQL prompt on the local database whose writes are
// streamed to the slaves. See README.md and docs/design.md.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <variant>

#include "app/oplog.hpp"
#include "app/startup.hpp"
#include "config/config.hpp"
#include "console/line_source.hpp"
#include "console/master_shell.hpp"
#include "db/connection.hpp"
#include "db/privileges.hpp"
#include "db/schema_catalog.hpp"
#include "feed/server.hpp"
#include "feed/slave_registry.hpp"
#include "log/log_purger.hpp"
#include "log/replication_log.hpp"
#include "http/http_server.hpp"
#include "http/master_api.hpp"
#include "http/replication_stats.hpp"
#include "master/master_executor.hpp"
#include "master/reconnect_rules.hpp"
#include "master/run_record.hpp"
#include "master/verifier.hpp"
#include "protocol/io_thread.hpp"
#include "protocol/transport.hpp"
#include "replication/event.hpp"

using namespace sqlrepl;

namespace {

using LogFn = std::function<void(const std::string&)>;

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

int Fail(const std::string& message) { return app::FailSetup("master", message); }

// The configuration and what it names: the TLS context, the operations log.
struct Settings {
  config::MasterConfig cfg;
  std::shared_ptr<protocol::TlsContext> tls;
  std::optional<app::OpLog> oplog;
};

// The settings, or the exit status when they are unusable.
std::variant<Settings, int> LoadSettings(const app::CommandLine& command_line) {
  std::vector<std::string> warnings;
  Result<config::MasterConfig> cfg = config::LoadMasterConfig(command_line.load, &warnings);
  app::PrintWarnings("master", warnings);
  if (!cfg.ok()) return Fail(cfg.status().message());
  Settings settings{std::move(cfg).value(), nullptr, std::nullopt};
  if (!settings.cfg.tls.cert.empty()) {
    Result<std::shared_ptr<protocol::TlsContext>> made = protocol::TlsContext::ForServer(
        settings.cfg.tls.cert, settings.cfg.tls.key, settings.cfg.tls.ca);
    if (!made.ok()) return Fail(made.status().message());
    settings.tls = std::move(made).value();
  }
  if (!settings.cfg.master_log.empty()) {
    Result<app::OpLog> opened = app::OpLog::Open(settings.cfg.master_log, "master");
    if (!opened.ok()) return Fail("MASTER_LOG: " + opened.status().message());
    settings.oplog.emplace(std::move(opened).value());
  }
  return settings;
}

// The master's session on the local database and the replication log it holds.
struct LocalLog {
  db::Connection conn;
  log::ReplicationLog log;
};

// Opens both; nullopt (the reason printed) when either fails.
std::optional<LocalLog> OpenDatabaseAndLog(const config::MasterConfig& cfg,
                                           const std::string& env_file, const LogFn& Log) {
  Result<db::Connection> conn = app::OpenLocalDatabase("master", cfg.db, env_file);
  if (!conn.ok()) {
    Log("stopped: cannot open the local database: " + conn.status().ToString());
    return std::nullopt;
  }
  conn->set_capture_warnings(true);  // the log's own statements would clear them
  Result<log::ReplicationLog> log = log::ReplicationLog::Open(&*conn, cfg.meta_schema);
  if (!log.ok()) {
    Log("stopped: cannot open the replication log: " + log.status().ToString());
    Fail(fmt::format("cannot open the replication log in {}: {}", cfg.meta_schema,
                     log.status().ToString()));
    return std::nullopt;
  }
  return LocalLog{std::move(conn).value(), std::move(log).value()};
}

// Notices come from the I/O and purger threads; at a terminal they are
// printed above the prompt (the terminal redraws what was being typed).
LogFn NoticePrinter(const LogFn& Log,
                    const std::unique_ptr<console::TerminalLineSource>& terminal) {
  return [&Log, &terminal](const std::string& line) {
    Log(line);
    if (terminal) {
      terminal->Notify("master: " + line);
    } else {
      std::cerr << "master: " << line << std::endl;
    }
  };
}

feed::ReplicationServer::Options ServerOptions(const Settings& settings, LogFn notice) {
  feed::ReplicationServer::Options options;
  options.listen_host = settings.cfg.listen_host;
  options.listen_port = settings.cfg.listen_port;
  options.token = settings.cfg.token;
  options.meta_schema = settings.cfg.meta_schema;
  options.db = app::ToConnectOptions(settings.cfg.db);
  options.tls = settings.tls;
  options.log = std::move(notice);
  return options;
}

// Starts listening and says where; the exit status when it cannot.
int StartServer(feed::ReplicationServer& server, const log::ReplicationLog& log,
                const Settings& settings, const LogFn& Log) {
  const config::MasterConfig& cfg = settings.cfg;
  Status started = server.Start();
  if (!started.ok()) {
    Log("stopped: " + started.message());
    return Fail(started.message());
  }
  const std::string listening = fmt::format(
      "replication log {} at #{}; listening for slaves on {}:{}{}", log.replication_id(),
      log.last_seq(), cfg.listen_host, server.port(), settings.tls ? " (TLS)" : "");
  Log("started: " + listening);
  std::cerr << "master: " << listening << std::endl;
  if (!settings.tls && !app::IsLoopback(cfg.listen_host)) {
    const std::string warning = fmt::format(
        "warning: listening on {} without TLS: anyone on the network path can read every "
        "replicated "
        "statement; set TLS_CERT and TLS_KEY (README \"Configuration\")",
        cfg.listen_host);
    Log(warning);
    std::cerr << "master: " << warning << std::endl;
  }
  return app::kExitOk;
}

// A new session must hold the log's single-writer lock again, and still
// write the same log.
master::MasterExecutor::ReconnectHook ReconnectCheck(const config::MasterConfig& cfg,
                                                     const log::ReplicationLog& log, LogFn Log) {
  return [&cfg, &log, Log](db::Session* session, unsigned long previous_session) -> Status {
    Result<log::ReplicationLog> again =
        log::ReplicationLog::Open(session, cfg.meta_schema, previous_session);
    if (!again.ok() && again.status().code() == StatusCode::kFailedPrecondition) {
      Log("reconnected, but another master holds the replication log lock; writes are "
          "impossible");
      return Status::FailedPrecondition(
          "reconnected, but another master took the replication log lock meanwhile: this master "
          "cannot write any more. Stop one of the two masters.");
    }
    if (!again.ok()) return again.status();
    if (again->replication_id() != log.replication_id()) {
      return Status::FailedPrecondition(
          fmt::format("reconnected, but {} now holds another replication log ({}, not {}): "
                      "restart the master",
                      cfg.meta_schema, again->replication_id(), log.replication_id()));
    }
    Log(fmt::format("reconnected to the local database (session {})", session->thread_id()));
    return Status::Ok();
  };
}

console::MasterShell::Options ShellOptions(const app::CommandLine& command_line,
                                           const config::MasterConfig& cfg) {
  console::MasterShell::Options options;
  options.force = command_line.force;
  options.database = cfg.db.database;
  options.ack_timeout_ms = cfg.ack_timeout_ms;
  // Piped input keeps the bordered tables scripts already rely on; -B (and
  // -e, as in the mysql client) gives the mysql client's batch format.
  options.silent = command_line.silent;
  if (command_line.batch || command_line.execute) options.silent = std::max(options.silent, 1);
  options.table = command_line.table;
  options.column_names = !command_line.skip_column_names;
  options.verbose = command_line.verbose;
  options.show_warnings = command_line.show_warnings;
  options.color = UseColor();
  options.user = cfg.db.user;
  options.host = cfg.db.socket.empty()
                     ? fmt::format("{} via TCP/IP, port {}", cfg.db.host, cfg.db.port)
                     : "Localhost via UNIX socket " + cfg.db.socket;
  return options;
}

// The prompt at a terminal, where Ctrl-C cancels what is running or waited for.
int RunAtTerminal(console::MasterShell& shell, console::TerminalLineSource& terminal,
                  feed::SlaveRegistry& registry, master::MasterExecutor& executor,
                  std::timed_mutex& write_path, const config::DbSettings& db) {
  std::atomic<uint64_t> ctrl_c{0};  // so far: a wait for room ends only on one of its own
  console::InterruptHandler interrupt(
      app::ToConnectOptions(db), [&terminal](const std::string& line) { terminal.Notify(line); },
      // The signal may land on any thread: wake both kinds of waiting.
      [&registry, &terminal, &ctrl_c] {
        ++ctrl_c;
        registry.WakeWaiters();
        terminal.WakeForInterrupt();
      });
  // Under the write path: an HTTP request may be running the executor,
  // and must not call these once this function's locals are gone.
  std::unique_lock held(write_path);
  executor.set_on_user_statement([&interrupt](unsigned long id) { interrupt.SetKillable(id); });
  executor.set_interrupts([&ctrl_c] { return ctrl_c.load(); });
  held.unlock();
  terminal.set_interrupt_pending([&interrupt] { return interrupt.pending(); });
  shell.set_interrupt(&interrupt);
  terminal.set_on_wake([&shell] { shell.PrintLagChanges(); });
  const int status = shell.Run(&terminal);
  terminal.set_on_wake(nullptr);
  shell.set_interrupt(nullptr);
  terminal.set_interrupt_pending(nullptr);
  held.lock();
  executor.set_on_user_statement(nullptr);
  executor.set_interrupts(nullptr);
  return status;
}

// Runs -e's statements, the terminal's prompt, or the script on stdin.
int RunShell(console::MasterShell& shell, const app::CommandLine& command_line,
             console::TerminalLineSource* terminal, feed::SlaveRegistry& registry,
             master::MasterExecutor& executor, std::timed_mutex& write_path,
             const config::DbSettings& db) {
  if (command_line.execute) {
    std::istringstream statements(*command_line.execute);
    console::StreamLineSource script(statements);
    return shell.Run(&script);
  }
  if (terminal != nullptr) {
    return RunAtTerminal(shell, *terminal, registry, executor, write_path, db);
  }
  console::StreamLineSource script(std::cin);
  script.set_fd(STDIN_FILENO);
  return shell.Run(&script);
}

// Writes through triggers and views the account cannot read are flagged as
// unknown (sql/determinism.hpp): says at start what is missing and the
// GRANT that fixes it.
void WarnOfCatalogGaps(db::Connection* conn, const config::MasterConfig& cfg, const LogFn& Log) {
  Result<std::vector<std::string>> gaps = db::CatalogReadGaps(conn, cfg.db.database);
  const std::vector<std::string> lines =
      gaps.ok()
          ? std::move(gaps).value()
          : std::vector<std::string>{"cannot check which triggers and views of " + cfg.db.database +
                                     " this account may read: " + gaps.status().ToString()};
  for (const std::string& line : lines) {
    Log("warning: " + line);
    std::cerr << "master: warning: " << line << std::endl;
  }
}

// The HTTP API's server, or nullopt when HTTP_LISTEN is off.
std::optional<http::HttpServer::Options> HttpOptions(const Settings& settings, LogFn log) {
  if (!settings.cfg.http.enabled()) return std::nullopt;
  return http::NodeServerOptions(settings.cfg.http, settings.cfg.tls, std::move(log));
}

// The signals that stop `master --serve`.
sigset_t TerminationSignals() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  return stop;
}

// --serve: waits for SIGTERM (or SIGINT), blocked in every thread since
// Serve() began.
void WaitForTermination(const LogFn& Log) {
  const sigset_t stop = TerminationSignals();
  int signal = 0;
  sigwait(&stop, &signal);
  Log(fmt::format("stopping: {}", signal == SIGTERM ? "SIGTERM" : "SIGINT"));
}

// Waits, within ACK_TIMEOUT_MS, for the slaves connected now to
// acknowledge the last event; says which did not.
void AwaitAcknowledgements(const config::MasterConfig& cfg, const log::ReplicationLog& log,
                           feed::SlaveRegistry& registry, const LogFn& Log) {
  const std::vector<feed::SlaveOutcome> outcomes =
      registry.WaitFor(log.last_seq(), registry.ConnectedSlaves(),
                       feed::SlaveRegistry::Clock::now() +
                           std::chrono::milliseconds(cfg.ack_timeout_ms));
  for (const feed::SlaveOutcome& o : outcomes) {
    if (o.kind == feed::SlaveOutcome::kNoAck || o.kind == feed::SlaveOutcome::kLagging) {
      Log(fmt::format("{} has not acknowledged #{}; it catches up when a master runs again",
                      o.slave_id, log.last_seq()));
    }
  }
}

// The prompt's statements (or, with --serve, the HTTP API's alone), run on
// the log's session and published through `sink`; nullopt when the second
// session cannot be opened or the HTTP server cannot start.
std::optional<int> RunStatements(const app::CommandLine& command_line, const Settings& settings,
                                 LocalLog& local, feed::ReplicationServer& server,
                                 http::ReplicationStats& stats, feed::SlaveRegistry& registry,
                                 console::TerminalLineSource* terminal, const LogFn& Log,
                                 const LogFn& notice) {
  const config::MasterConfig& cfg = settings.cfg;
  // A second session sees only what the first one committed.
  Result<db::Connection> probe =
      app::OpenLocalDatabase("master", cfg.db, command_line.load.env_file);
  if (!probe.ok()) return std::nullopt;
  WarnOfCatalogGaps(&*probe, cfg, Log);
  db::SchemaCatalog catalog(app::ToConnectOptions(cfg.db));
  master::MasterExecutor::Options options{cfg.meta_schema, cfg.unsafe_statements, &catalog};
  options.log_wait.notice = notice;  // says at once that a write waits for room
  options.oplog = Log;
  master::MasterExecutor executor(&local.conn, &*probe, &local.log, &stats, std::move(options));
  executor.set_on_reconnect(ReconnectCheck(cfg, local.log, Log));
  master::Verifier verifier(&*probe, &registry, &server, &local.log);
  // The prompt and the HTTP API take turns on the executor.
  std::timed_mutex write_path;
  std::optional<http::MasterApi> api;
  std::optional<http::HttpServer> http_server;
  if (std::optional<http::HttpServer::Options> http_options = HttpOptions(settings, notice)) {
    api.emplace(http::MasterApi::Options{"master",
                                         fmt::format("{}:{}", cfg.listen_host, server.port()),
                                         !cfg.tls.cert.empty(), cfg.ack_timeout_ms,
                                         cfg.meta_schema, app::ToConnectOptions(cfg.db)},
                &executor, &write_path, &registry, &local.log, &stats);
    http_server.emplace(std::move(*http_options), &*api);
    // Its threads must not take the prompt's Ctrl-C (console::SigintBlocked).
    std::optional<console::SigintBlocked> sigint_off_workers;
    if (terminal != nullptr) sigint_off_workers.emplace();
    if (Status started = http_server->Start(); !started.ok()) {
      Log("stopped: " + started.message());
      Fail(started.message());
      return std::nullopt;
    }
  } else {
    Log("HTTP API off (HTTP_LISTEN empty, or HTTP_TOKEN not set)");
  }
  if (command_line.serve) {
    WaitForTermination(Log);
    // No new request; those running finish (each waits for its own acknowledgements).
    if (http_server) http_server->Stop();
    AwaitAcknowledgements(cfg, local.log, registry, Log);
    return app::kExitOk;
  }
  console::MasterShell shell(&executor, &registry, &verifier, &local.log,
                             ShellOptions(command_line, cfg), std::cout, std::cerr);
  shell.set_oplog(Log);
  shell.set_write_path(&write_path);
  return RunShell(shell, command_line, terminal, registry, executor, write_path, cfg.db);
}

// A master killed with -9 may have committed its last writes (they are in
// the log, and replicated) without reporting them; this run cannot know
// which it reported. Names the last ones, so that the person can check
// before running anything again; says nothing after a clean stop
// (master/run_record.hpp).
void SayWhereThePreviousRunEnded(LocalLog& local, const config::MasterConfig& cfg,
                                 const LogFn& Log) {
  constexpr uint64_t kShown = 3;
  const uint64_t last = local.log.last_seq();
  Result<std::optional<uint64_t>> clean_stop = master::BeginRun(&local.conn, cfg.meta_schema);
  if (!clean_stop.ok()) {  // then warn as after a kill: it may have been one
    Log("cannot read or mark the run record: " + clean_stop.status().ToString());
  }
  if (!master::MayHaveUnreportedWrites(clean_stop.ok() ? *clean_stop : std::nullopt, last)) {
    return;
  }
  const uint64_t from = last > kShown ? last - kShown + 1 : 1;
  Result<std::vector<std::string>> rows =
      log::ReplicationLog::ReadFrom(&local.conn, cfg.meta_schema, from, kShown, size_t{1} << 26);
  std::string text = fmt::format(
      "the previous run ended at write #{}; if it was killed, it may have committed its last "
      "writes without reporting them:",
      last);
  uint64_t seq = from;
  for (const std::string& encoded : rows.ok() ? *rows : std::vector<std::string>{}) {
    Result<replication::Event> event = replication::DecodeEvent(encoded);
    text += fmt::format("\n  #{}: {}", seq++,
                        event.ok() ? master::Summary(*event) : "(unreadable event)");
  }
  Log(fmt::format("the previous run ended at write #{}", last));  // one line per event
  std::cerr << "master: " << text << std::endl;
}

// Serves the slaves and purges the log while the prompt runs; objects are
// declared in the order they may be torn down in reverse.
int Serve(const app::CommandLine& command_line, bool interactive, const Settings& settings,
          LocalLog& local, const LogFn& Log) {
  const config::MasterConfig& cfg = settings.cfg;
  feed::SlaveRegistry registry;
  std::unique_ptr<console::TerminalLineSource> terminal;
  if (interactive) terminal = std::make_unique<console::TerminalLineSource>(HistoryFile());
  const LogFn notice = NoticePrinter(Log, terminal);
  // At a prompt a slave that caught up is announced at once, not with the
  // next write's report: the I/O thread only wakes the prompt's, which
  // takes the change and prints it in order with its reports, tee file
  // included (RunAtTerminal).
  if (terminal) registry.set_on_caught_up([t = terminal.get()] { t->Wake(); });
  // Ctrl-C must reach the prompt's thread alone: the threads started
  // until the prompt runs inherit SIGINT blocked.
  std::optional<console::SigintBlocked> sigint_off_workers;
  if (interactive) sigint_off_workers.emplace();
  // --serve: SIGTERM and SIGINT are taken by sigwait() on this thread alone.
  if (command_line.serve) {
    const sigset_t stop = TerminationSignals();
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  }
  asio::io_context io;
  feed::ReplicationServer server(io, ServerOptions(settings, notice), &registry,
                                   local.log.replication_id(), local.log.first_seq_at_open(),
                                   local.log.head());
  // Times events between the write path and the server, for the HTTP API.
  http::ReplicationStats stats(&server, &registry);
  registry.set_on_acknowledged(
      [&stats](const std::string& id, const protocol::Ack& ack) { stats.Acknowledged(id, ack); });
  // Declared after the server so that it stops first: late handlers still reach the server.
  protocol::IoThread io_thread(io);
  if (int status = StartServer(server, local.log, settings, Log); status != app::kExitOk)
    return status;
  SayWhereThePreviousRunEnded(local, cfg, Log);
  log::LogPurger purger({app::ToConnectOptions(cfg.db), cfg.meta_schema, cfg.log_retention_seconds,
                         [&server](uint64_t first) { server.SetFirstSeq(first); }, notice},
                        [&registry] { return registry.Positions(); });
  purger.Start();
  sigint_off_workers.reset();

  const std::optional<int> status = RunStatements(command_line, settings, local, server, stats,
                                                  registry, terminal.get(), Log, notice);
  if (!status) return app::kExitSetupFailed;
  // Every write was reported: the next start need not warn.
  if (Status s = master::EndRunCleanly(&local.conn, cfg.meta_schema, local.log.last_seq());
      !s.ok()) {
    Log("cannot record the clean stop: " + s.ToString());
  }
  purger.Stop();
  server.Stop();
  io_thread.Stop();
  Log(fmt::format("stopped (exit status {})", *status));
  return *status;
}

// The master from its command line to its exit status.
int RunMaster(const app::CommandLine& command_line, bool interactive) {
  std::variant<Settings, int> loaded = LoadSettings(command_line);
  if (const int* status = std::get_if<int>(&loaded)) return *status;
  Settings& settings = std::get<Settings>(loaded);
  const config::MasterConfig& cfg = settings.cfg;
  const LogFn Log = [&settings](const std::string& line) {
    if (settings.oplog) settings.oplog->Write(line);
  };
  Log(fmt::format("starting (sqlrepl {}), database {} on {}", app::kVersion, cfg.db.database,
                  cfg.db.socket.empty() ? fmt::format("{}:{}", cfg.db.host, cfg.db.port)
                                        : "socket " + cfg.db.socket));
  db::LibraryGuard mysql_library;
  std::optional<LocalLog> local = OpenDatabaseAndLog(cfg, command_line.load.env_file, Log);
  if (!local) return app::kExitSetupFailed;
  return Serve(command_line, interactive, settings, *local, Log);
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // lets InputPending() see what std::cin has buffered
  auto parsed = app::ParseCommandLine(
      "master", "sqlrepl master: run SQL at a prompt and replicate its writes", true, argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const app::CommandLine& command_line = std::get<app::CommandLine>(parsed);
  const bool interactive =
      !command_line.execute && !command_line.serve && isatty(STDIN_FILENO);
  try {
    return RunMaster(command_line, interactive);
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}
