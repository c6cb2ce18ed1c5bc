// lib/sink: endpoint URIs, path templates, event times.
#include <catch2/catch.hpp>

#include "io/error.h"
#include "sink/endpoint.h"
#include "sink/event_time.h"
#include "sink/file_sink.h"

using sp::sink::Endpoint;
using sp::sink::PathTemplate;

TEST_CASE("endpoint: postgresql URI with password, port, params; the password is redacted") {
  auto e = Endpoint::parse("postgresql://app:s%40cret@127.0.0.1:5433/shop?table=events&mode=insert");
  CHECK(e.scheme() == "postgresql");
  CHECK(e.user() == "app");
  CHECK(e.password() == "s@cret");
  CHECK(e.host() == "127.0.0.1");
  CHECK(e.port() == 5433);
  CHECK(e.path() == "/shop");
  CHECK(e.param("table") == "events");
  CHECK(e.redacted() == "postgresql://app:***@127.0.0.1:5433/shop?table=events&mode=insert");
  CHECK(e.redacted().find("cret") == std::string::npos);
  CHECK_THROWS_AS(e.reject_unused(), sp::UsageError);  // mode was not asked for
  e.param("mode");
  CHECK_NOTHROW(e.reject_unused());
}

TEST_CASE("endpoint: password= in the query is redacted too") {
  auto e = Endpoint::parse("redis://h:1/0?password=hunter2&cmd=set");
  CHECK(e.redacted() == "redis://h:1/0?password=***&cmd=set");
}

TEST_CASE("endpoint: files and sqlite paths") {
  CHECK(Endpoint::parse("-").scheme() == "file");
  CHECK(Endpoint::parse("out/x.ndjson").location() == "out/x.ndjson");
  CHECK(Endpoint::parse("file:///tmp/x.ndjson").location() == "/tmp/x.ndjson");
  CHECK(Endpoint::parse("sqlite:///tmp/x.db?table=t").location() == "/tmp/x.db");
  CHECK(Endpoint::parse("sqlite://rel.db?table=t").location() == "rel.db");
  auto e = Endpoint::parse("sqlite:rel.db?table=t");
  CHECK(e.scheme() == "sqlite");
  CHECK(e.location() == "rel.db");
  CHECK(e.param("table") == "t");
  CHECK(Endpoint::parse("http://[::1]:8080/in").host() == "::1");
  CHECK(Endpoint::parse("http://[::1]:8080/in").port() == 8080);
  CHECK_THROWS_AS(Endpoint::parse("http://h:80x/"), sp::UsageError);
}

TEST_CASE("path template: time codes, {seq}, inserted {seq}") {
  PathTemplate t("out/dt=%Y-%m-%d/hour=%H/e-{seq}.ndjson.zst", false);
  CHECK(t.has_time_codes());
  int64_t ms;
  REQUIRE(sp::sink::parse_rfc3339_ms("2026-11-24T13:05:00.250Z", ms));
  CHECK(t.partition(ms) == "out/dt=2026-11-24/hour=13/e-{seq}.ndjson.zst");
  CHECK(PathTemplate::with_seq(t.partition(ms), 7) == "out/dt=2026-11-24/hour=13/e-000007.ndjson.zst");
  CHECK(PathTemplate("dir.d/events.ndjson.zst", true).text() == "dir.d/events-{seq}.ndjson.zst");
  CHECK(PathTemplate("events", true).text() == "events-{seq}");
  CHECK_FALSE(PathTemplate("events.ndjson", false).is_segmented());
}

TEST_CASE("event time: RFC 3339 with offsets, epoch seconds and milliseconds") {
  int64_t ms = 0;
  REQUIRE(sp::sink::parse_rfc3339_ms("1970-01-01T00:00:01Z", ms));
  CHECK(ms == 1000);
  REQUIRE(sp::sink::parse_rfc3339_ms("2026-11-24T01:00:00+01:00", ms));
  int64_t utc;
  REQUIRE(sp::sink::parse_rfc3339_ms("2026-11-24T00:00:00Z", utc));
  CHECK(ms == utc);
  REQUIRE(sp::sink::parse_rfc3339_ms("2026-11-24", ms));
  CHECK(ms == utc);
  CHECK_FALSE(sp::sink::parse_rfc3339_ms("2026-13-24T00:00:00Z", ms));
  CHECK_FALSE(sp::sink::parse_rfc3339_ms("yesterday", ms));
  CHECK(sp::sink::epoch_number_to_ms(1764000000) == 1764000000000);
  CHECK(sp::sink::epoch_number_to_ms(1764000000123.0) == 1764000000123);
}

#include "connect/s3/signer.h"

TEST_CASE("SigV4: the GET-object example of the AWS S3 documentation") {
  // docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "GET Object".
  sp::connect::s3::Credentials cred{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  std::string empty_hash = sp::connect::s3::sha256_hex("");
  CHECK(empty_hash == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::map<std::string, std::string> headers{{"host", "examplebucket.s3.amazonaws.com"},
                                             {"range", "bytes=0-9"},
                                             {"x-amz-content-sha256", empty_hash},
                                             {"x-amz-date", "20130524T000000Z"}};
  std::string auth = sp::connect::s3::authorization(cred, "us-east-1", "s3", "GET", "/test.txt", "", headers,
                                                    empty_hash, "20130524T000000Z");
  CHECK(auth ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  CHECK(sp::connect::s3::uri_encode("dt=2026-11-24/a b~.zst", true) == "dt%3D2026-11-24/a%20b~.zst");
}
