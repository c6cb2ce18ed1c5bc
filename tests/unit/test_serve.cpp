#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "io/error.h"
#include "serve/hub.h"
#include "serve/service.h"
#include "serve/store.h"

using sp::serve::EntryPtr;
using sp::serve::Hub;
using sp::serve::RecordFilter;
using sp::serve::Store;
using sp::serve::StoreLimits;

namespace {

EntryPtr entry(uint64_t seq, const std::string& key, int64_t seconds, const std::string& text = "{}") {
  auto e = sp::serve::make_entry(text);
  e->seq = seq;
  e->key = key;
  e->has_key = !key.empty();
  e->time_ns = seconds * 1'000'000'000;
  e->has_time = true;
  return e;
}

}  // namespace

TEST_CASE("serve store: latest per key, and the ring bounded by count and by time") {
  Store store(StoreLimits{10'000'000'000, 5});  // 10 s, 5 records
  store.add({entry(1, "a", 100), entry(2, "b", 101), entry(3, "a", 102)});
  REQUIRE(store.latest("a")->seq == 3);
  REQUIRE(store.latest("b")->seq == 2);
  REQUIRE(store.latest("c") == nullptr);
  REQUIRE(store.keys() == 2);
  REQUIRE(store.clock() == 102'000'000'000);

  store.add({entry(4, "c", 103), entry(5, "c", 104), entry(6, "c", 105)});
  REQUIRE(store.retained() == 5);  // the oldest went
  auto recent = store.recent(0, INT64_MAX);
  REQUIRE(recent.front()->seq == 2);
  REQUIRE(recent.back()->seq == 6);
  REQUIRE(store.latest("b")->seq == 2);  // evicted from the ring, still the latest of b

  store.add({entry(7, "a", 113)});  // 10 s after 103: records before 103 leave
  recent = store.recent(0, INT64_MAX);
  REQUIRE(recent.front()->seq == 4);
  REQUIRE(store.recent(104'000'000'000, 106'000'000'000).size() == 2);
}

TEST_CASE("serve hub: every subscriber gets every batch; one that falls behind is dropped, others are not") {
  Hub hub(4);
  auto fast = hub.subscribe();
  auto slow = hub.subscribe();
  REQUIRE(hub.clients() == 2);
  std::vector<EntryPtr> got;
  for (uint64_t i = 1; i <= 6; i += 2) {
    hub.publish({entry(i, "k", 1), entry(i + 1, "k", 1)});
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
