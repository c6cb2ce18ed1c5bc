#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "ingest/checkpoint.h"
#include "ingest/decoder.h"
#include "ingest/file_identity.h"
#include "ingest/formats/builder.h"
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
