#include "app/startup.hpp"

#include <fmt/format.h>

#include <asio.hpp>
#include <cxxopts.hpp>

#include <iostream>

namespace sqlrepl::app {

namespace {

// Each program's options, as --help lists them.
void AddOptions(cxxopts::Options* cli, bool master_options) {
  cli->add_options()("env-file", "configuration file (every key: .env.example)",
                     cxxopts::value<std::string>()->default_value(".env"), "PATH")(
      "h,help", "show this help and exit")("V,version", "show the version and exit");
  if (!master_options) {
    cli->add_options()("setup",
                       "as an administrator (ADMIN_DB_USER, ADMIN_DB_PASS or ADMIN_DB_SOCKET), "
                       "create META_SCHEMA and grant DB_USER what the slave needs, then exit")(
        "provision",
        "as the administrator, copy a consistent snapshot of the master's database into this "
        "slave's empty database and record its position, then exit")(
        "force", "with --provision: replace what the slave's database holds");
    return;
  }
  cli->add_options()("force", "in a script, go on after a statement fails")(
      "e,execute", "run these statements, print their results tab-separated and exit",
      cxxopts::value<std::string>(), "SQL")(
      "B,batch",
      "print rows tab-separated (tab, newline, backslash, NUL escaped), no borders, "
      "no \"Query OK\" lines; replication outcomes go to stderr")(
      "t,table", "print bordered tables, also with -B or -e")(
      "N,skip-column-names", "do not print column names in tab-separated output")(
      "s,silent", "less output: tab-separated rows; twice, no column names either")(
      "v,verbose", "in a script, echo each statement before its result; -vvv: summaries too")(
      "show-warnings", "print the warnings after each statement (\\W at the prompt)")(
      "serve",
      "run as a service: no prompt and no script; serve the slaves and the HTTP API until "
      "SIGTERM");
}

CommandLine ReadOptions(const cxxopts::ParseResult& args, bool master_options) {
  CommandLine c;
  c.load.env_file = args["env-file"].as<std::string>();
  c.load.env_file_explicit = args.count("env-file") > 0;
  if (!master_options) {
    c.setup = args.count("setup") > 0;
    c.provision = args.count("provision") > 0;
    c.force = args.count("force") > 0;
    return c;
  }
  c.force = args.count("force") > 0;
  if (args.count("execute")) c.execute = args["execute"].as<std::string>();
  c.batch = args.count("batch") > 0;
  c.table = args.count("table") > 0;
  c.skip_column_names = args.count("skip-column-names") > 0;
  c.silent = static_cast<int>(args.count("silent"));
  c.verbose = static_cast<int>(args.count("verbose"));
  c.show_warnings = args.count("show-warnings") > 0;
  c.serve = args.count("serve") > 0;
  return c;
}

}  // namespace

std::variant<CommandLine, int> ParseCommandLine(const char* program, const char* description,
                                                bool master_options, int argc, char** argv) {
  cxxopts::Options cli(program, description);
  AddOptions(&cli, master_options);
  try {
    cxxopts::ParseResult args = cli.parse(argc, argv);
    if (args.count("help")) {
      std::cout << cli.help() << std::endl;
      return kExitOk;
    }
    if (args.count("version")) {
      std::cout << program << " (sqlrepl) " << kVersion << std::endl;
      return kExitOk;
    }
    if (!args.unmatched().empty()) {
      return FailSetup(program,
                       "unexpected argument '" + args.unmatched().front() + "' (see --help)");
    }
    CommandLine c = ReadOptions(args, master_options);
    if (c.serve && c.execute) return FailSetup(program, "--serve runs no statements: drop -e");
    if (c.setup && c.provision) {
      return FailSetup(program, "--setup and --provision are two steps: run --setup first, then "
                                "--provision");
    }
    if (!master_options && c.force && !c.provision) {
      return FailSetup(program, "--force only goes with --provision");
    }
    return c;
  } catch (const cxxopts::exceptions::exception& e) {
    return FailSetup(program, std::string(e.what()) + " (see --help)");
  }
}

int FailSetup(const char* program, const std::string& message) {
  std::cerr << program << ": " << message << std::endl;
  return kExitSetupFailed;
}

db::ConnectOptions ToConnectOptions(const config::DbSettings& db) {
  db::ConnectOptions o;
  o.host = db.host;
  o.port = db.port;
  o.socket = db.socket;
  o.user = db.user;
  o.password = db.password;
  o.database = db.database;
  return o;
}

std::string DescribeConnectError(const Status& status, const config::DbSettings& db,
                                 const std::string& env_file) {
  const std::string where =
      db.socket.empty() ? fmt::format("{}:{}", db.host, db.port) : "socket " + db.socket;
  switch (status.sql_errno()) {
    case 1045:  // ER_ACCESS_DENIED_ERROR
      return fmt::format(
          "the database at {} refused user '{}' (access denied): check DB_USER and DB_PASS in {}",
          where, db.user, env_file);
    case 1049:  // ER_BAD_DB_ERROR
      return fmt::format(
          "database '{}' does not exist on {}: create it (scripts/cluster.sh does), or set DB_NAME "
          "in {}",
          db.database, where, env_file);
    case 1044:  // ER_DBACCESS_DENIED_ERROR
      return fmt::format(
          "user '{}' may not use database '{}' on {}: grant access, or check DB_NAME in {}",
          db.user, db.database, where, env_file);
    case 2002: case 2003: case 2005: case 2006: case 2013:
      return fmt::format(
          "cannot reach the database server at {} ({}): is it running? check "
          "DB_HOST/DB_PORT/DB_SOCKET in {}",
          where, status.message(), env_file);
    default:
      return fmt::format("cannot connect to the database at {}: {}", where, status.ToString());
  }
}

Result<db::Connection> OpenLocalDatabase(const char* program, const config::DbSettings& db,
                                         const std::string& env_file) {
  Result<db::Connection> conn = db::Connection::Open(ToConnectOptions(db));
  if (!conn.ok()) {
    std::cerr << program << ": " << DescribeConnectError(conn.status(), db, env_file) << std::endl;
  }
  return conn;
}

void PrintWarnings(const char* program, const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) std::cerr << program << ": " << w << std::endl;
}

bool IsLoopback(const std::string& host) {
  asio::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace sqlrepl::app
