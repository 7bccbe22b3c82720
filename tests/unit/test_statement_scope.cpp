// Every statement the workers run touches one user's rows only: each table it reads
// or writes is filtered by the caller's user id parameter ($1). That is what makes
// each statement single-shard when the data is distributed by user id (Citus,
// docs/SCALING.md), and what the isolation between users rests on.
//
// The check reads the SQL text, not a fixed spelling of it, so that a rewrite of a
// statement keeps being checked: it tokenizes the SQL (strings, quoted identifiers,
// casts, comments), finds every table reference (FROM, JOIN, UPDATE, INSERT INTO,
// DELETE FROM; CTE names and subqueries are not tables), and requires for each one
//   - read/update/delete: `<alias>.<key> = $1` (either side, casts allowed) as a
//     top-level conjunct of the WHERE (or the JOIN's ON) of the same query level,
//     with no OR at that level; instead of $1, the key of another table reference of
//     the same or an enclosing level (a join or a correlated subquery), itself checked;
//   - insert: the key column in the column list, given $1 in every row.
// The key is tasks.user_id and users.id; a table it does not know is a failure, so a
// new table must be added here with its key.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/statements.h"

namespace {

const std::map<std::string, std::string> kKeyColumn = {{"tasks", "user_id"}, {"users", "id"}};

enum class Kind { ident, keyword, param, number, string, op, open, close, comma, other };

struct Token {
  Kind kind;
  std::string text;  // lowercased for identifiers and keywords
  int group = -1;    // index of the innermost enclosing '(' token, -1 at top level
};

const std::set<std::string> kKeywords = {
    "select",       "from",   "where",     "join",   "left",    "right",     "inner",
    "full",         "cross",  "natural",   "on",     "using",   "and",       "or",
    "not",          "as",     "with",      "insert", "into",    "values",    "update",
    "set",          "delete", "returning", "order",  "group",   "by",        "limit",
    "offset",       "having", "window",    "union",  "except",  "intersect", "for",
    "distinct",     "is",     "case",      "when",   "then",    "else",      "end",
    "lateral",      "only",   "conflict",  "do",     "nothing", "default",   "recursive",
    "materialized", "fetch",  "all",       "null",   "true",    "false",     "in",
    "exists"};

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits SQL into tokens; a dotted name ("todo.tasks", "t.user_id") is one ident.
std::vector<Token> tokenize(std::string_view sql) {
  std::vector<Token> out;
  std::vector<int> open;
  auto push = [&](Kind kind, std::string text) {
    Token t{kind, std::move(text), open.empty() ? -1 : open.back()};
    out.push_back(t);
    if (kind == Kind::open) open.push_back(static_cast<int>(out.size()) - 1);
  };
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) i = sql.size();
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i);
      i = i == std::string_view::npos ? sql.size() : i + 2;
    } else if (c == '\'' || ((c == 'e' || c == 'E') && i + 1 < sql.size() && sql[i + 1] == '\'')) {
      bool backslash = c != '\'';
      i += backslash ? 2 : 1;
      while (i < sql.size()) {
        bool escape = (backslash && sql[i] == '\\') ||
                      (sql[i] == '\'' && i + 1 < sql.size() && sql[i + 1] == '\'');
        if (escape) {
          i += 2;
        } else if (sql[i] == '\'') {
          break;
        } else {
          ++i;
        }
      }
      ++i;
      push(Kind::string, "'");
    } else if (c == '$' && i + 1 < sql.size() &&
               std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      std::size_t start = i++;
      while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
      push(Kind::param, std::string(sql.substr(start, i - start)));
    } else if (c == '$') {  // dollar quoting: $tag$ ... $tag$
      std::size_t end = sql.find('$', i + 1);
      std::string tag(sql.substr(i, end - i + 1));
      std::size_t close = sql.find(tag, end + 1);
      i = close == std::string_view::npos ? sql.size() : close + tag.size();
      push(Kind::string, "'");
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '.'))
        ++i;
      push(Kind::number, "0");
    } else if (ident_char(c) || c == '"') {
      std::string name;
      while (true) {
        if (i < sql.size() && sql[i] == '"') {
          std::size_t end = sql.find('"', i + 1);
          if (end == std::string_view::npos) end = sql.size();
          name += std::string(sql.substr(i + 1, end - i - 1));
          i = end + 1;
        } else {
          std::size_t start = i;
          while (i < sql.size() && ident_char(sql[i])) ++i;
          name += lower(std::string(sql.substr(start, i - start)));
        }
        if (i + 1 < sql.size() && sql[i] == '.' &&
            (ident_char(sql[i + 1]) || sql[i + 1] == '"' || sql[i + 1] == '*')) {
          name += '.';
          if (sql[++i] == '*') {
            name += '*';
            ++i;
            break;
          }
          continue;
        }
        break;
      }
      push(name.find('.') == std::string::npos && kKeywords.count(name) ? Kind::keyword
                                                                        : Kind::ident,
           name);
    } else if (c == '(') {
      push(Kind::open, "(");
      ++i;
    } else if (c == ')') {
      if (!open.empty()) open.pop_back();
      push(Kind::close, ")");
      ++i;
    } else if (c == ',') {
      push(Kind::comma, ",");
      ++i;
    } else if (std::string_view("+-*/<>=~!@#%^&|`?:[]").find(c) != std::string_view::npos) {
      std::size_t start = i;
      while (i < sql.size() &&
             std::string_view("+-*/<>=~!@#%^&|`?:").find(sql[i]) != std::string_view::npos &&
             (i == start || (sql[start] != '[' && sql[start] != ']')))
        ++i;
      if (i == start) ++i;
      push(Kind::op, std::string(sql.substr(start, i - start)));
    } else {
      push(Kind::other, std::string(1, c));
      ++i;
    }
  }
  return out;
}

struct TableRef {
  std::size_t pos;      // index of the table name token
  std::string keyword;  // from, join, update, into
  std::string table;    // without schema
  std::string alias;    // the name its columns are qualified with
};

class ScopeCheck {
 public:
  explicit ScopeCheck(std::string_view sql) : t_(tokenize(sql)) {}

  // Problems found; empty when every table reference is scoped by $1.
  std::vector<std::string> run() {
    find_ctes();
    find_refs();
    for (const TableRef& r : refs_) check(r);
    return problems_;
  }
  std::size_t table_refs() const { return refs_.size(); }

 private:
  bool is(std::size_t i, Kind kind, std::string_view text = {}) const {
    return i < t_.size() && t_[i].kind == kind && (text.empty() || t_[i].text == text);
  }
  bool kw(std::size_t i, std::string_view text) const { return is(i, Kind::keyword, text); }

  std::size_t matching_close(std::size_t open) const {
    for (std::size_t i = open + 1; i < t_.size(); ++i) {
      if (t_[i].kind == Kind::close && t_[i].group == t_[open].group) return i;
    }
    return t_.size();
  }

  void find_ctes() {
    for (std::size_t i = 1; i + 2 < t_.size(); ++i) {
      if (!is(i, Kind::ident) || !kw(i + 1, "as")) continue;
      if (!(kw(i - 1, "with") || kw(i - 1, "recursive") || is(i - 1, Kind::comma))) continue;
      std::size_t j = i + 2;
      while (kw(j, "not") || kw(j, "materialized")) ++j;
      if (is(j, Kind::open)) ctes_.insert(t_[i].text);
    }
  }

  // The group opened by a function whose arguments use FROM as a word:
  // extract(epoch from x), substring(s from 2), trim(both from s) ...
  bool in_special_function(std::size_t i) const {
    int g = t_[i].group;
    if (g <= 0) return false;
    static const std::set<std::string> kSpecial = {"extract", "substring", "trim",
                                                   "overlay", "position",  "normalize"};
    return t_[g - 1].kind == Kind::ident && kSpecial.count(t_[g - 1].text) > 0;
  }

  void find_refs() {
    for (std::size_t i = 0; i < t_.size(); ++i) {
      const std::string& w = t_[i].text;
      if (t_[i].kind != Kind::keyword) continue;
      if (w == "from") {
        if (kw(i - 1, "distinct") || in_special_function(i)) continue;
      } else if (w != "join" && w != "update" && w != "into") {
        continue;
      }
      if (w == "update" && kw(i - 1, "do")) continue;  // ON CONFLICT DO UPDATE: same row
      std::size_t j = i + 1;
      while (true) {
        while (kw(j, "only") || kw(j, "lateral")) ++j;
        if (is(j, Kind::open)) {  // a subquery: its own tables are found on their own
          j = skip_alias(matching_close(j) + 1, nullptr);
        } else if (is(j, Kind::ident) && is(j + 1, Kind::open) && w != "into" && w != "update") {
          // a function in FROM (unnest, generate_series): no table
          j = skip_alias(matching_close(j + 1) + 1, nullptr);
        } else if (is(j, Kind::ident)) {
          std::string name = t_[j].text;
          std::size_t dot = name.rfind('.');
          bool qualified = dot != std::string::npos;
          std::string table = qualified ? name.substr(dot + 1) : name;
          std::string alias;
          std::size_t next = skip_alias(j + 1, &alias);
          if (qualified || !ctes_.count(table)) {
            refs_.push_back({j, w, table, alias.empty() ? table : alias});
          }
          j = next;
        } else {
          problems_.push_back("cannot read what follows `" + w + "` at token " + std::to_string(j));
          break;
        }
        // `from a, b`: each item of the list is a table reference too.
        if (w != "from" || !is(j, Kind::comma) || t_[j].group != t_[i].group) break;
        ++j;
      }
    }
  }

  // Skips an optional `[as] alias`; returns the index after it.
  std::size_t skip_alias(std::size_t j, std::string* alias) {
    if (kw(j, "as")) ++j;
    if (is(j, Kind::ident)) {
      if (alias) *alias = t_[j].text;
      ++j;
    }
    return j;
  }

  // The index of the ')' that ends group g (the end of the text at top level).
  std::size_t end_of_group(int g) const {
    return g < 0 ? t_.size() : matching_close(static_cast<std::size_t>(g));
  }

  // The first of `words` at group g from `from` on, else the end of the group.
  std::size_t find_at(std::size_t from, int g, const std::set<std::string>& words) const {
    std::size_t limit = end_of_group(g);
    for (std::size_t i = from; i < limit; ++i) {
      if (t_[i].group == g && t_[i].kind == Kind::keyword && words.count(t_[i].text)) return i;
    }
    return limit;
  }

  // The end (exclusive) of a WHERE or ON clause starting at `from`, at group `g`.
  std::size_t clause_end(std::size_t from, int g) const {
    static const std::set<std::string> kEnds = {
        "join",   "left",   "right", "inner",  "full",      "cross",  "natural", "where",
        "group",  "order",  "limit", "offset", "returning", "union",  "except",  "intersect",
        "having", "window", "for",   "on",     "set",       "values", "select",  "using"};
    return find_at(from, g, kEnds);
  }

  // `[qual.]key [:: type]` at i; returns the index after it, or 0.
  std::size_t column(std::size_t i, const TableRef& r, bool alone) const {
    if (!is(i, Kind::ident)) return 0;
    const std::string& key = kKeyColumn.at(r.table);
    const std::string& name = t_[i].text;
    if (name != r.alias + "." + key && !(alone && name == key)) return 0;
    return skip_cast(i + 1);
  }
  std::size_t param1(std::size_t i) const {
    return is(i, Kind::param, "$1") ? skip_cast(i + 1) : 0;
  }
  std::size_t skip_cast(std::size_t i) const {
    while (is(i, Kind::op, "::")) {
      i += 2;  // the type name
      while (is(i, Kind::op, "[") || is(i, Kind::op, "]")) ++i;
    }
    return i;
  }

  // `$1`, or the key column of another table reference at this level or an enclosing
  // one (a correlated `x.user_id = t.user_id`: that reference is checked for $1 itself);
  // returns the index after it (and its cast), or 0.
  std::size_t user_value(std::size_t i, const TableRef& r) const {
    if (std::size_t p = param1(i)) return p;
    if (!is(i, Kind::ident)) return 0;
    for (const TableRef& o : refs_) {
      if (o.pos == r.pos || !kKeyColumn.count(o.table) ||
          t_[i].text != o.alias + "." + kKeyColumn.at(o.table)) {
        continue;
      }
      for (int g = t_[r.pos].group;; g = t_[g].group) {
        if (g == t_[o.pos].group) return skip_cast(i + 1);
        if (g < 0) break;
      }
    }
    return 0;
  }

  // Is `key = $1` a top-level conjunct of the clause [begin, end) at group g?
  bool scoped_clause(std::size_t begin, std::size_t end, int g, const TableRef& r) const {
    bool alone = std::count_if(refs_.begin(), refs_.end(),
                               [&](const TableRef& o) { return t_[o.pos].group == g; }) == 1;
    for (std::size_t i = begin; i < end; ++i) {
      if (t_[i].group == g && kw(i, "or")) return false;  // `... or true` defeats any filter
    }
    for (std::size_t i = begin; i < end; ++i) {
      if (t_[i].group != g || !(i == begin || kw(i - 1, "and"))) continue;
      std::size_t after = 0;
      if (std::size_t c = column(i, r, alone); c && is(c, Kind::op, "="))
        after = user_value(c + 1, r);
      if (std::size_t p = user_value(i, r); !after && p && is(p, Kind::op, "="))
        after = column(p + 1, r, alone);
      if (after && (after == end || kw(after, "and"))) return true;
    }
    return false;
  }

  void check(const TableRef& r) {
    std::string where = "`" + r.keyword + " " + t_[r.pos].text + "`";
    if (!kKeyColumn.count(r.table)) {
      problems_.push_back(where + ": table unknown to this test (add it with its user key)");
      return;
    }
    int g = t_[r.pos].group;
    if (r.keyword == "into") {
      check_insert(r, where);
      return;
    }
    if (r.keyword == "join") {
      std::size_t on = find_at(r.pos + 1, g, {"on", "join", "where"});
      if (kw(on, "on") && scoped_clause(on + 1, clause_end(on + 1, g), g, r)) return;
    }
    std::size_t w = find_at(r.pos + 1, g, {"where", "union", "except", "intersect"});
    if (kw(w, "where") && scoped_clause(w + 1, clause_end(w + 1, g), g, r)) return;
    problems_.push_back(where + ": not filtered by " + r.alias + "." + kKeyColumn.at(r.table) +
                        " = $1 at its own level (and without OR)");
  }

  // Splits [begin, end) at commas of group g.
  std::vector<std::pair<std::size_t, std::size_t>> items(std::size_t begin, std::size_t end,
                                                         int g) const {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t start = begin;
    for (std::size_t i = begin; i <= end; ++i) {
      if (i == end || (t_[i].group == g && is(i, Kind::comma))) {
        out.emplace_back(start, i);
        start = i + 1;
      }
    }
    return out;
  }

  void check_insert(const TableRef& r, const std::string& where) {
    const std::string& key = kKeyColumn.at(r.table);
    std::size_t j = skip_alias(r.pos + 1, nullptr);
    if (!is(j, Kind::open)) {
      problems_.push_back(where + ": no column list");
      return;
    }
    std::size_t close = matching_close(j);
    auto cols = items(j + 1, close, static_cast<int>(j));
    std::size_t index = cols.size();
    for (std::size_t c = 0; c < cols.size(); ++c) {
      if (cols[c].second == cols[c].first + 1 && t_[cols[c].first].text == key) index = c;
    }
    if (index == cols.size()) {
      problems_.push_back(where + ": " + key + " is not among the inserted columns");
      return;
    }
    std::size_t k = close + 1;
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> rows;
    if (kw(k, "values")) {
      for (++k; is(k, Kind::open); k += 2) {
        std::size_t end = matching_close(k);
        rows.push_back(items(k + 1, end, static_cast<int>(k)));
        k = end;
        if (!is(k + 1, Kind::comma)) break;
      }
    } else if (kw(k, "select")) {
      int g = t_[k].group;
      rows.push_back(items(k + 1, find_at(k + 1, g, {"from", "where", "on", "returning"}), g));
    }
    if (rows.empty()) problems_.push_back(where + ": neither VALUES nor SELECT");
    for (const auto& row : rows) {
      bool ok = index < row.size() && param1(row[index].first) == row[index].second;
      if (ok) continue;
      std::string problem = where;
      problem += ": " + key + " is not given $1";
      problems_.push_back(problem);
    }
  }

  std::vector<Token> t_;
  std::set<std::string> ctes_;
  std::vector<TableRef> refs_;
  std::vector<std::string> problems_;
};

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& p : v) s += "\n  " + p;
  return s;
}

}  // namespace

// The statement table itself: every statement that touches a table is single-user.
TEST(StatementScope, EveryStatementFiltersEachTableByTheCallersUserId) {
  std::size_t with_tables = 0;
  for (std::size_t i = 0; i < statement_count(); ++i) {
    const Statement& s = statement(static_cast<StatementId>(i));
    ScopeCheck check(s.sql);
    std::vector<std::string> problems = check.run();
    EXPECT_TRUE(problems.empty()) << s.name << ":" << joined(problems) << "\n" << s.sql;
    if (check.table_refs() > 0) {
      ++with_tables;
      EXPECT_GE(s.nparams, 1) << s.name;
    }
  }
  // Only `ping` touches no table: the check found the tables of all the others.
  EXPECT_EQ(with_tables, statement_count() - 1);
}

// The check itself, on SQL that must pass and SQL that must fail.
TEST(StatementScope, AcceptsScopedSql) {
  const char* good[] = {
      "select 1",
      "select * from todo.tasks where user_id = $1::text",
      "select t.id from tasks t where $1::text = t.user_id and t.id = $2::uuid",
      "select t.id::text, t.title from todo.tasks as t where t.user_id = $1 and (t.completed or "
      "t.title ilike '%or%') order by t.created_at desc limit $2",
      "select extract(epoch from t.created_at) from todo.tasks t where t.user_id = $1",
      "with u as (insert into todo.users (id) values ($1::text) on conflict (id) do update set "
      "email = excluded.email where u.email is distinct from excluded.email) insert into "
      "todo.tasks (title, user_id) select $2, $1::text returning id",
      "with t as (update todo.tasks t set title = $3 where t.user_id = $1 and t.id = $2 "
      "returning t.*) select t.id from (select 1) one left join t on true",
      "select u.task_count from (select 1) one left join todo.users u on u.id = $1::text",
      "delete from todo.tasks t where t.user_id = $1::text and t.id = any($2::uuid[])",
      "select (select count(*) from todo.tasks x where x.user_id = $1) from todo.users u "
      "where u.id = $1",
      "insert into todo.tasks (user_id, title) values ($1, 'a'), ($1::text, 'b')",
      "select t.id from todo.tasks t where t.user_id = $1 and exists (select 1 from todo.tasks x "
      "where x.user_id = t.user_id and x.id = $2)",
      "select t.id from todo.tasks t join todo.users u on u.id = t.user_id where t.user_id = $1",
      "select \"t\".\"id\" from \"todo\".\"tasks\" \"t\" where \"t\".\"user_id\" = $1 -- or "
      "not\n and 'x or y' = 'z'",
  };
  for (const char* sql : good) {
    ScopeCheck check(sql);
    EXPECT_TRUE(check.run().empty()) << sql << joined(ScopeCheck(sql).run());
  }
}

TEST(StatementScope, RejectsUnscopedSql) {
  const char* bad[] = {
      "select * from todo.tasks t where t.id = $2",
      "select * from todo.tasks t where t.user_id = $2",
      "select * from todo.tasks t where t.user_id = $1 or true",
      "select * from todo.tasks t where t.id = $2 or t.user_id = $1",
      "select * from todo.tasks t where not t.user_id = $1",
      "select * from todo.tasks t where t.user_id = $1 is not true",
      "select * from todo.tasks t where t.user_id = $10",
      "select * from todo.tasks t where t.user_id <> $1",
      "select * from todo.tasks t where (t.user_id = $1 or true)",
      "select (select count(*) from todo.tasks) from todo.users u where u.id = $1",
      "select * from todo.tasks t where t.user_id = $1 and t.id in (select id from todo.tasks)",
      "select * from todo.tasks a join todo.tasks b on b.id = a.id where a.user_id = $1",
      "select * from todo.tasks a join todo.tasks b on b.user_id = a.id where a.user_id = $1",
      "select * from todo.tasks a join todo.users u on u.id = a.user_id",
      // A correlated key of no table reference in scope (one literal on two lines):
      // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
      "select t.id from todo.tasks t where t.user_id = $1 and exists (select 1 from todo.tasks x "
      "where x.user_id = y.user_id)",
      "select * from todo.tasks t, todo.users u where t.user_id = $1",
      "select * from todo.users u where u.user_id = $1",
      "select * from todo.tasks t where u.user_id = $1",
      "update todo.tasks t set title = $2 where t.id = $3",
      "delete from todo.tasks where user_id = $1 or user_id = $2",
      "insert into todo.tasks (user_id, title) values ($2, $1)",
      "insert into todo.tasks (title) values ($1)",
      "insert into todo.tasks (user_id, title) values ($1, 'a'), ($2, 'b')",
      "insert into todo.tasks (user_id, title) select user_id, title from todo.tasks",
      "select * from todo.secrets s where s.user_id = $1",
      "with t as (select * from todo.tasks) select * from t where t.user_id = $1",
  };
  for (const char* sql : bad) {
    ScopeCheck check(sql);
    EXPECT_FALSE(check.run().empty()) << "accepted: " << sql;
  }
}
