#include "app/setup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "app/grants.hpp"
#include "app/startup.hpp"
#include "base/strings.hpp"
#include "db/connection.hpp"
#include "db/privileges.hpp"

namespace sqlrepl::app {

std::vector<std::string> PlanSlaveSetup(const SetupFacts& facts, std::string_view database,
                                        std::string_view meta_schema) {
  std::vector<std::string> plan;
  if (!facts.database_exists) {
    plan.push_back(
        fmt::format("CREATE DATABASE IF NOT EXISTS {} CHARACTER SET utf8mb4", QuoteName(database)));
  }
  if (!facts.meta_schema_exists) {
    plan.push_back(fmt::format("CREATE DATABASE IF NOT EXISTS {}", QuoteName(meta_schema)));
  }
  for (const MetaTable& t : SlaveMetaTables(meta_schema)) {
    const auto& have = facts.meta_tables;
    if (std::find(have.begin(), have.end(), t.name) == have.end()) plan.push_back(t.ddl);
  }
  const GrantReview review = ReviewSlaveGrants(facts.show_grants, database, meta_schema);
  plan.insert(plan.end(), review.fixes.begin(), review.fixes.end());
  return plan;
}

std::string QuoteAccount(std::string_view user_at_host) {
  const size_t at = user_at_host.rfind('@');
  if (at == std::string_view::npos) return QuoteName(user_at_host);
  return QuoteName(user_at_host.substr(0, at)) + "@" + QuoteName(user_at_host.substr(at + 1));
}

namespace {

using PrintFn = std::function<void(const std::string&)>;

std::string Where(const config::DbSettings& db, const std::string& socket) {
  return socket.empty() ? fmt::format("{}:{}", db.host, db.port) : "socket " + socket;
}

// 1. The ADMIN_* keys are there. `socket`: the one the login will use
// (ADMIN_DB_SOCKET, else DB_SOCKET), where an empty password may do.
Status CheckAdminKeys(const config::AdminSettings& admin, const std::string& socket,
                      std::string_view command) {
  if (admin.user.empty()) {
    return Status::InvalidArgument(fmt::format(
        "{0} needs an administrator's account on the slave's server: set ADMIN_DB_USER "
        "and ADMIN_DB_PASS (or ADMIN_DB_SOCKET) in the environment of this command, e.g. "
        "ADMIN_DB_USER=root ADMIN_DB_SOCKET=/run/mysqld/mysqld.sock {0}",
        command));
  }
  if (admin.password.empty() && socket.empty()) {
    return Status::InvalidArgument(
        "ADMIN_DB_PASS is not set: give the administrator's password, or ADMIN_DB_SOCKET to log "
        "in over the server's socket (root by unix_socket authentication)");
  }
  return Status::Ok();
}

// 2. The administrator's session, no database selected.
Result<db::Connection> ConnectAdmin(const config::DbSettings& db,
                                    const config::AdminSettings& admin) {
  config::DbSettings as_admin = db;
  as_admin.user = admin.user;
  as_admin.password = admin.password;
  as_admin.socket = admin.socket.empty() ? db.socket : admin.socket;
  as_admin.database.clear();
  Result<db::Connection> conn = db::Connection::Open(ToConnectOptions(as_admin));
  if (conn.ok()) return conn;
  const std::string where = Where(db, as_admin.socket);
  if (conn.status().sql_errno() == 1045 || conn.status().sql_errno() == 1698) {
    return Status::FailedPrecondition(fmt::format(
        "the server at {} refused administrator '{}' (access denied): check ADMIN_DB_USER and "
        "ADMIN_DB_PASS (or ADMIN_DB_SOCKET)",
        where, admin.user));
  }
  return Status::FailedPrecondition(fmt::format("cannot log in as administrator '{}' at {}: {}",
                                                admin.user, where, conn.status().ToString()));
}

// The first column of the first row of `sql`.
Result<std::string> Value(db::Connection* conn, const std::string& sql) {
  Result<db::QueryResult> r = conn->Execute(sql);
  if (!r.ok()) return r.status();
  if (r->rows.empty() || r->rows[0].empty() || !r->rows[0][0]) {
    return Status::Corruption("no value from: " + sql);
  }
  return *r->rows[0][0];
}

// 3. The slave's account as the server matches it when the slave logs in
// (its DB_* keys, no database: it may not have one yet).
Result<std::string> SlaveAccount(const config::DbSettings& db, const std::string& env_file) {
  config::DbSettings no_database = db;
  no_database.database.clear();
  Result<db::Connection> conn = db::Connection::Open(ToConnectOptions(no_database));
  if (!conn.ok()) {
    if (conn.status().sql_errno() == 1045) {
      return Status::FailedPrecondition(fmt::format(
          "the slave's account '{}' cannot log in at {} (access denied): create it as the "
          "administrator (CREATE USER '{}'@'HOST' IDENTIFIED BY '...'), or check DB_USER and "
          "DB_PASS in {}",
          db.user, Where(db, db.socket), db.user, env_file));
    }
    return Status::FailedPrecondition(DescribeConnectError(conn.status(), db, env_file));
  }
  Result<std::string> account = Value(&*conn, "SELECT CURRENT_USER()");
  if (!account.ok()) return account.status();
  return QuoteAccount(*account);
}

// 4. What is there now.
Result<SetupFacts> GatherFacts(db::Connection* admin, const config::DbSettings& db,
                               const std::string& meta_schema, const std::string& account) {
  SetupFacts facts;
  auto schema_exists = [&](const std::string& name) -> Result<bool> {
    Result<std::string> n =
        Value(admin, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " +
                         admin->Quote(name));
    if (!n.ok()) return n.status();
    return *n != "0";
  };
  Result<bool> database = schema_exists(db.database);
  if (!database.ok()) return database.status();
  facts.database_exists = *database;
  Result<bool> meta = schema_exists(meta_schema);
  if (!meta.ok()) return meta.status();
  facts.meta_schema_exists = *meta;
  Result<db::QueryResult> tables =
      admin->Execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                     admin->Quote(meta_schema));
  if (!tables.ok()) return tables.status();
  for (const auto& row : tables->rows) {
    if (!row.empty() && row[0]) facts.meta_tables.push_back(*row[0]);
  }
  Result<std::vector<std::string>> grants = db::ShowGrants(admin, account);
  if (!grants.ok()) return grants.status();
  facts.show_grants = std::move(grants).value();
  return facts;
}

// 5. One planned statement, with an error that says what the administrator
// lacks.
Status RunPlanned(db::Connection* admin, const std::string& admin_user, const std::string& sql) {
  const Status s = admin->Run(sql);
  if (s.ok() || !db::IsAccessDenied(s)) return s;
  return Status::FailedPrecondition(fmt::format(
      "administrator '{}' may not run: {}\n(it needs CREATE on the schemas and the grant option "
      "on what it grants: root, or an account granted WITH GRANT OPTION; the server said: {})",
      admin_user, sql, s.message()));
}

}  // namespace

Result<db::Connection> ConnectAdministrator(const config::SlaveConfig& cfg,
                                            std::string_view command) {
  const std::string& socket = cfg.admin.socket.empty() ? cfg.db.socket : cfg.admin.socket;
  if (Status s = CheckAdminKeys(cfg.admin, socket, command); !s.ok()) return s;
  return ConnectAdmin(cfg.db, cfg.admin);
}

Status RunSlaveSetup(const config::SlaveConfig& cfg, const std::string& env_file,
                     const PrintFn& print) {
  const config::AdminSettings& admin_keys = cfg.admin;
  Result<db::Connection> admin = ConnectAdministrator(cfg, "slave --setup");
  if (!admin.ok()) return admin.status();
  Result<std::string> account = SlaveAccount(cfg.db, env_file);
  if (!account.ok()) return account.status();
  Result<std::string> admin_account = Value(&*admin, "SELECT CURRENT_USER()");
  if (!admin_account.ok()) return admin_account.status();
  // Making the administrator's own account least-privilege would lock the
  // administrator out.
  if (QuoteAccount(*admin_account) == *account) {
    return Status::InvalidArgument(fmt::format(
        "DB_USER logs in as {}, the administrator's own account: the slave needs an account of "
        "its own, limited to what applying needs (README \"Privileges\")",
        *account));
  }
  print(fmt::format("Setting up {} on {} for the slave's account {}, as administrator '{}'.",
                    cfg.meta_schema, Where(cfg.db, cfg.db.socket), *account, admin_keys.user));
  Result<SetupFacts> facts = GatherFacts(&*admin, cfg.db, cfg.meta_schema, *account);
  if (!facts.ok()) return facts.status();
  const std::vector<std::string> plan = PlanSlaveSetup(*facts, cfg.db.database, cfg.meta_schema);
  for (const std::string& sql : plan) {
    if (Status s = RunPlanned(&*admin, admin_keys.user, sql); !s.ok()) return s;
    print("  " + sql + ";");
  }
  // 6. Checked as the start-up check will: a grant the server took
  // differently from the plan shows here, not when the slave starts.
  Result<std::vector<std::string>> after = db::ShowGrants(&*admin, *account);
  if (!after.ok()) return after.status();
  const GrantReview review = ReviewSlaveGrants(*after, cfg.db.database, cfg.meta_schema);
  if (!review.ok()) {
    std::string what;
    for (const std::string& e : review.excess) what += "\n  may also: " + e;
    for (const std::string& m : review.missing) what += "\n  lacks: " + m;
    return Status::FailedPrecondition(fmt::format(
        "after the setup, {} still does not hold exactly what the slave needs:{}", *account, what));
  }
  print(plan.empty()
            ? fmt::format("Nothing to change: {} already holds exactly {} on what the slave needs.",
                          *account, kSlavePrivileges)
            : fmt::format("Done: {} holds exactly {} on what the slave needs ({} statements run).",
                          *account, kSlavePrivileges, plan.size()));
  return Status::Ok();
}

}  // namespace sqlrepl::app
