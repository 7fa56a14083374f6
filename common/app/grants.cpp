#include "app/grants.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/strings.hpp"
#include "db/privileges.hpp"
#include "replication/slave_position.hpp"
#include "sql/lexer.hpp"

namespace sqlrepl::app {
namespace {

const std::set<std::string, std::less<>> kAllowed = {"SELECT", "INSERT", "UPDATE", "DELETE"};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// A schema name in a schema-level grant may hold wildcards; SHOW GRANTS
// escapes a literal "_" or "%" as "\_" and "\%".
std::string UnescapeSchema(std::string name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\' && i + 1 < name.size()) ++i;
    out += name[i];
  }
  return out;
}

// Text of `tokens` [from, to) as written in `line`.
std::string Span(std::string_view line, const std::vector<sql::Token>& tokens, size_t from,
                 size_t to) {
  if (from >= to) return "";
  return std::string(line.substr(tokens[from].begin, tokens[to - 1].end() - tokens[from].begin));
}

// "SELECT" for "SELECT (`a`, `b`)": column grants are within the table.
std::string BaseName(const std::string& privilege) {
  return privilege.substr(0, privilege.find(" ("));
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? std::string(sep) : "") + items[i];
  return out;
}

constexpr std::string_view kPositionTable = replication::kSlavePositionTable;

}  // namespace

namespace {

// The privileges of tokens [1, on): words separated by ",", each with an
// optional column list kept as written.
std::vector<std::string> ParsePrivileges(std::string_view line, const std::vector<sql::Token>& t,
                                         size_t on) {
  std::vector<std::string> privileges;
  std::string current;
  for (size_t i = 1; i < on; ++i) {
    if (t[i].IsOperator(",")) {
      privileges.push_back(current);
      current.clear();
    } else if (t[i].IsOperator("(")) {
      size_t close = i;
      while (close < on && !t[close].IsOperator(")")) ++close;
      // Appended in steps: GCC 12 at -O3 flags `" " + std::string` with a
      // false -Wrestrict.
      current += ' ';
      current += Span(line, t, i, std::min(close + 1, on));
      i = close;
    } else {
      if (!current.empty()) current += ' ';
      current += Upper(t[i].text);
    }
  }
  if (!current.empty()) privileges.push_back(current);
  return privileges;
}

// The schema and table of the object in tokens (on, to), unless it is a
// routine or the grant is PROXY (neither has them).
void ParseObject(const std::vector<sql::Token>& t, size_t on, size_t to, GrantLine* g) {
  const size_t k = on + 1;
  const bool routine =
      k < to && (t[k].Is("PROCEDURE") || t[k].Is("FUNCTION") || t[k].Is("PACKAGE"));
  const bool proxy = g->privileges.size() == 1 && g->privileges[0] == "PROXY";
  if (routine || proxy) return;
  auto name = [&](size_t at) {
    return t[at].IsOperator("*") ? std::string("*") : sql::Unquote(t[at]);
  };
  if (k + 1 < to && t[k + 1].IsOperator(".")) {
    g->schema = UnescapeSchema(name(k));
    if (k + 2 < to) g->table = name(k + 2);
  } else if (k < to) {  // ON table: in the default database, which SHOW GRANTS never prints
    g->table = name(k);
  }
}

}  // namespace

std::optional<GrantLine> ParseGrantLine(std::string_view line) {
  const std::vector<sql::Token> t = sql::CodeTokens(line);
  if (t.empty() || !t[0].Is("GRANT")) return std::nullopt;
  GrantLine g;
  size_t on = 0, to = 0;
  for (size_t k = 1; k < t.size() && to == 0; ++k) {
    if (on == 0 && t[k].Is("ON")) on = k;
    if (t[k].Is("TO")) to = k;
  }
  if (to == 0) return std::nullopt;
  if (on == 0) {  // GRANT role TO account
    g.role = Span(line, t, 1, to);
  } else {
    g.privileges = ParsePrivileges(line, t, on);
    g.object = Span(line, t, on + 1, to);
    ParseObject(t, on, to, &g);
  }
  size_t end = to + 1;
  while (end < t.size() && !t[end].Is("IDENTIFIED") && !t[end].Is("WITH") &&
         !t[end].Is("REQUIRE") && !t[end].Is("VIA")) {
    ++end;
  }
  g.account = Span(line, t, to + 1, end);
  for (size_t k = end; k + 1 < t.size(); ++k) {
    if (t[k].Is("GRANT") && t[k + 1].Is("OPTION")) g.grant_option = true;
  }
  return g;
}

std::string GrantObject::Quoted() const {
  return QuoteName(schema) + "." + (table == "*" ? std::string("*") : QuoteName(table));
}

std::vector<GrantObject> SlaveGrantObjects(std::string_view database,
                                           std::string_view meta_schema) {
  return {{std::string(database), "*"},
          {std::string(meta_schema), std::string(kPositionTable)}};
}

std::vector<MetaTable> SlaveMetaTables(std::string_view meta_schema) {
  return {{std::string(kPositionTable), replication::SlavePositionTableDdl(meta_schema)}};
}

namespace {

// What the grants seen so far give on each needed object (in the order of
// SlaveGrantObjects), and the revokes of what they give beyond that.
struct GrantTally {
  std::vector<std::set<std::string>> on_object;
  std::vector<std::string> revokes;
};

// Whether a grant on g's object gives its privileges on `needed`.
bool Covers(const GrantLine& g, const GrantObject& needed) {
  if (g.schema == "*") return true;
  return g.schema == needed.schema && (g.table == "*" || g.table == needed.table);
}

// Whether g's object lies within `needed` (a table or column grant inside a
// needed schema is not beyond it).
bool Within(const GrantLine& g, const GrantObject& needed) {
  return g.schema == needed.schema && (needed.table == "*" || g.table == needed.table);
}

void ReviewGrantLine(const GrantLine& g, const std::vector<GrantObject>& objects,
                     GrantReview* review, GrantTally* tally) {
  const std::string& account = g.account;
  if (!g.role.empty()) {
    review->excess.push_back("role " + g.role + " (its privileges are not checked)");
    tally->revokes.push_back(fmt::format("REVOKE {} FROM {}", g.role, account));
    return;
  }
  const bool within = std::any_of(objects.begin(), objects.end(),
                                  [&](const GrantObject& o) { return Within(g, o); });
  std::vector<std::string> extra;
  for (const std::string& p : g.privileges) {
    const std::string base = BaseName(p);
    const bool all = base == "ALL PRIVILEGES" || base == "ALL";
    const bool whole = p == base;  // not a column grant
    for (size_t i = 0; i < objects.size(); ++i) {
      if (!whole || !Covers(g, objects[i])) continue;
      if (all) {
        tally->on_object[i].insert(kAllowed.begin(), kAllowed.end());
      } else {
        tally->on_object[i].insert(base);
      }
    }
    if (base == "USAGE") continue;  // "no privileges"
    if (!within || kAllowed.count(base) == 0) extra.push_back(p);
  }
  if (!extra.empty()) {
    review->excess.push_back(fmt::format("{} ON {}", Join(extra, ", "), g.object));
    tally->revokes.push_back(
        fmt::format("REVOKE {} ON {} FROM {}", Join(extra, ", "), g.object, account));
  }
  if (g.grant_option) {
    review->excess.push_back("GRANT OPTION ON " + g.object);
    tally->revokes.push_back(fmt::format("REVOKE GRANT OPTION ON {} FROM {}", g.object, account));
  }
}

// "`school`.* and `repl_meta`.`slave_position`"
std::string DescribeObjects(const std::vector<GrantObject>& objects) {
  std::vector<std::string> names;
  for (const GrantObject& o : objects) names.push_back(o.Quoted());
  return Join(names, " and ");
}

}  // namespace

GrantReview ReviewSlaveGrants(const std::vector<std::string>& show_grants,
                              std::string_view database, std::string_view meta_schema) {
  const std::vector<GrantObject> objects = SlaveGrantObjects(database, meta_schema);
  GrantReview review;
  GrantTally tally;
  tally.on_object.resize(objects.size());
  for (const std::string& text : show_grants) {
    std::optional<GrantLine> g = ParseGrantLine(text);
    if (!g) continue;
    if (review.account.empty()) review.account = g->account;
    ReviewGrantLine(*g, objects, &review, &tally);
  }
  const std::string account = review.account.empty() ? "CURRENT_USER" : review.account;
  std::vector<std::string> grants;
  for (size_t i = 0; i < objects.size(); ++i) {
    std::vector<std::string> lacking;
    for (const std::string& p : kAllowed) {
      if (tally.on_object[i].count(p) == 0) lacking.push_back(p);
    }
    if (lacking.empty()) continue;
    review.missing.push_back(fmt::format("{} ON {}", Join(lacking, ", "), objects[i].Quoted()));
    grants.push_back(
        fmt::format("GRANT {} ON {} TO {}", Join(lacking, ", "), objects[i].Quoted(), account));
  }
  // Revoking a broad grant can take away what the slave needs: grant the
  // needed set again after the revokes.
  if (!tally.revokes.empty()) {
    grants.clear();
    for (const GrantObject& o : objects) {
      grants.push_back(fmt::format("GRANT {} ON {} TO {}", kSlavePrivileges, o.Quoted(), account));
    }
  }
  review.fixes = std::move(tally.revokes);
  review.fixes.insert(review.fixes.end(), grants.begin(), grants.end());
  return review;
}

std::vector<std::string> SlaveSetupSql(std::string_view database, std::string_view meta_schema,
                                       std::string_view account) {
  std::vector<std::string> sql = {
      fmt::format("CREATE DATABASE IF NOT EXISTS {}", QuoteName(meta_schema))};
  for (const MetaTable& t : SlaveMetaTables(meta_schema)) sql.push_back(t.ddl);
  for (const GrantObject& o : SlaveGrantObjects(database, meta_schema)) {
    sql.push_back(fmt::format("GRANT {} ON {} TO {}", kSlavePrivileges, o.Quoted(), account));
  }
  return sql;
}

Status CheckSlaveGrants(db::Connection* conn, std::string_view database,
                        std::string_view meta_schema, bool allow_broad,
                        std::vector<std::string>* warnings) {
  Result<std::vector<std::string>> lines = db::ShowGrants(conn);
  if (!lines.ok()) return lines.status();
  const GrantReview review = ReviewSlaveGrants(*lines, database, meta_schema);
  if (review.ok()) return Status::Ok();
  const std::string objects = DescribeObjects(SlaveGrantObjects(database, meta_schema));
  std::string what;
  for (const std::string& e : review.excess) what += "\n  may also: " + e;
  for (const std::string& m : review.missing) what += "\n  lacks: " + m;
  if (allow_broad) {
    warnings->push_back(
        fmt::format("SLAVE_ALLOW_BROAD_GRANTS=1: starting although the database account {} is not "
                    "limited to {} on {}:{}",
                    review.account, kSlavePrivileges, objects, what));
    return Status::Ok();
  }
  std::string fixes;
  for (const std::string& f : review.fixes) fixes += "\n  " + f + ";";
  return Status::FailedPrecondition(fmt::format(
      "the database account {} must hold exactly {} on {}, so that a statement the slave "
      "misreads cannot change a schema, an account or a server setting:{}\nRun as an "
      "administrator:{}\n"
      "or run `slave --setup` with ADMIN_DB_USER and ADMIN_DB_PASS (or ADMIN_DB_SOCKET) set, "
      "or set SLAVE_ALLOW_BROAD_GRANTS=1 in .env to start anyway (README \"Privileges\").",
      review.account, kSlavePrivileges, objects, what, fixes));
}

}  // namespace sqlrepl::app
