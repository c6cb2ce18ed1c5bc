#!/usr/bin/env bats
# sp-agg: windows, groups, aggregates, watermarks, late data, idle timeout, state, SQL.

load test_helper

# A few hand-made events around minute boundaries.
small() {
  cat > small.ndjson <<'EOF'
{"ts":"2026-11-24T00:00:01Z","service":"api","status":200,"latency_ms":10}
{"ts":"2026-11-24T00:00:30Z","service":"api","status":500,"latency_ms":30}
{"ts":"2026-11-24T00:00:59.999Z","service":"web","status":200,"latency_ms":5}
{"ts":"2026-11-24T00:01:00Z","service":"api","status":200,"latency_ms":20}
{"ts":"2026-11-24T00:00:40Z","service":"api","status":200,"latency_ms":40}
{"ts":"2026-11-24T00:02:10Z","service":"api","status":200,"latency_ms":50}
EOF
}

@test "tumbling windows: one record per window and group, in order, with stable names" {
  small
  run -0 sp-agg --window tumbling:1m --time ts --max-delay 30s --group-by service,status \
    --agg 'count, avg(latency_ms), max(latency_ms) as worst' small.ndjson
  assert_line --index 0 '{"window_start":"2026-11-24T00:00:00.000Z","window_end":"2026-11-24T00:01:00.000Z","service":"api","status":200,"count":2,"avg_latency_ms":25,"worst":40}'
  assert_line --index 1 '{"window_start":"2026-11-24T00:00:00.000Z","window_end":"2026-11-24T00:01:00.000Z","service":"api","status":500,"count":1,"avg_latency_ms":30,"worst":30}'
  assert_line --index 2 '{"window_start":"2026-11-24T00:00:00.000Z","window_end":"2026-11-24T00:01:00.000Z","service":"web","status":200,"count":1,"avg_latency_ms":5,"worst":5}'
  assert_line --index 3 '{"window_start":"2026-11-24T00:01:00.000Z","window_end":"2026-11-24T00:02:00.000Z","service":"api","status":200,"count":1,"avg_latency_ms":20,"worst":20}'
  assert_line --index 4 '{"window_start":"2026-11-24T00:02:00.000Z","window_end":"2026-11-24T00:03:00.000Z","service":"api","status":200,"count":1,"avg_latency_ms":50,"worst":50}'
  [[ ${#lines[@]} -eq 5 ]]
}

@test "a record behind the watermark is late: counted, written to --late, not silently lost" {
  small
  run -0 --separate-stderr sp-agg -W tumbling:1m -t ts -a count --late late.ndjson --stats small.ndjson
  # Without delay, the 00:00:40 record arrives after the first window closed at 00:01:00.
  assert_line --index 0 --partial '"window_end":"2026-11-24T00:01:00.000Z","count":3}'
  run -0 cat late.ndjson
  assert_output --partial '"ts":"2026-11-24T00:00:40Z"'
  [[ $(wc -l < late.ndjson) -eq 1 ]]
  sp-agg -W tumbling:1m -t ts --stats small.ndjson 2> err > /dev/null
  grep -q '"late":1' err
  grep -q 'dropped (keep them with --late FILE)' err
}

@test "--allowed-lateness re-emits an updated, complete result" {
  small
  run -0 sp-agg -W tumbling:1m -t ts -a count --allowed-lateness 1m small.ndjson
  assert_line --index 0 --partial '"window_end":"2026-11-24T00:01:00.000Z","count":3}'
  assert_line --index 1 --partial '"window_end":"2026-11-24T00:01:00.000Z","count":4}'
}

@test "hopping windows: a record counts in every window that holds it" {
  small
  run -0 sp-agg -W hopping:2m/1m -t ts --max-delay 1m -a count small.ndjson
  assert_output - <<'EOF'
{"window_start":"2026-11-23T23:59:00.000Z","window_end":"2026-11-24T00:01:00.000Z","count":4}
{"window_start":"2026-11-24T00:00:00.000Z","window_end":"2026-11-24T00:02:00.000Z","count":5}
{"window_start":"2026-11-24T00:01:00.000Z","window_end":"2026-11-24T00:03:00.000Z","count":2}
{"window_start":"2026-11-24T00:02:00.000Z","window_end":"2026-11-24T00:04:00.000Z","count":1}
EOF
}

@test "session windows per group, merged when a record bridges two sessions" {
  cat > s.ndjson <<'EOF'
{"ts":1000,"u":"a","p":"/1"}
{"ts":1010,"u":"a","p":"/2"}
{"ts":1100,"u":"a","p":"/3"}
{"ts":1005,"u":"b","p":"/x"}
EOF
  run -0 sp-agg -W session:30s -t ts --max-delay 2m -g u -a 'count, first(p), last(p)' s.ndjson
  # Written in the order of their ends.
  assert_line --index 0 '{"window_start":"1970-01-01T00:16:45.000Z","window_end":"1970-01-01T00:17:15.000Z","u":"b","count":1,"first_p":"/x","last_p":"/x"}'
  assert_line --index 1 '{"window_start":"1970-01-01T00:16:40.000Z","window_end":"1970-01-01T00:17:20.000Z","u":"a","count":2,"first_p":"/1","last_p":"/2"}'
  assert_line --index 2 --partial '"u":"a","count":1,'
  printf '%s\n' '{"ts":1000,"u":"a"}' '{"ts":1060,"u":"a"}' '{"ts":1030,"u":"a"}' > m.ndjson
  run -0 sp-agg -W session:31s -t ts --max-delay 5m -g u -a count m.ndjson
  assert_output '{"window_start":"1970-01-01T00:16:40.000Z","window_end":"1970-01-01T00:18:11.000Z","u":"a","count":3}'
}

@test "global window: totals per group at the end, and --every N running totals" {
  small
  run -0 sp-agg -g service -a 'count, sum(latency_ms)' small.ndjson
  assert_line --index 0 --partial '"service":"api","count":5,"sum_latency_ms":150'
  assert_line --index 1 --partial '"service":"web","count":1,"sum_latency_ms":5'
  run -0 sp-agg -g service -a count --every 3 small.ndjson
  [[ ${#lines[@]} -eq 6 ]]
  assert_line --index 0 --partial '"service":"api","count":2}'
}

@test "epoch seconds and milliseconds are both times" {
  printf '%s\n' '{"t":1764000000}' '{"t":1764000000500}' '{"t":1764000061}' > e.ndjson
  run -0 sp-agg -W tumbling:1m -t t -a count e.ndjson
  assert_line --index 0 '{"window_start":"2025-11-24T16:00:00.000Z","window_end":"2025-11-24T16:01:00.000Z","count":2}'
}

@test "malformed lines and bad times go to the dead-letter file with a reason" {
  small
  printf '%s\n' '{"ts":"yesterday","service":"api"}' '{"service":"api"}' '{"ts":' >> small.ndjson
  run -3 sp-agg -W tumbling:1m -t ts --strict --dead-letter dl.ndjson -q small.ndjson
  run -0 cat dl.ndjson
  assert_line --index 0 --partial "time field 'ts' is not a time"
  assert_line --index 1 --partial "time field 'ts' is missing"
  assert_line --index 2 --partial "not JSON"
  # Lines that are no object are not counted as records with null fields.
  printf '%s\n' '[1,2]' 'not json' 'true' '{"service":"a"}' > o.ndjson
  run -0 --separate-stderr sp-agg -g service -a count --dead-letter dl2.ndjson o.ndjson
  assert_output --partial '"service":"a","count":1}'
  [[ ${#lines[@]} -eq 1 ]]
  run -0 cut -d, -f4 dl2.ndjson
  assert_output $'"error":"not a JSON object"\n"error":"not JSON"\n"error":"not a JSON object"'
}

@test "--where before and --having after aggregation; having names output columns" {
  small
  run -0 sp-agg -t ts -g service -w 'status = 200' -a 'count as n, sum(latency_ms) / count(*) as mean' --having 'n > 1' small.ndjson
  assert_output '{"window_start":"2026-11-24T00:00:01.000Z","window_end":"2026-11-24T00:02:10.000Z","service":"api","n":4,"mean":30}'
  run -0 sp-agg -g service -a count --having 'service = "web"' small.ndjson
  assert_output --partial '"service":"web"'
  [[ ${#lines[@]} -eq 1 ]]
}

@test "every aggregate on generated events" {
  events ev.ndjson 2000
  run -0 sp-agg -g service -a 'count, count(tags), sum(bytes), avg(latency_ms), min(latency_ms), max(ts), stddev(latency_ms), variance(latency_ms), first(path), last(path), distinct_count(user_id), approx_distinct(user_id), p50(latency_ms), p90(latency_ms), p95(latency_ms), p99(latency_ms), pct(latency_ms, 0.999), top_k(method, 2), histogram(status, 100), histogram(latency_ms, "10,100"), rate(), rate(bytes)' ev.ndjson
  assert_line --partial '"service":"web"'
  assert_output --partial '"p99.9_latency_ms":'
  assert_output --partial '"top_k_method":[{"value":"GET","count":'
  assert_output --partial '"histogram_status":[{"lo":200,"hi":300,"count":'
  # exact and approximate distinct counts agree exactly below 256 values
  python3 - "$output" <<'EOF'
import json, sys
for line in sys.argv[1].splitlines():
    r = json.loads(line)
    if r["distinct_count_user_id"] <= 256:
        assert r["distinct_count_user_id"] == r["approx_distinct_user_id"], r
    assert r["p50_latency_ms"] <= r["p90_latency_ms"] <= r["p99_latency_ms"]
EOF
}

@test "usage errors exit 2 and point at the problem" {
  run -2 sp-agg -W tumbling:1m -a count
  assert_output --partial "windows need a time"
  run -2 sp-agg -W tumbling:soon -t ts
  assert_output --partial "--window"
  run -2 sp-agg -g service -a 'count, latency_ms'
  assert_output --partial "'latency_ms' is neither grouped"
  run -2 sp-agg -a 'pct(latency_ms, x)'
  assert_output --partial "must be a constant number"
  run -2 sp-agg -a 'median(x)'
  assert_output --partial "median"
}

@test "--idle-timeout closes windows on a quiet stream before the input ends" {
  printf '%s\n' '{"ts":"2026-11-24T00:00:00.500Z"}' > a.ndjson
  # The window [0s, 1s) may close once 0.5s of event time has passed: about 0.5s after the
  # idle timeout starts counting. The output must come while the input is still open.
  run -0 bash -c '{ cat a.ndjson; sleep 4; } | sp-agg -W tumbling:1s -t ts --idle-timeout 300ms -a count | { read -t 3 line && echo "got $line"; }'
  assert_output --partial 'got {"window_start":"2026-11-24T00:00:00.000Z"'
  # Without it, nothing comes out before the end of the input.
  run bash -c '{ cat a.ndjson; sleep 3; } | sp-agg -W tumbling:1s -t ts -a count | { read -t 1.5 line && echo "got $line"; }'
  refute_output --partial 'got'
}

@test "--processing-time closes windows by the wall clock" {
  run -0 bash -c '{ echo "{\"a\":1}"; sleep 3; } | sp-agg -W tumbling:1s --processing-time -a count | { read -t 2.5 line && echo "got $line"; }'
  assert_output --partial '"count":1}'
}

@test "--max-groups emits the least recently updated group early, with a warning" {
  events ev.ndjson 300
  run -0 --separate-stderr sp-agg -g user_id -a count --max-groups 10 --stats ev.ndjson
  [[ $stderr == *"--max-groups"* ]]
  total=$(echo "$output" | python3 -c 'import sys, json; print(sum(json.loads(l)["count"] for l in sys.stdin))')
  [[ $total -eq 300 ]]
  [[ $stderr == *'"open_groups_peak":10'* ]]
}

# stop_and_restore ARGS...: runs sp-agg on the first half of ev.ndjson, stops it with SIGTERM,
# restarts it with --state on the second half, and checks the output equals one whole run.
stop_and_restore() {
  rm -f st.bin
  sp-agg "$@" ev.ndjson > whole.ndjson 2> /dev/null
  { cat a.ndjson; sleep 5; } | sp-agg "$@" --state st.bin > part1.ndjson 2> /dev/null &
  local pid=$!
  sleep 1.5
  kill -TERM "$pid"
  wait "$pid"
  assert_file_exists st.bin
  sp-agg "$@" --state st.bin b.ndjson > part2.ndjson 2> /dev/null
  assert_file_not_exists st.bin
  cat part1.ndjson part2.ndjson > joined.ndjson
  run -0 diff whole.ndjson joined.ndjson
  [[ -s part2.ndjson ]]
}

@test "--state: a run stopped by SIGTERM and restarted gives the same results as one run" {
  events ev.ndjson 3000
  head -n 1500 ev.ndjson > a.ndjson
  tail -n +1501 ev.ndjson > b.ndjson
  local aggs='count, avg(latency_ms), p99(latency_ms), approx_distinct(user_id), top_k(method, 2), first(path), stddev(latency_ms), histogram(latency_ms, 50)'
  stop_and_restore -W tumbling:2s -t ts --max-delay 1s -g service -a "$aggs"
  [[ -s part1.ndjson ]]
  stop_and_restore -W hopping:4s/2s -t ts --max-delay 1s --allowed-lateness 500ms -g service -a "$aggs"
  stop_and_restore -W session:1s -t ts --max-delay 1s --allowed-lateness 500ms -g user_id -a 'count, first(path), last(path), p50(latency_ms)'
  stop_and_restore -t ts -g country -a "$aggs"
  args=(-W tumbling:2s -t ts -g service -a count)
  # A state saved by another query is refused.
  { cat a.ndjson; sleep 5; } | sp-agg "${args[@]}" --state st2.bin > /dev/null &
  pid=$!
  sleep 1.5
  kill -TERM "$pid"
  wait "$pid"
  run -2 sp-agg -W tumbling:5s -t ts --state st2.bin b.ndjson
  assert_output --partial "another query"
}

@test "--sql: GROUP BY with TUMBLE, aliases in HAVING, same results as the options" {
  events ev.ndjson 2000
  run -0 sp-agg --sql "SELECT service, status, count(*) AS n, avg(latency_ms) AS avg_ms, p99(latency_ms) FROM stdin WHERE status >= 200 GROUP BY service, status, TUMBLE(ts, INTERVAL '1' MINUTE) HAVING n > 10" ev.ndjson
  sql_out=$output
  run -0 sp-agg -W tumbling:1m -t ts -w 'status >= 200' -g service,status -a 'count(*) as n, avg(latency_ms) as avg_ms, p99(latency_ms)' --having 'n > 10' ev.ndjson
  [[ "$sql_out" == "$output" ]]
  assert_line --index 0 --partial '"service":'
  assert_output --partial '"p99_latency_ms":'
}

@test "--sql: HOP and SESSION windows; select order decides the columns" {
  events ev.ndjson 500
  run -0 sp-agg --sql "select count(*) as n, service from stdin group by service, hop(ts, interval '10' second, interval '30' seconds)" ev.ndjson
  assert_line --index 0 --regexp '^\{"window_start":"[^"]+","window_end":"[^"]+","n":[0-9]+,"service":"[a-z]+"\}$'
  run -0 sp-agg --sql "SELECT user_id, count(*) AS hits FROM stdin GROUP BY user_id, SESSION(ts, INTERVAL '2' SECOND)" ev.ndjson
  assert_line --index 0 --partial '"user_id":"u'
  run -0 sp-agg --sql "SELECT service, COUNT(DISTINCT user_id) AS users FROM stdin GROUP BY service" ev.ndjson
  # Without --time, a global window's bounds are arrival times: compare the rest.
  strip() { sed -E 's/"window_(start|end)":"[^"]*",//g'; }
  [[ "$(strip <<< "$output")" == "$(sp-agg -g service -a 'distinct_count(user_id) as users' ev.ndjson | strip)" ]]
}

@test "--sql without GROUP BY streams like sp-filter" {
  events ev.ndjson 200
  run -0 sp-agg --sql "SELECT ts, status FROM stdin WHERE status >= 500 LIMIT 2" ev.ndjson
  [[ ${#lines[@]} -eq 2 ]]
  assert_line --index 0 --regexp '^\{"ts":"[^"]+","status":5[0-9][0-9]\}$'
  run -0 sp-agg --sql "SELECT * FROM stdin WHERE status = 404" ev.ndjson
  [[ "$output" == "$(sp-filter 'status = 404' ev.ndjson)" ]]
}

# The caret line of a usage error stands under the first occurrence of $1 in the line above it.
caret_under() {
  local src caret prefix
  caret=$(grep -m1 -E '^ +\^$' <<< "$output")
  src=$(grep -B1 -m1 -E '^ +\^$' <<< "$output" | head -1)
  prefix=${src%%"$1"*}
  assert_equal "${#caret}" "$((${#prefix} + 1))"
}

@test "--sql: errors exit 2 with a caret at the column" {
  run -2 sp-agg --sql "SELECT service, count(*) FROM stdin GROUP BY service, TUMBLE(ts, INTERVAL '1' FORTNIGHT)"
  assert_output --partial "expected a unit"
  assert_line --regexp '^ +\^$'
  run -2 sp-agg --sql "SELECT service, count(*) FROM stdin WHERE status >= GROUP BY service"
  assert_output --partial "--sql:"
  assert_line --regexp '^ +\^$'
  run -2 sp-agg --sql "SELECT service, latency_ms, count(*) FROM stdin GROUP BY service"
  assert_output --partial "'latency_ms' is neither grouped"
  caret_under latency_ms
  # Found by fuzzing (tests/fuzz/regressions/sql/ungrouped-field-caret): the column counted in
  # the whole list but was applied to the item, so the caret could land past the query's end.
  run -2 sp-agg --sql "select count(*) as n, service from stdin"
  caret_under service
  run -2 sp-agg --group-by status --agg 'count(*), latency_ms'
  caret_under latency_ms
  # Found by fuzzing (tests/fuzz/regressions/sql/aggregate-without-arguments): an aggregate
  # given no argument read past the end of the program's texts for its message.
  run -2 sp-agg --sql "SELECT service, sum() AS s FROM stdin GROUP BY service"
  assert_output --partial "sum() takes 1 argument"
  caret_under "sum()"
  run -2 sp-agg --agg 'count(*), p99(latency_ms, 3)'
  assert_output --partial "p99() takes 1 argument"
  caret_under "p99("
  run -2 sp-agg --sql "FROM stdin SELECT x"
  assert_output --partial "starts with SELECT"
  run -2 sp-agg --sql "SELECT count(*) FROM stdin" --window tumbling:1m
  assert_output --partial "exclude each other"
}

@test "shortcut flags add aggregates; --as renames output columns" {
  small
  run -0 sp-agg -W tumbling:1m -t ts --max-delay 1m -g status --count --p99 latency_ms --max latency_ms --as p99_latency_ms=p99 small.ndjson
  assert_line --index 0 '{"window_start":"2026-11-24T00:00:00.000Z","window_end":"2026-11-24T00:01:00.000Z","status":200,"count":3,"max_latency_ms":40,"p99":40}'
  run -2 sp-agg --count --as nothing=x small.ndjson
  assert_output --partial "no output column is named 'nothing'"
}

@test "--checkpoint-interval saves the state while the input stays open" {
  events ev.ndjson 500
  { cat ev.ndjson; sleep 3; } | sp-agg -W tumbling:1m -t ts -g service -a count --state st.bin --checkpoint-interval 300ms > out.ndjson &
  pid=$!
  sleep 1.5
  assert_file_exists st.bin
  kill -TERM "$pid"
  wait "$pid"
  run -2 sp-agg --checkpoint-interval 1s
  assert_output --partial "needs --state"
}
