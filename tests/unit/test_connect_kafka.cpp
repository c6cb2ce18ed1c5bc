// lib/connect/kafka: URIs, -X properties and Java properties files (no broker needed).
#include <catch2/catch.hpp>

#include <fstream>

#include "connect/kafka/config.h"
#include "connect/uri.h"
#include "io/error.h"
#include "test_support.h"

using namespace sp::connect::kafka;

TEST_CASE("kafka: URIs split into brokers, topics and query") {
  auto u = split_uri("kafka://a:9092,b:9093/ev,logs?group=g%20x&offset=earliest");
  CHECK(u.brokers == "a:9092,b:9093");
  CHECK(u.path == "ev,logs");
  CHECK(split_list(u.path) == std::vector<std::string>{"ev", "logs"});
  auto q = sp::connect::parse_query(u.query);
  REQUIRE(q.size() == 2);
  CHECK(q[0] == std::pair<std::string, std::string>{"group", "g x"});
  CHECK(q[1].second == "earliest");
  CHECK(split_uri("kafka://h:1/{service}-events").path == "{service}-events");
  CHECK_THROWS_AS(split_uri("kafka:///topic"), sp::UsageError);
}

TEST_CASE("kafka: a user or password in the URI is a usage error that does not repeat the password") {
  try {
    split_uri("kafka://etl:s3cret@b1:9092,b2:9092/events");
    FAIL("no error");
  } catch (const sp::UsageError& e) {
    std::string what = e.what();
    CHECK(what.find("s3cret") == std::string::npos);
    CHECK(what.find("kafka://b1:9092,b2:9092: a kafka:// URI takes no user or password") == 0);
  }
}

TEST_CASE("kafka: -X name=value, and properties files with comments and continuations; -X wins") {
  CHECK(parse_property("a.b=c=d") == std::pair<std::string, std::string>{"a.b", "c=d"});
  CHECK_THROWS_AS(parse_property("novalue"), sp::UsageError);
  CHECK_THROWS_AS(parse_property("=x"), sp::UsageError);
  sp::test::TempFile f("client.properties");
  {
    std::ofstream out(f.path());
    out << "# a comment\n! another\n\nsecurity.protocol = SSL\nsasl.mechanism: PLAIN\n"
           "ssl.ca.location=/etc/a\\\n    b.pem\r\nlinger.ms=5\n";
  }
  auto p = user_properties(f.path(), {"linger.ms=50"});
  REQUIRE(p.size() == 5);
  CHECK(p[0] == std::pair<std::string, std::string>{"security.protocol", "SSL"});
  CHECK(p[1] == std::pair<std::string, std::string>{"sasl.mechanism", "PLAIN"});
  CHECK(p[2] == std::pair<std::string, std::string>{"ssl.ca.location", "/etc/ab.pem"});
  CHECK(p[3].second == "5");
  CHECK(p[4] == std::pair<std::string, std::string>{"linger.ms", "50"});  // applied last: wins
  CHECK_THROWS_AS(user_properties(f.path() + ".missing", {}), sp::UsageError);
}
