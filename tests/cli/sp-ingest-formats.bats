#!/usr/bin/env bats
# sp-ingest --format: good and bad input for every format, multiline records, metadata, time.

load test_helper

@test "combined: generated nginx lines parse; numbers are numbers; '-' is null; time is RFC 3339 UTC" {
  "$GEN_EVENTS" --lines 2000 --format combined > access.log
  run -0 --separate-stderr sp-ingest --format combined access.log --stats
  [[ $(printf '%s\n' "$output" | wc -l) == 2000 ]]
  printf '%s\n' "$output" | head -1 > first.json
  run jq -c '[.remote_addr, .remote_user, .ts, .method, .path, .protocol, .status, .bytes, .referer]' first.json
  assert_output '["77.172.243.249","u034776","2026-11-24T00:00:00.000Z","POST","/telemetry/v1/ingest","HTTP/1.1",201,1550,null]'
}

@test "combined: time zones, escaped quotes, odd request lines, extra fields, and bad lines" {
  cat > access.log <<'LOG'
10.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/start" "Mozilla/4.08 [en] (Win98; I ;Nav)"
10.0.0.2 - - [24/Nov/2026:10:00:00 +0100] "GET /q?x=\"y\" HTTP/1.1" 404 - "-" "curl/8.0" 0.012 upstream=1
10.0.0.3 - - [24/Nov/2026:10:00:00 +0000] "\x16\x03\x01" 400 157 "-" "-"
10.0.0.4 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200
not an access log line
10.0.0.5 - - [99/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"
LOG
  run -0 --separate-stderr sp-ingest --format combined access.log --dead-letter dl.ndjson
  [[ $(printf '%s\n' "$output" | wc -l) == 3 ]]
  printf '%s\n' "$output" > out.ndjson
  run jq -c '[.ts, .remote_user, .referer, .user_agent]' <(sed -n 1p out.ndjson)
  assert_output '["2000-10-10T20:55:36.000Z","frank","http://x/start","Mozilla/4.08 [en] (Win98; I ;Nav)"]'
  run jq -c '[.ts, .path, .status, .bytes, .referer, .extra]' <(sed -n 2p out.ndjson)
  assert_output '["2026-11-24T09:00:00.000Z","/q?x=\"y\"",404,null,null,"0.012 upstream=1"]'
  run jq -c '[.request, .method]' <(sed -n 3p out.ndjson)
  assert_output '["\\x16\\x03\\x01",null]'
  run jq -r '"\(.line) \(.error)"' dl.ndjson
  assert_line '4 expected the response size (byte 63)'
  assert_line --partial '5 expected '
  assert_line --partial "6 cannot read the time '99/Nov/2026:10:00:00 +0000'"
}

@test "common: the Apache common log format" {
  printf '%s\n' '127.0.0.1 user-identifier frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326' > a.log
  run -0 sp-ingest --format common a.log
  assert_output '{"remote_addr":"127.0.0.1","ident":"user-identifier","remote_user":"frank","ts":"2000-10-10T20:55:36.000Z","method":"GET","path":"/apache_pb.gif","protocol":"HTTP/1.0","status":200,"bytes":2326}'
}

@test "combined: a status of 000 (no response sent) is the number 0" {
  printf '%s\n' '10.0.0.1 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 000 0 "-" "-"' \
    '10.0.0.2 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 00 - "-" "-"' > a.log
  run -0 sp-ingest --format combined a.log --strict
  run jq -c '[.status, .bytes]' <(sp-ingest --format combined a.log)
  assert_output $'[0,0]\n[0,null]'
}

@test "--time-field: a name the format's records have already is a usage error" {
  printf '%s\n' '<13>Oct 11 22:14:15 host app: 42' > sys.log
  run -2 sp-ingest --format syslog --time-field message sys.log
  assert_output --partial "sp-ingest: --time-field message: --format syslog records have a 'message' field of their own"
  run -2 sp-ingest --format combined --time-field status sys.log
  assert_output --partial "--format combined records have a 'status' field"
  run -0 sp-ingest --format syslog --time-field when sys.log
  run jq -c '[.when, .message]' <<< "$output"
  assert_output --regexp '^\["[0-9]{4}-10-11T22:14:15.000Z","42"\]$'
}

@test "times: a day the month does not have, or a year past 9999, rejects the record" {
  printf '%s\n' '{"t":"2026-02-31T00:00:00Z"}' '{"t":99999999999999999}' '{"t":"2024-02-29T00:00:00Z"}' > in.ndjson
  run -0 --separate-stderr sp-ingest --format json --time-field t in.ndjson --dead-letter dl.ndjson
  assert_output '{"t":"2024-02-29T00:00:00.000Z"}'
  run jq -r '"\(.line) \(.error)"' dl.ndjson
  assert_line --partial "1 time field 't': cannot read \"2026-02-31T00:00:00Z\" as a timestamp"
  assert_line --partial "2 time field 't': cannot read 99999999999999999 as a timestamp"
}

@test "syslog: a repeated structured-data param or SD-ID keeps every value (ip, ip_2)" {
  printf '%s\n' '<14>1 2026-11-24T10:00:00Z h app - - [origin ip="192.0.2.1" ip="192.0.2.129"][x a="1"][x a="2"] m' > sys.log
  run -0 sp-ingest --format syslog sys.log
  run jq -c .structured_data <<< "$output"
  assert_output '{"origin":{"ip":"192.0.2.1","ip_2":"192.0.2.129"},"x":{"a":"1"},"x_2":{"a":"2"}}'
}

@test "syslog: RFC 5424 with structured data, RFC 3164, files without PRI, and bad lines" {
  cat > sys.log <<'LOG'
<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event
<34>1 2003-10-11T22:14:15.003+02:00 host su - - - 'su root' failed
<13>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8
Nov  4 07:01:02 web01 kernel: eth0 link up
2026-11-24T10:00:00.123456+00:00 web02 sshd[99]: Accepted publickey
<999>1 2003-10-11T22:14:15Z h a - - - x
<13>no time here
LOG
  run -0 --separate-stderr sp-ingest --format syslog sys.log --dead-letter dl.ndjson
  printf '%s\n' "$output" > out.ndjson
  [[ $(wc -l < out.ndjson) == 5 ]]
  run jq -c . <(sed -n 1p out.ndjson)
  assert_output '{"facility":20,"severity":5,"ts":"2003-10-11T22:14:15.003Z","host":"mymachine.example.com","app":"evntslog","msgid":"ID47","structured_data":{"exampleSDID@32473":{"iut":"3","eventSource":"Application","eventID":"1011"}},"message":"An application event"}'
  run jq -c '[.ts, .message]' <(sed -n 2p out.ndjson)
  assert_output "[\"2003-10-11T20:14:15.003Z\",\"'su root' failed\"]"
  run jq -c '[.facility, .severity, .host, .app, .pid, .message]' <(sed -n 3p out.ndjson)
  assert_output "[1,5,\"mymachine\",\"su\",230,\"'su root' failed for lonvick on /dev/pts/8\"]"
  run jq -c '[.facility, .host, .app, .message, (.ts | test("^[0-9]{4}-11-04T07:01:02.000Z$"))]' <(sed -n 4p out.ndjson)
  assert_output '[null,"web01","kernel","eth0 link up",true]'
  run jq -c '[.ts, .host, .app, .pid]' <(sed -n 5p out.ndjson)
  assert_output '["2026-11-24T10:00:00.123Z","web02","sshd",99]'
  run jq -r '"\(.line) \(.error)"' dl.ndjson
  assert_line --partial '6 bad priority'
  assert_line --partial '7 expected a syslog time'
}

@test "syslog: generated RFC 5424 lines" {
  "$GEN_EVENTS" --lines 500 --format syslog > sys.log
  run -0 --separate-stderr sp-ingest --format syslog sys.log --strict
  [[ $(printf '%s\n' "$output" | wc -l) == 500 ]]
}

@test "logfmt: quoting, escapes, bare keys, numbers, repeated keys, and bad lines" {
  cat > app.log <<'LOG'
level=info msg="user logged in" user_id=00123 latency=0.25 count=3 ok
at=error msg="quote \" and backslash \\ and\nnewline" code=-2 code=7
just some words
a="unterminated
=value b=1
LOG
  run -0 --separate-stderr sp-ingest --format logfmt app.log --dead-letter dl.ndjson
  assert_line '{"level":"info","msg":"user logged in","user_id":"00123","latency":0.25,"count":3,"ok":true}'
  assert_line '{"at":"error","msg":"quote \" and backslash \\ and\nnewline","code":-2,"code_2":7}'
  run jq -r '"\(.line) \(.error)"' dl.ndjson
  assert_output $'3 no key=value pairs\n4 unterminated quoted value (byte 3)\n5 expected a key, got \'=\' (byte 1)'
}

@test "logfmt: generated lines, with --time-field" {
  "$GEN_EVENTS" --lines 300 --format logfmt > app.log
  run -0 --separate-stderr sp-ingest --format logfmt --time-field ts app.log --strict
  [[ $(printf '%s\n' "$output" | wc -l) == 300 ]]
  run jq -c '[.ts, .status, .latency_ms]' <(sp-ingest --format logfmt app.log | head -1)
  assert_output '["2026-11-24T00:00:00.000Z",201,12.665]'
}

@test "csv: header row, RFC 4180 quotes, embedded newlines and commas, short rows" {
  printf 'id,name,note,amount\r\n1,"Smith, Jane","said ""hi""",12.5\r\n2,Bob,"line one\nline two",007\n3,short\n4,"x""y,"z",1\n5,,,\n' > in.csv
  run -0 --separate-stderr sp-ingest --format csv in.csv --dead-letter dl.ndjson
  assert_output "$(printf '%s\n' \
    '{"id":1,"name":"Smith, Jane","note":"said \"hi\"","amount":12.5}' \
    '{"id":2,"name":"Bob","note":"line one\nline two","amount":"007"}' \
    '{"id":5,"name":"","note":"","amount":""}')"
  run jq -r '"\(.line) \(.error)"' dl.ndjson
  assert_line '5 2 fields, expected 4 (as in the header row)'
  assert_line --partial "6 unexpected 'z' after a closing quote"
}

@test "csv: each file has its own header; --columns names the fields instead" {
  printf 'a,b\n1,2\n' > x.csv
  printf 'c,d\n3,4\n' > y.csv
  run -0 sp-ingest --format csv x.csv y.csv
  assert_output $'{"a":1,"b":2}\n{"c":3,"d":4}'
  run -0 sp-ingest --format csv --columns p,q x.csv
  assert_output $'{"p":"a","q":"b"}\n{"p":1,"q":2}'
  run -2 sp-ingest --format json --columns p,q x.csv
  assert_output --partial "--columns is for --format csv or tsv"
}

@test "csv: an unterminated quote at the end of the file is rejected, not lost" {
  printf 'a,b\n1,"open\nmore\n' > x.csv
  run -0 --separate-stderr sp-ingest --format csv x.csv --dead-letter dl.ndjson
  assert_output ""
  run jq -r '"\(.line) \(.error) \(.raw)"' dl.ndjson
  assert_output $'2 unterminated quoted field (byte 3) 1,"open\nmore'
}

# A header with a quote inside a field (b"c) and a quoted line break: before, the resume took
# the quote as opening a field, did not find the header again, and the first new row became
# the header (that record was lost without a word).
@test "csv: a checkpointed resume keeps reading with the file's header" {
  printf 'a,b\n1,2\n' > x.csv
  printf 'a,b"c,"d\ne"\n1,2,3\n' > y.csv
  sp-ingest --format csv x.csv y.csv --checkpoint ck.json > out.ndjson
  printf '3,4\n' >> x.csv
  printf '4,5,6\n' >> y.csv
  sp-ingest --format csv x.csv y.csv --checkpoint ck.json >> out.ndjson
  run cat out.ndjson
  assert_output $'{"a":1,"b":2}\n{"a":1,"b\\"c":2,"d\\ne":3}\n{"a":3,"b":4}\n{"a":4,"b\\"c":5,"d\\ne":6}'
}

@test "tsv: tabs, backslash escapes, no quoting" {
  printf 'k\tv\nx\ta\\tb\\nc\n"q"\t1\n' > in.tsv
  run -0 sp-ingest --format tsv in.tsv
  assert_output $'{"k":"x","v":"a\\tb\\nc"}\n{"k":"\\"q\\"","v":1}'
}

@test "regex: named groups become fields; non-matching lines are rejected; bad patterns are usage errors" {
  printf 'alice 42 ok\nbob x\ncarol 7\n' > in.log
  run -0 --separate-stderr sp-ingest --format 'regex:^(?<user>\S+) (?<age>\d+)(?: (?<flag>\w+))?$' in.log --dead-letter dl.ndjson
  assert_output $'{"user":"alice","age":42,"flag":"ok"}\n{"user":"carol","age":7}'
  run jq -r '"\(.line) \(.error)"' dl.ndjson
  assert_output '2 line does not match the pattern'
  run -2 sp-ingest --format 'regex:(?<a>x' in.log
  assert_output --partial "sp-ingest: --format regex: bad regular expression: missing closing parenthesis (column 7)"
  run -2 sp-ingest --format 'regex:x+' in.log
  assert_output --partial "no named groups"
  run -2 sp-ingest --format yaml in.log
  assert_output --partial "unknown format 'yaml'"
}

@test "raw: every line becomes a message; invalid UTF-8 is rejected or replaced" {
  printf 'hello "world"\n\tcaf\xe9\n' > in.log
  run -0 --separate-stderr sp-ingest --format raw in.log --dead-letter dl.ndjson
  assert_output '{"message":"hello \"world\""}'
  run jq -r '"\(.line) \(.error) \(.raw_base64)"' dl.ndjson
  assert_output '2 invalid UTF-8 (byte 5) CWNhZuk='
  run -0 sp-ingest --format raw --invalid-utf8 replace in.log
  assert_output $'{"message":"hello \\"world\\""}\n{"message":"\\tcaf\xef\xbf\xbd"}'
}

@test "multiline: Java stack traces are joined into one record each" {
  cat > app.log <<'LOG'
2026-11-24 10:00:00 INFO started
2026-11-24 10:00:01 ERROR request failed
java.lang.IllegalStateException: boom
	at com.example.Foo.bar(Foo.java:42)
	at com.example.Main.main(Main.java:7)
Caused by: java.io.IOException: disk
	... 2 more
2026-11-24 10:00:02 INFO recovered
LOG
  run -0 sp-ingest --format raw --multiline-start '^\d{4}-\d\d-\d\d ' app.log
  [[ $(printf '%s\n' "$output" | wc -l) == 3 ]]
  run jq -r '.message' <(sp-ingest --format raw --multiline-start '^\d{4}-\d\d-\d\d ' app.log | sed -n 2p)
  assert_output "$(sed -n 2,7p app.log)"
}

@test "multiline: pretty-printed JSON documents become one line each" {
  printf '{\n  "a": 1,\n  "b": [1, 2]\n}\n{\n  "a": 2\n}\n' > pretty.json
  run -0 sp-ingest --multiline-start '^\{' pretty.json
  assert_output $'{"a":1,"b":[1,2]}\n{"a":2}'
}

@test "multiline: with --follow, the last record is written after --multiline-timeout" {
  printf 'START a\n  more\n' > app.log
  sp-ingest --follow --format raw --multiline-start '^START' --multiline-timeout 300ms app.log > out.ndjson &
  local pid=$!
  for i in $(seq 100); do [[ -s out.ndjson ]] && break; sleep 0.05; done
  kill -TERM $pid
  wait $pid
  run cat out.ndjson
  assert_output '{"message":"START a\n  more"}'
}

@test "--add-meta: file, offset, line, host, ingest time; non-objects pass unchanged" {
  printf '{"a":1}\n{}\n[1]\n' > in.log
  run -0 sp-ingest --add-meta in.log
  [[ ${lines[0]} =~ ^\{\"a\":1,\"_src\":\{\"file\":\"in.log\",\"offset\":0,\"line\":1,\"host\":\"[^\"]+\",\"ingest_ts\":\"20[0-9-]+T[0-9:.]+Z\"\}\}$ ]]
  [[ ${lines[1]} =~ ^\{\"_src\":\{\"file\":\"in.log\",\"offset\":8, ]]
  [[ ${lines[2]} == '[1]' ]]
  run -0 bash -c 'printf "x\n" | sp-ingest --format raw --add-meta | jq -c "._src | [.file, .offset, .line]"'
  assert_output '["-",0,1]'
}

@test "--time-field normalizes the event time; a record without one is rejected" {
  printf '%s\n' '{"t":"2026-11-24T10:00:00+01:00","x":1}' '{"t":1764000000}' '{"t":"2026-11-24T09:00:00.000Z"}' \
    '{"x":2}' '{"t":"yesterday"}' > in.log
  run -0 --separate-stderr sp-ingest --time-field t in.log --dead-letter dl.ndjson
  assert_output "$(printf '%s\n' '{"t":"2026-11-24T09:00:00.000Z","x":1}' '{"t":"2025-11-24T16:00:00.000Z"}' \
    '{"t":"2026-11-24T09:00:00.000Z"}')"
  run jq -r '"\(.line) \(.error)"' dl.ndjson
  assert_output $'4 no time field \'t\'\n5 time field \'t\': cannot read "yesterday" as a timestamp'
  run -2 sp-ingest --format raw --time-field t in.log
  assert_output --partial "raw lines have no event time"
  run -0 bash -c "printf 'a,when\n1,24/Nov/2026:10:00:00 +0000\n' | sp-ingest --format csv --time-field when"
  assert_output '{"a":1,"when":"2026-11-24T10:00:00.000Z"}'
}

@test "--multiline-start with csv is a usage error" {
  run -2 sp-ingest --format csv --multiline-start x in.csv
  assert_output --partial "--multiline-start cannot be used with --format csv"
}
