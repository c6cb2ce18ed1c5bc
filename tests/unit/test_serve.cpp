#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <thread>
#include <string>
#include <vector>

#include "connect/sqlite/database.h"
#include "connect/sqlite/reader.h"
#include "io/error.h"
#include "serve/hub.h"
#include "serve/service.h"
#include "serve/store.h"
#include "test_support.h"

using sp::serve::EntryPtr;
using sp::serve::Hub;
using sp::serve::RecordFilter;
using sp::serve::Store;
using sp::serve::StoreLimits;

namespace {

EntryPtr entry(uint64_t seq, const std::string& key, int64_t seconds, const std::string& text = "{}") {
  return sp::serve::make_entry(text, key, !key.empty(), seq, seconds * 1'000'000'000);
}

sp::serve::SegmentPtr batch(std::initializer_list<EntryPtr> entries) {
  return std::make_shared<sp::serve::Segment>(entries);
}

}  // namespace

TEST_CASE("serve store: latest per key, and the ring bounded by count and by time") {
  Store store(StoreLimits{10'000'000'000, 5});  // 10 s, 5 records
  store.add(batch({entry(1, "a", 100), entry(2, "b", 101), entry(3, "a", 102)}));
  REQUIRE(store.latest("a")->seq == 3);
  REQUIRE(store.latest("b")->seq == 2);
  REQUIRE(store.latest("c") == nullptr);
  REQUIRE(store.keys() == 2);
  REQUIRE(store.clock() == 102'000'000'000);

  store.add(batch({entry(4, "c", 103), entry(5, "c", 104), entry(6, "c", 105)}));
  REQUIRE(store.retained() == 5);  // the oldest went
  auto recent = store.recent(0, INT64_MAX);
  REQUIRE(recent.front()->seq == 2);
  REQUIRE(recent.back()->seq == 6);
  REQUIRE(store.latest("b")->seq == 2);  // evicted from the ring, still the latest of b

  store.add(batch({entry(7, "a", 113)}));  // 10 s after 103: records before 103 leave
  recent = store.recent(0, INT64_MAX);
  REQUIRE(recent.front()->seq == 4);
  REQUIRE(store.recent(104'000'000'000, 106'000'000'000).size() == 2);
}

TEST_CASE("serve store: beyond max_keys the key updated longest ago is forgotten") {
  Store store(StoreLimits{0, 100, 2});
  store.add(batch({entry(1, "a", 1), entry(2, "b", 2), entry(3, "a", 3)}));  // a is the newest
  store.add(batch({entry(4, "c", 4)}));                                     // b goes
  REQUIRE(store.keys() == 2);
  REQUIRE(store.latest("b") == nullptr);
  REQUIRE(store.latest("a")->seq == 3);
  REQUIRE(store.latest("c")->seq == 4);
  store.add(batch({entry(5, "a", 5), entry(6, "d", 6), entry(7, "e", 7)}));  // c, then a go
  REQUIRE(store.keys() == 2);
  REQUIRE(store.latest("a") == nullptr);
  REQUIRE(store.latest("d")->seq == 6);
  REQUIRE(store.latest("e")->seq == 7);
  REQUIRE(store.keys_evicted() == 3);
  std::vector<uint64_t> seqs;
  for (const auto& e : store.latest_all()) seqs.push_back(e->seq);
  REQUIRE(seqs == std::vector<uint64_t>{6, 7});
}

TEST_CASE("serve hub: every subscriber gets every batch; one that falls behind is dropped, others are not") {
  Hub hub(4);
  auto fast = hub.subscribe();
  auto slow = hub.subscribe();
  REQUIRE(hub.clients() == 2);
  std::vector<EntryPtr> got;
  for (uint64_t i = 1; i <= 6; i += 2) {
    hub.publish(batch({entry(i, "k", 1), entry(i + 1, "k", 1)}));
    REQUIRE(fast->wait(got, std::chrono::milliseconds(0)));
    REQUIRE(got.size() == 2);
    REQUIRE(got[0]->seq == i);
  }
  // slow never read: 6 records > 4 queued
  REQUIRE(slow->dropped());
  REQUIRE_FALSE(slow->wait(got, std::chrono::milliseconds(0)));
  REQUIRE(got.empty());
  REQUIRE(hub.dropped() == 1);
  REQUIRE_FALSE(fast->dropped());
  hub.unsubscribe(slow);
  REQUIRE(hub.clients() == 1);
  hub.close();
  REQUIRE_FALSE(fast->wait(got, std::chrono::milliseconds(0)));
}

TEST_CASE("serve filter: a WHERE over stored records; a non-condition is a usage error") {
  RecordFilter f("status >= 500 and path like '/api/%'");
  REQUIRE(f.test(*entry(1, "", 0, R"({"status":503,"path":"/api/x"})")));
  REQUIRE_FALSE(f.test(*entry(2, "", 0, R"({"status":200,"path":"/api/x"})")));
  REQUIRE_FALSE(f.test(*entry(3, "", 0, R"({"status":)")));
  REQUIRE_THROWS_AS(RecordFilter("'text'"), sp::UsageError);  // not a condition
  REQUIRE_THROWS_AS(RecordFilter("status >"), sp::UsageError);
}

namespace {

std::string filter_error(const std::string& where) {
  try {
    RecordFilter f(where);
  } catch (const sp::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("serve filter: what can never be a condition is refused, with what it gives instead") {
  // arithmetic: the type is not known at compile time, but it is never a boolean
  REQUIRE(filter_error("latency_ms * 2") ==
          "where: the filter must be a condition (true or false), but this gives a number or a duration");
  REQUIRE(filter_error("status + 1") == "where: the filter must be a condition (true or false), but this gives a "
                                        "number, a time or a duration");
  REQUIRE(filter_error("-latency_ms") != "");
  REQUIRE(filter_error("if(status > 500, 1, 2)") != "");
  REQUIRE(filter_error("case when status > 500 then 'bad' else 'ok' end") ==
          "where: the filter must be a condition (true or false), but this gives a string");
  REQUIRE(filter_error("coalesce(latency_ms / 2, 0)") != "");
  REQUIRE(filter_error("lower(path)") == "where: the filter must be a condition (true or false), but this gives a string");
  // these can be true for some record
  REQUIRE(filter_error("ok") == "");                                   // a field: true where it is true
  REQUIRE(filter_error("if(status > 500, ok, false)") == "");          // one branch may be boolean
  REQUIRE(filter_error("case when status > 500 then true end") == "");  // boolean or null
  REQUIRE(filter_error("coalesce(ok, false)") == "");
  REQUIRE(filter_error("null") == "");  // never true, but it is what SQL calls unknown
  RecordFilter field("ok");
  REQUIRE(field.test(*entry(1, "", 0, R"({"ok":true})")));
  REQUIRE_FALSE(field.test(*entry(2, "", 0, R"({"ok":1})")));  // a number is not true
}

TEST_CASE("serve store: one block per batch; texts, keys and gauges read back; parseable in place") {
  sp::serve::EntryBatch b(2);
  for (int i = 0; i < 3; ++i) {
    auto& e = b.add("{\"n\":" + std::to_string(i) + "}");
    e.seq = static_cast<uint64_t>(i + 1);
    e.has_key = true;
    b.set_key("key-number-" + std::to_string(i) + "-longer-than-sso");
    b.gauge(0) = i * 1.5;
  }
  std::vector<EntryPtr> out;
  b.take(out);
  REQUIRE(b.empty());
  REQUIRE(out.size() == 3);
  REQUIRE(out[2]->text == "{\"n\":2}");
  REQUIRE(out[1]->key == "key-number-1-longer-than-sso");
  REQUIRE(out[2]->gauges.size() == 2);
  REQUIRE(out[2]->gauges[0] == 3.0);
  REQUIRE(std::isnan(out[2]->gauges[1]));
  REQUIRE(out[0].use_count() == out[2].use_count());  // one block owns them all
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  REQUIRE(!parser.iterate(out[1]->padded()).get(doc));
  int64_t n = -1;
  REQUIRE(!doc["n"].get_int64().get(n));
  REQUIRE(n == 1);
}

TEST_CASE("serve store: a latest record that leaves the ring is copied; its old block is freed") {
  Store store(StoreLimits{0, 2});
  sp::serve::EntryBatch b(0);
  for (int i = 0; i < 3; ++i) {
    auto& e = b.add("{\"i\":" + std::to_string(i) + "}");
    e.seq = static_cast<uint64_t>(i + 1);
    e.has_key = true;
    e.has_time = true;
    b.set_key(i == 0 ? "rare" : "often");
  }
  auto seg = std::make_shared<sp::serve::Segment>();
  b.take(*seg);
  std::weak_ptr<const sp::serve::Entry> first = (*seg)[0];
  store.add(seg);
  seg.reset();
  REQUIRE(store.retained() == 2);  // "rare" left the ring
  REQUIRE(!first.expired());        // the other two records still hold the block
  store.add(batch({entry(10, "often", 1), entry(11, "often", 2)}));
  REQUIRE(first.expired());  // the block is gone ...
  REQUIRE(store.latest("rare")->text == "{\"i\":0}");  // ... and rare's latest was kept
  REQUIRE(store.latest("rare")->seq == 1);
  REQUIRE(store.latest("often")->seq == 11);
}

TEST_CASE("serve latest body: built once, rebuilt after the store changed and the copy aged") {
  Store store(StoreLimits{0, 100});
  sp::serve::LatestBody cache;
  store.add(batch({entry(1, "a", 1, R"({"v":1})")}));
  auto first = cache.get(store);
  REQUIRE(*first == "{\"a\":{\"v\":1}}\n");
  REQUIRE(cache.get(store) == first);  // unchanged store: the same copy
  store.add(batch({entry(2, "b", 2, R"({"v":2})")}));
  std::this_thread::sleep_for(sp::serve::LatestBody::kMaxAge + std::chrono::milliseconds(5));
  REQUIRE(*cache.get(store) == "{\"a\":{\"v\":1},\"b\":{\"v\":2}}\n");
}

namespace {

using sp::connect::sqlite::QueryError;
using sp::connect::sqlite::TableReader;

// A database like sp-sink's, in WAL mode, with a second table that must stay unreadable.
struct EventsDb {
  sp::test::TempFile file{"events.db"};
  EventsDb() {
    sp::connect::sqlite::Database db(file.path());
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("CREATE TABLE events (service TEXT, status INTEGER, latency REAL, payload BLOB, note TEXT)");
    db.exec("INSERT INTO events VALUES ('api', 200, 1.5, x'00ff', NULL), ('web', 503, 12.25, NULL, 'slow'), "
            "('api', 404, 3, NULL, 'quote \" and é')");
    db.exec("CREATE TABLE secrets (token TEXT)");
    db.exec("INSERT INTO secrets VALUES ('hunter2')");
  }
};

QueryError::Kind error_kind(TableReader& r, const std::string& sql, std::string* what = nullptr) {
  try {
    r.query(sql, 100);
  } catch (const QueryError& e) {
    if (what) *what = e.what();
    return e.kind;
  }
  FAIL("no error for " << sql);
  return QueryError::Kind::Failed;
}

}  // namespace

TEST_CASE("serve sqlite: typed rows as JSON objects, the newest rows, a row limit") {
  EventsDb db;
  TableReader r(db.file.path(), "events");
  REQUIRE(r.check().empty());
  auto all = r.query("SELECT * FROM events ORDER BY rowid", 100);
  REQUIRE(all.json ==
          R"([{"service":"api","status":200,"latency":1.5,"payload":"AP8=","note":null},)"
          R"({"service":"web","status":503,"latency":12.25,"payload":null,"note":"slow"},)"
          R"({"service":"api","status":404,"latency":3,"payload":null,"note":"quote \" and é"}])");
  REQUIRE(all.rows == 3);
  REQUIRE_FALSE(all.truncated);
  auto two = r.query("SELECT status FROM events ORDER BY rowid", 2);
  REQUIRE(two.json == R"([{"status":200},{"status":503}])");
  REQUIRE(two.truncated);
  REQUIRE(r.newest(2).json ==
          R"([{"service":"web","status":503,"latency":12.25,"payload":null,"note":"slow"},)"
          R"({"service":"api","status":404,"latency":3,"payload":null,"note":"quote \" and é"}])");
  // a common table expression, recursive too, and json_each
  REQUIRE(r.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4) "
                  "SELECT sum(x) AS s FROM c",
                  10)
              .json == R"([{"s":10}])");
  REQUIRE(r.query("SELECT count(*) AS n FROM events, json_each('[1,2]')", 10).json == R"([{"n":6}])");
}

TEST_CASE("serve sqlite: only reads of the one table; every write, pragma and attach refused") {
  EventsDb db;
  TableReader r(db.file.path(), "events");
  std::string why;
  using K = QueryError::Kind;
  REQUIRE(error_kind(r, "SELECT * FROM secrets", &why) == K::Refused);
  REQUIRE(why == "only the table 'events' can be read, not 'secrets'");
  REQUIRE(error_kind(r, "WITH events AS (SELECT * FROM secrets) SELECT * FROM events") == K::Refused);
  REQUIRE(error_kind(r, "SELECT * FROM sqlite_master") == K::Refused);
  REQUIRE(error_kind(r, "SELECT * FROM dbstat") == K::Refused);
  REQUIRE(error_kind(r, "SELECT * FROM pragma_table_info('secrets')") == K::Refused);
  REQUIRE(error_kind(r, "DELETE FROM events") == K::Refused);
  REQUIRE(error_kind(r, "INSERT INTO events (status) VALUES (1)") == K::Refused);
  REQUIRE(error_kind(r, "DROP TABLE events") == K::Refused);
  REQUIRE(error_kind(r, "PRAGMA journal_mode=DELETE", &why) == K::Refused);
  REQUIRE(why == "PRAGMA is not allowed: only SELECT");
  REQUIRE(error_kind(r, "ATTACH 'other.db' AS o") == K::Refused);
  REQUIRE(error_kind(r, "BEGIN") == K::Refused);
  REQUIRE(error_kind(r, "SELECT 1; DELETE FROM events", &why) == K::Refused);
  REQUIRE(why == "only one SQL statement is allowed");
  REQUIRE(error_kind(r, "SELECT load_extension('x')") == K::Refused);
  REQUIRE(error_kind(r, "SELECT nosuch FROM events", &why) == K::Refused);
  REQUIRE(why == "no such column: nosuch");
  REQUIRE(error_kind(r, "") == K::Refused);
  REQUIRE(r.query("SELECT count(*) AS n FROM events;  -- a comment", 10).json == R"([{"n":3}])");
  // nothing was changed
  sp::connect::sqlite::Database check(db.file.path());
  auto st = check.prepare("SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM secrets)");
  REQUIRE(st->step());
  REQUIRE(st->column_int(0) == 4);
}

TEST_CASE("serve sqlite: a query past its time limit stops; a missing database or table is Missing") {
  EventsDb db;
  TableReader r(db.file.path(), "events", sp::connect::sqlite::ReadLimits{std::chrono::milliseconds(100)});
  std::string why;
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(error_kind(r, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
                     &why) == QueryError::Kind::Refused);
  REQUIRE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  REQUIRE(why == "the query ran longer than its time limit of 0.1 s");
  REQUIRE(r.query("SELECT count(*) AS n FROM events", 1).json == R"([{"n":3}])");  // the connection still serves

  TableReader missing(db.file.path() + ".nosuch", "events");
  REQUIRE_THROWS_MATCHES(missing.newest(10), QueryError,
                         Catch::Matchers::Predicate<QueryError>([](const QueryError& e) {
                           return e.kind == QueryError::Kind::Missing;
                         }));
  REQUIRE_FALSE(missing.check().empty());
  TableReader no_table(db.file.path(), "later");
  REQUIRE_THROWS_MATCHES(no_table.newest(10), QueryError,
                         Catch::Matchers::Predicate<QueryError>([](const QueryError& e) {
                           return e.kind == QueryError::Kind::Missing;
                         }));
}
