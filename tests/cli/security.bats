#!/usr/bin/env bats
# Security without servers (issue 13): files that may hold records, positions or what was
# learned are private (0600, whatever the umask); passwords and tokens never reach stderr or a
# dead letter, whatever the mistake; credentials can come from files and the environment.
# tests/integration/secrets.bats does the same against real servers.

load test_helper

PW='Sec-Pw-7xq'

teardown() {
  [[ -n ${PID:-} ]] && kill "$PID" 2>/dev/null || true
  [[ -n ${SERVER_PID:-} ]] && kill "$SERVER_PID" 2>/dev/null || true
  return 0
}

mode() { stat -c %a "$1"; }

@test "security: checkpoints, dead letters, sp-agg state and late records, models and the ack socket are 0600" {
  umask 000
  events events.ndjson 300
  "$GEN_EVENTS" --lines 50 --bad-rate 0.5 --seed 3 > mixed.ndjson
  run -0 sp-ingest events.ndjson --checkpoint app.ckpt
  [[ $(mode app.ckpt) == 600 && $(mode app.ckpt.lock) == 600 ]] || fail "checkpoint $(mode app.ckpt), lock $(mode app.ckpt.lock)"
  run -0 sp-validate mixed.ndjson --dead-letter bad.ndjson
  [[ -s bad.ndjson && $(mode bad.ndjson) == 600 ]] || fail "dead letters: $(mode bad.ndjson)"
  # late records: an event an hour before the watermark
  { head -100 events.ndjson; echo '{"ts":"2026-11-23T23:00:00Z","service":"late"}'; } > late-in.ndjson
  run -0 sp-agg -W tumbling:1m -t ts -g service -a count --late late.ndjson late-in.ndjson
  [[ -s late.ndjson && $(mode late.ndjson) == 600 ]] || fail "late: $(mode late.ndjson)"
  # the state of open windows, saved on SIGTERM
  mkfifo feed
  sp-agg -W tumbling:1h -t ts -g service -a count --state agg.state < feed > /dev/null 2> err.txt &
  PID=$!
  exec 5> feed
  head -10 events.ndjson >&5
  sleep 0.3
  kill -TERM $PID
  wait $PID
  exec 5>&-
  [[ -s agg.state && $(mode agg.state) == 600 ]] || fail "state: $(mode agg.state 2>&1) $(cat err.txt)"
  PID=
  run -0 sp-learn --target status --positive '>=500' --features service --model m.json events.ndjson
  [[ $(mode m.json) == 600 ]] || fail "model: $(mode m.json)"
  sp-ingest events.ndjson --follow --checkpoint ack.ckpt --ack ack.sock > /dev/null 2> err.txt &
  PID=$!
  local i
  for ((i = 0; i < 100; i++)); do [[ -S ack.sock ]] && break; sleep 0.05; done
  [[ -S ack.sock && $(mode ack.sock) == 600 ]] || fail "ack socket: $(mode ack.sock 2>&1) $(cat err.txt)"
}

@test "security: no password in messages, whatever the mistake (typos, unreachable servers, usage errors)" {
  echo '{"k":"a"}' > one.ndjson
  local cmds=(
    "sp-ingest htps://u:$PW@host/x"
    "sp-ingest http://u:$PW@127.0.0.1:1/x"
    "sp-ingest mqtt://u:$PW@127.0.0.1:1/t --connect-timeout 1s"
    "sp-ingest kafka://u:$PW@127.0.0.1:1/t --connect-timeout 1s"
    "sp-ingest kafka://127.0.0.1:1/t -X sasl.password=$PW -X no.such.property=1"
    "sp-sink postgresql://u:$PW@127.0.0.1:1/db?table=t --retries 0"
    "sp-sink postgresql://u@127.0.0.1:1/db?table=t&password=$PW --retries 0"
    "sp-sink postgresql://u:$PW@127.0.0.1:1/db?table=t&colour=red"
    "sp-sink redis://:$PW@127.0.0.1:1/0?cmd=set&key=k --retries 0"
    "sp-sink redis://:$PW@127.0.0.1:1/x?cmd=set&key=k"
    "sp-sink http://u:$PW@127.0.0.1:1/x --retries 0"
    "sp-sink https://127.0.0.1:1/x?access_token=$PW --retries 0"
    "sp-sink mqtt://u:$PW@127.0.0.1:1/t --connect-timeout 1s"
    "sp-sink kafka://u:$PW@127.0.0.1:1/t"
    "sp-sink ftp://u:$PW@h/x"
    "sp-sink --header $PW http://127.0.0.1:1/x"
    "sp-enrich --lookup redis://:$PW@127.0.0.1:1?cmd=get&key={k} --on k"
    "sp-enrich --lookup redis://:$PW@127.0.0.1:1?cmd=get&key={k}&colour=red --on k"
    "sp-validate --no-such-flag postgresql://u:$PW@h/db"
  )
  local c
  for c in "${cmds[@]}"; do
    # shellcheck disable=SC2086
    run --separate-stderr timeout 20 $c < one.ndjson
    ((status == 1 || status == 2)) || fail "$c: exit $status: $stderr"
    [[ -n $stderr ]] || fail "$c: no message"
    [[ $stderr != *"$PW"* && $output != *"$PW"* ]] || fail "$c: the password was shown: $stderr"
  done
  # they still say where
  run -1 --separate-stderr sp-sink "postgresql://etl:$PW@127.0.0.1:1/db?table=t" --retries 0 < one.ndjson
  [[ $stderr == *"postgresql://etl:***@127.0.0.1:1/db?table=t: cannot connect"* ]] || fail "$stderr"
  run -2 --separate-stderr sp-ingest "kafka://etl:$PW@127.0.0.1:1/t"
  [[ $stderr == *"kafka://127.0.0.1:1: a kafka:// URI takes no user or password"* ]] || fail "$stderr"
  run -1 --separate-stderr env AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY="$PW" \
    sp-sink 's3://bucket/p?endpoint=http://127.0.0.1:1' --retries 0 < one.ndjson
  [[ $stderr == *"s3://bucket/p?endpoint=http://127.0.0.1:1"* && $stderr != *"$PW"* ]] || fail "$stderr"
}

@test "security: an http:// poll with user:password@ authenticates; records and messages show ***" {
  python3 "$SP_SOURCE_DIR/tests/ingest/http_fixture.py" port requests.log &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do [[ -s port ]] && break; sleep 0.05; done
  run -0 --separate-stderr sp-ingest "http://u:$PW@127.0.0.1:$(cat port)/array" --add-meta
  [[ $output != *"$PW"* && $stderr != *"$PW"* ]] || fail "$output $stderr"
  [[ $(jq -r ._src.url <<< "${lines[0]}") == "http://***@127.0.0.1:$(cat port)/array" ]] || fail "${lines[0]}"
  run -1 --separate-stderr sp-ingest "http://u:$PW@127.0.0.1:$(cat port)/fail"
  [[ $stderr == *"http://***@127.0.0.1:$(cat port)/fail: HTTP 500"* ]] || fail "$stderr"
}

@test "security: --header @FILE sends headers from a file; a bad one is not repeated" {
  python3 "$SP_SOURCE_DIR/tests/ingest/http_fixture.py" port requests.log &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do [[ -s port ]] && break; sleep 0.05; done
  printf 'X-Token: %s\r\n\nAccept: application/json\n' "$PW" > headers.txt
  chmod 600 headers.txt
  run -0 sp-ingest "http://127.0.0.1:$(cat port)/cursor" --jsonpath items --next-field cursor --header @headers.txt
  assert_line --index 2 "{\"n\":3,\"token\":\"$PW\"}"
  printf '%s\n' "$PW" > bad.txt
  run -2 sp-ingest "http://127.0.0.1:$(cat port)/cursor" --header @bad.txt
  assert_output --partial "--header @bad.txt: line 1: expected 'Name: value'"
  refute_output --partial "$PW"
  run -2 sp-ingest "http://127.0.0.1:$(cat port)/cursor" --header @missing.txt
  assert_output --partial "--header @missing.txt: cannot read the file"
}
