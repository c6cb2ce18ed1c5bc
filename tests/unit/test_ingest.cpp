#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <simdjson.h>

#include <string>

#include "ingest/checkpoint.h"
#include "ingest/decoder.h"
#include "ingest/file_identity.h"
#include "io/error.h"
#include "ingest/formats/builder.h"
#include "ingest/formats/format.h"
#include "ingest/formats/timestamp.h"
#include "ingest/tail_file.h"

using namespace sp::ingest;

TEST_CASE("timestamps in log forms normalize to RFC 3339 UTC milliseconds", "[ingest][time]") {
  auto norm = [](const char* text) {
    int64_t ms = 0;
    if (!parse_timestamp(text, ms)) return std::string("invalid");
    std::string out;
    append_rfc3339_ms(out, ms);
    return out;
  };
  CHECK(norm("2026-11-24T10:00:00Z") == "2026-11-24T10:00:00.000Z");
  CHECK(norm("2026-11-24 10:00:00.123456+01:00") == "2026-11-24T09:00:00.123Z");
  CHECK(norm("2026-11-24T10:00:00-0530") == "2026-11-24T15:30:00.000Z");
  CHECK(norm("10/Oct/2000:13:55:36 -0700") == "2000-10-10T20:55:36.000Z");
  CHECK(norm("1764000000") == "2025-11-24T16:00:00.000Z");
  CHECK(norm("1764000000123") == "2025-11-24T16:00:00.123Z");
  CHECK(norm("1970-01-01T00:00:00Z") == "1970-01-01T00:00:00.000Z");
  CHECK(norm("1969-12-31T23:59:59.999Z") == "1969-12-31T23:59:59.999Z");
  CHECK(norm("2026-13-01T00:00:00Z") == "invalid");
  CHECK(norm("yesterday") == "invalid");
  CHECK(norm("") == "invalid");
}

TEST_CASE("timestamps: days a month does not have and times RFC 3339 cannot write are rejected", "[ingest][time]") {
  auto ok = [](const char* text) {
    int64_t ms = 0;
    return parse_timestamp(text, ms);
  };
  CHECK_FALSE(ok("2026-02-31T00:00:00Z"));  // read as 2026-03-03 before
  CHECK_FALSE(ok("2026-04-31 10:00:00"));
  CHECK_FALSE(ok("29/Feb/2026:10:00:00 +0000"));
  CHECK(ok("2024-02-29T00:00:00Z"));
  CHECK(ok("29/Feb/2000:10:00:00 +0000"));
  CHECK_FALSE(ok("1900-02-29T00:00:00Z"));
  CHECK_FALSE(ok("Feb 30 10:00:00"));
  CHECK_FALSE(ok("99999999999999999"));          // year 3170843: written as 9999 before
  CHECK_FALSE(ok("0000-01-01T00:30:00+01:00"));  // before year 0: written as 0000-12-31 before
  CHECK(ok("0000-01-01T00:00:00Z"));
  CHECK(ok("9999-12-31T23:59:59.999Z"));
  CHECK_FALSE(ok("9999-12-31T23:59:59-01:00"));
  int64_t ms = 0;
  CHECK(epoch_to_ms(1764000000, ms));
  CHECK(ms == 1764000000000);
  CHECK_FALSE(epoch_to_ms(1e16, ms));
  CHECK_FALSE(epoch_to_ms(-1, ms));
}

namespace {

// One record through a format made from `spec` (and `time_field`): its JSON, or "error: …".
std::string parse_with(Format& f, const std::string& text) {
  std::string buf = text, out, error;
  buf.append(simdjson::SIMDJSON_PADDING, '\0');
  std::string_view json;
  auto state = f.new_state();
  if (!f.parse({buf.data(), text.size(), buf.size()}, state.get(), out, json, error)) return "error: " + error;
  return std::string(json);
}

std::unique_ptr<Format> format(const char* spec, const char* time_field = "") {
  FormatOptions o;
  o.spec = spec;
  o.time_field = time_field;
  return Format::create(o);
}

}  // namespace

TEST_CASE("access logs: a status with leading zeros is a JSON number", "[ingest][access_log]") {
  auto f = format("combined");
  // The fuzzer's find: "status":00 is not JSON.
  CHECK(parse_with(*f, R"(10.0.0.1 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 00 012 "-" "curl/8.0")") ==
        R"({"remote_addr":"10.0.0.1","remote_user":null,"ts":"2026-11-24T10:00:00.000Z","method":"GET","path":"/",)"
        R"("protocol":"HTTP/1.1","status":0,"bytes":12,"referer":null,"user_agent":"curl/8.0"})");
  CHECK(parse_with(*f, R"(h - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 000 - "-" "-")").find(R"("status":0,)") !=
        std::string::npos);
}

TEST_CASE("syslog: repeated structured-data names keep every value", "[ingest][syslog]") {
  auto f = format("syslog");
  CHECK(parse_with(*f, R"(<14>1 2026-11-24T10:00:00Z h app - - [origin ip="192.0.2.1" ip="192.0.2.129" ip_2="x"][b x="1"][b x="2"] m)") ==
        R"({"facility":1,"severity":6,"ts":"2026-11-24T10:00:00.000Z","host":"h","app":"app","structured_data":)"
        R"({"origin":{"ip":"192.0.2.1","ip_2":"192.0.2.129","ip_2_2":"x"},"b":{"x":"1"},"b_2":{"x":"2"}},"message":"m"})");
}

TEST_CASE("the time field may not be named like a field syslog or access logs have already", "[ingest][time]") {
  CHECK_THROWS_AS(format("syslog", "message"), sp::UsageError);
  CHECK_THROWS_AS(format("syslog", "host"), sp::UsageError);
  CHECK_THROWS_AS(format("combined", "status"), sp::UsageError);
  CHECK_THROWS_AS(format("common", "path"), sp::UsageError);
  CHECK_NOTHROW(format("syslog", "when"));
  CHECK_NOTHROW(format("combined", "time"));
}

TEST_CASE("names that differ only in invalid UTF-8 are made unique as written", "[ingest][utf8]") {
  FormatOptions o;
  o.spec = "csv";
  o.valid_utf8 = false;  // --invalid-utf8 replace
  auto csv = Format::create(o);
  std::string buf = "\xc2,\xd6\n1,2", out, error;  // the fuzzer's find: two "\ufffd" members
  buf.append(simdjson::SIMDJSON_PADDING, '\0');
  std::string_view json;
  auto state = csv->new_state();
  REQUIRE(csv->parse({buf.data(), 3, buf.size()}, state.get(), out, json, error));
  REQUIRE(csv->parse({buf.data() + 4, 3, buf.size() - 4}, state.get(), out, json, error));
  CHECK(json == "{\"\xef\xbf\xbd\":1,\"\xef\xbf\xbd_2\":2}");
  o.spec = "logfmt";
  auto logfmt = Format::create(o);
  CHECK(parse_with(*logfmt, "\xc2=1 \xd6=2") == "{\"\xef\xbf\xbd\":1,\"\xef\xbf\xbd_2\":2}");
  o.spec = "syslog";
  auto syslog = Format::create(o);
  CHECK(parse_with(*syslog, "<14>1 2026-11-24T10:00:00Z h a - - [\xc2 a=\"1\"][\xd6 \xc2=\"2\" \xd6=\"3\"]")
            .find("{\"\xef\xbf\xbd\":{\"a\":\"1\"},\"\xef\xbf\xbd_2\":{\"\xef\xbf\xbd\":\"2\",\"\xef\xbf\xbd_2\":\"3\"}}") !=
        std::string::npos);
}

TEST_CASE("logfmt: repeated keys in many records", "[ingest][logfmt]") {
  auto f = format("logfmt");
  for (int i = 0; i < 1000; ++i) REQUIRE(parse_with(*f, "a=1 a=2 a=3") == R"({"a":1,"a_2":2,"a_3":3})");
}

TEST_CASE("JSON number syntax decides the typing of text values", "[ingest][builder]") {
  for (const char* yes : {"0", "-1", "12.5", "1e10", "-0.5E-3"}) CHECK(is_json_number(yes));
  for (const char* no : {"", "007", "+1", "1.", ".5", "1e", "0x10", "NaN", "1 "}) CHECK_FALSE(is_json_number(no));
}

TEST_CASE("the record builder escapes, types and checks the time field", "[ingest][builder]") {
  RecordBuilder b("ts");
  b.set_valid_utf8(true);
  std::string out, error;
  b.begin(out);
  b.string("msg", "a \"q\"\n\x01");
  b.inferred("n", "42");
  b.inferred("id", "007");
  b.string("ts", "24/Nov/2026:10:00:00 +0000");
  REQUIRE(b.end(error));
  CHECK(out == R"({"msg":"a \"q\"\n\u0001","n":42,"id":"007","ts":"2026-11-24T10:00:00.000Z"})");
  b.begin(out);
  b.string("x", "1");
  CHECK_FALSE(b.end(error));
  CHECK(error == "no time field 'ts'");
}

TEST_CASE("quoted CSV fields that span lines are tracked", "[ingest][csv]") {
  CHECK_FALSE(csv_quote_open("a,b,c", ',', false));
  CHECK(csv_quote_open("a,\"b,c", ',', false));
  CHECK_FALSE(csv_quote_open("a,\"b\"\"c\",d", ',', false));
  CHECK_FALSE(csv_quote_open("more\",x", ',', true));
  CHECK(csv_quote_open("still \"\" open", ',', true));
  CHECK_FALSE(csv_quote_open("a,b\"c,d", ',', false));  // a quote inside an unquoted field is text
}

TEST_CASE("invalid UTF-8 is located", "[ingest][utf8]") {
  CHECK(first_invalid_utf8("plain") == 0);
  CHECK(first_invalid_utf8("caf\xc3\xa9") == 0);
  CHECK(first_invalid_utf8("caf\xe9!") == 4);
  CHECK(first_invalid_utf8("\xed\xa0\x80") == 1);  // a surrogate
}

TEST_CASE("fingerprints and the checkpoint file round-trip", "[ingest][checkpoint]") {
  char dir[] = "/tmp/sp-ingest-unit-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string path = std::string(dir) + "/ck.json";
  CheckpointEntry e;
  e.path = "/var/log/a \"b\".log";
  e.id = {2049, 1234, fingerprint_of("hello\n")};
  e.tail = fingerprint_of("world\n");
  e.offset = 81920;
  e.line = 1024;
  {
    Checkpoint ck(path);
    CHECK(ck.load().empty());
    ck.save({e});
  }
  Checkpoint again(path);
  auto entries = again.load();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].path == e.path);
  CHECK(entries[0].id.dev == 2049);
  CHECK(entries[0].id.ino == 1234);
  CHECK(entries[0].id.head == e.id.head);
  CHECK(entries[0].tail == e.tail);
  CHECK(entries[0].offset == 81920);
  CHECK(entries[0].line == 1024);
  uint64_t v = 0;
  CHECK(parse_hex64(hex64(0xfedcba9876543210ULL), v));
  CHECK(v == 0xfedcba9876543210ULL);
  std::remove(path.c_str());
  std::remove((path + ".lock").c_str());
  rmdir(dir);
}

TEST_CASE("a file's head fingerprint is the content where reading starts, not at its opening", "[ingest][tail]") {
  CHECK(hash_bytes("abcdef", 6) == hash_bytes("def", 3, hash_bytes("abc", 3)));
  char dir[] = "/tmp/sp-ingest-unit-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string path = std::string(dir) + "/app.log.1";
  std::string a(300, 'a'), b = "{\"n\":100}\n{\"n\":101}\n";
  std::ofstream(path) << a;
  std::string error;
  auto f = TailFile::open(path, error);
  REQUIRE(f);
  CHECK(f->identity().head == fingerprint_of(a.substr(0, kFingerprintBytes)));
  std::ofstream(path, std::ios::trunc) << b;  // replaced in place (same inode) before it is read
  f->start_at(0, 0, true);
  CHECK(f->identity().head == fingerprint_of(b));
  std::ofstream(path, std::ios::app) << a;  // a start further in fingerprints the file as it is then
  f->start_at(b.size(), 2, true);
  CHECK(f->identity().head == fingerprint_of((b + a).substr(0, kFingerprintBytes)));
  f.reset();
  std::remove(path.c_str());
  rmdir(dir);
}
