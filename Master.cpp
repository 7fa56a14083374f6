// master: an interactive SQL prompt on the local database whose writes are
// streamed to the slaves. See README.md and DESIGN.md.
#include <fmt/format.h>
#include <unistd.h>

#include <cxxopts.hpp>
#include <iostream>

#include "config/config.hpp"
#include "console/line_source.hpp"
#include "console/master_shell.hpp"
#include "console/startup.hpp"
#include "db/connection.hpp"
#include "db/schema_catalog.hpp"

using namespace sqlrepl;

int main(int argc, char** argv) {
  cxxopts::Options cli("master", "sqlrepl master: run SQL at a prompt and replicate its writes");
  cli.add_options()
      ("env-file", "configuration file", cxxopts::value<std::string>()->default_value(".env"))
      ("force", "in a script, go on after a statement fails")
      ("h,help", "show this help");
  std::string env_file;
  bool force = false;
  try {
    cxxopts::ParseResult args = cli.parse(argc, argv);
    if (args.count("help")) {
      std::cout << cli.help() << std::endl;
      return console::kExitOk;
    }
    if (!args.unmatched().empty()) {
      std::cerr << "master: unexpected argument '" << args.unmatched().front() << "' (see --help)\n";
      return console::kExitSetupFailed;
    }
    env_file = args["env-file"].as<std::string>();
    force = args.count("force") > 0;
    config::LoadOptions load;
    load.env_file = env_file;
    load.env_file_explicit = args.count("env-file") > 0;
    std::vector<std::string> warnings;
    Result<config::MasterConfig> cfg = config::LoadMasterConfig(load, &warnings);
    console::PrintWarnings("master", warnings);
    if (!cfg.ok()) {
      std::cerr << "master: " << cfg.status().message() << "\n";
      return console::kExitSetupFailed;
    }

    db::LibraryGuard mysql_library;
    Result<db::Connection> conn = console::OpenLocalDatabase("master", cfg->db, env_file);
    if (!conn.ok()) return console::kExitSetupFailed;

    db::SchemaCatalog catalog(console::ToConnectOptions(cfg->db));
    console::MasterShell shell(&*conn, &catalog, {force, cfg->db.database, cfg->unsafe_statements},
                               std::cout, std::cerr);
    if (isatty(STDIN_FILENO)) {
      console::TerminalLineSource terminal;
      return shell.Run(&terminal);
    }
    console::StreamLineSource script(std::cin);
    return shell.Run(&script);
  } catch (const std::exception& e) {
    std::cerr << "master: " << e.what() << "\n";
    return console::kExitSetupFailed;
  }
}
