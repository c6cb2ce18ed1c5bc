#!/usr/bin/env bats
# Credentials against real servers (issue 13): every connector that takes a password or a
# token, with the right one (from the URI, a file or the environment) and a wrong one, and the
# TLS options that protect them. Everything the programs write to stderr, and every dead
# letter, is then searched for the test passwords of server_helper.bash: none may appear.

load mqtt_helper

setup() {
  export PATH="$SP_BIN_DIR:$PATH"
  export LC_ALL=C.UTF-8
  unset SP_MQTT_PASSWORD REDISCLI_AUTH PGPASSWORD
  cd "$BATS_TEST_TMPDIR" || fail "no temp dir"
  : > stderr.log
}

teardown() {
  local pid
  for pid in ${BG_PIDS:-}; do kill "$pid" 2>/dev/null || true; done
  stop_postgres
  stop_redis
  stop_mosquitto
  assert_no_secrets stderr.log ./*dl*.ndjson
}

# try STATUS CMD...: runs CMD (stdin from $IN, default /dev/null; stdout to out.ndjson), adds
# its stderr to stderr.log (the command line, which holds passwords, is not logged); its exit
# status must be STATUS. last.err keeps this command's stderr.
try() {
  local want=$1 rc=0
  shift
  "$@" < "${IN:-/dev/null}" > out.ndjson 2> last.err || rc=$?
  cat last.err >> stderr.log
  ((rc == want)) || fail "exit $rc, expected $want: $(cat last.err)"
}

# make_ca DIR NAME: a CA (DIR/NAME-ca.crt) and a server certificate for 127.0.0.1 signed by it
# (DIR/NAME.crt, DIR/NAME.key), made with openssl.
make_ca() {
  local d=$1 n=$2
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/$n-ca.key" -out "$d/$n-ca.crt" -subj "/CN=$n-ca" -days 2 2> /dev/null &&
    openssl req -newkey rsa:2048 -nodes -keyout "$d/$n.key" -out "$d/$n.csr" -subj /CN=127.0.0.1 2> /dev/null &&
    printf 'subjectAltName=IP:127.0.0.1\n' > "$d/$n.ext" &&
    openssl x509 -req -in "$d/$n.csr" -CA "$d/$n-ca.crt" -CAkey "$d/$n-ca.key" -CAcreateserial -out "$d/$n.crt" \
      -days 2 -extfile "$d/$n.ext" 2> /dev/null || fail "openssl could not make the certificates"
}

@test "secrets: postgresql: URI password, PGPASSWORD, a wrong one; sslmode=verify-full with our CA" {
  start_postgres
  unset PGPASSWORD
  local base="postgresql://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
  IN=in.ndjson
  echo '{"id":1}' > in.ndjson
  try 0 sp-sink "$base?table=t1"
  try 1 sp-sink "postgresql://postgres:$WRONG_PASSWORD@127.0.0.1:$PG_PORT/postgres?table=t1" --retries 0
  grep -q 'password authentication failed for user "postgres"' last.err || fail "$(cat last.err)"
  grep -qF 'postgresql://postgres:***@127.0.0.1' last.err || fail "$(cat last.err)"
  # from the environment (libpq's PGPASSWORD): no password on the command line
  try 1 sp-sink "postgresql://postgres@127.0.0.1:$PG_PORT/postgres?table=t1" --retries 0
  try 0 env PGPASSWORD="$PG_PASSWORD" sp-sink "postgresql://postgres@127.0.0.1:$PG_PORT/postgres?table=t1"
  [[ $(PGPASSWORD=$PG_PASSWORD psql_q 'select count(*) from t1') == 2 ]]
  # TLS: libpq's sslmode and sslrootcert pass through the URI
  try 1 sp-sink "$base?table=t1&sslmode=require" --retries 0
  grep -q 'server does not support SSL' last.err || fail "$(cat last.err)"
  make_ca "$PWD" pg
  make_ca "$PWD" other
  cp pg.crt pg.key "$PG_DIR/"
  chmod 600 "$PG_DIR/pg.key"
  [[ $(id -u) == 0 ]] && chown postgres: "$PG_DIR/pg.crt" "$PG_DIR/pg.key"
  pg_stop
  PG_OPTS="-c ssl=on -c ssl_cert_file=$PG_DIR/pg.crt -c ssl_key_file=$PG_DIR/pg.key" pg_start
  try 0 sp-sink "$base?table=t1&sslmode=verify-full&sslrootcert=$PWD/pg-ca.crt"
  try 1 sp-sink "$base?table=t1&sslmode=verify-full&sslrootcert=$PWD/other-ca.crt" --retries 0
  grep -q 'certificate verify failed' last.err || fail "$(cat last.err)"
  [[ $(PGPASSWORD=$PG_PASSWORD psql_q 'select count(*) from t1') == 3 ]]
  assert_no_secrets stderr.log
}

@test "secrets: redis requirepass: URI password or REDISCLI_AUTH, for the sink and the lookups; a wrong one" {
  start_redis --requirepass "$REDIS_PASSWORD"
  local hostport="127.0.0.1:$REDIS_PORT"
  IN=in.ndjson
  echo '{"k":"a","v":1}' > in.ndjson
  try 0 sp-sink "redis://:$REDIS_PASSWORD@$hostport/0?cmd=set&key=r:{k}"
  try 0 env REDISCLI_AUTH="$REDIS_PASSWORD" sp-sink "redis://$hostport/0?cmd=hset&key=user:{k}"
  [[ $(REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -p "$REDIS_PORT" get r:a) == '{"k":"a","v":1}' ]]
  [[ $(REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -p "$REDIS_PORT" hget user:a v) == 1 ]]
  try 1 sp-sink "redis://:$WRONG_PASSWORD@$hostport/0?cmd=set&key=r:{k}" --retries 0
  grep -qF "redis://:***@$hostport" last.err || fail "$(cat last.err)"
  try 1 sp-sink "redis://$hostport/0?cmd=set&key=r:{k}" --retries 0
  grep -q 'NOAUTH' last.err || fail "$(cat last.err)"
  # lookups
  try 0 sp-enrich --lookup "redis://:$REDIS_PASSWORD@$hostport?cmd=hgetall&key=user:{k}" --prefix u_
  [[ $(cat out.ndjson) == '{"k":"a","v":1,"u_k":"a","u_v":"1"}' ]] || fail "$(cat out.ndjson)"
  try 0 env REDISCLI_AUTH="$REDIS_PASSWORD" sp-enrich --lookup "redis://$hostport?cmd=hgetall&key=user:{k}" --prefix u_
  [[ $(cat out.ndjson) == '{"k":"a","v":1,"u_k":"a","u_v":"1"}' ]] || fail "$(cat out.ndjson)"
  try 1 sp-enrich --lookup "redis://:$WRONG_PASSWORD@$hostport?cmd=hgetall&key=user:{k}" --dead-letter dl.ndjson
  assert_no_secrets stderr.log dl.ndjson
}

@test "secrets: mosquitto with a password file: --password-file, SP_MQTT_PASSWORD, the URI; a wrong one" {
  mosquitto_passwd -c -b passwd etl "$MQTT_PASSWORD" || fail "mosquitto_passwd failed"
  start_mosquitto "allow_anonymous false" "password_file $PWD/passwd"
  printf '%s\n' "$MQTT_PASSWORD" > pw
  printf '%s\n' "$WRONG_PASSWORD" > badpw
  chmod 600 pw badpw
  sp-ingest "$MQTT_URL/auth?qos=1" --user etl --password-file pw --count 3 > sub.ndjson 2> sub.err &
  local pid=$!
  BG_PIDS+=" $pid"
  wait_subscribed sub.err
  IN=in.ndjson
  echo '{"n":1}' > in.ndjson
  try 0 sp-sink "$MQTT_URL/auth?qos=1" --user etl --password-file pw
  echo '{"n":2}' > in.ndjson
  try 0 env SP_MQTT_PASSWORD="$MQTT_PASSWORD" sp-sink "$MQTT_URL/auth?qos=1" --user etl
  echo '{"n":3}' > in.ndjson
  try 0 sp-sink "mqtt://etl:$MQTT_PASSWORD@127.0.0.1:$MQTT_PORT/auth?qos=1"
  wait_exit "$pid" 10
  cat sub.err >> stderr.log
  [[ $(cat sub.ndjson) == $'{"n":1}\n{"n":2}\n{"n":3}' ]] || fail "$(cat sub.ndjson)"
  try 1 sp-sink "$MQTT_URL/auth" --user etl --password-file badpw
  grep -q 'the broker refused' last.err || fail "$(cat last.err)"
  try 1 sp-ingest "mqtt://etl:$WRONG_PASSWORD@127.0.0.1:$MQTT_PORT/auth" --connect-timeout 2s
  grep -qF 'mqtt://etl:***@' last.err || fail "$(cat last.err)"
  assert_no_secrets stderr.log
}

# receiver [ENV=VALUE...]: tests/integration/http_receiver.py in the background; sets RECV_URL.
receiver() {
  mkdir -p recv
  env "$@" python3 "$BATS_TEST_DIRNAME/http_receiver.py" recv &
  BG_PIDS+=" $!"
  wait_for 10 test -s recv/port || fail "the HTTP receiver did not start"
  RECV_PORT=$(cat recv/port)
}

@test "secrets: http: bearer token from --header @FILE, basic authentication; a 401 that repeats them is redacted" {
  receiver RECEIVER_AUTH="Bearer $HTTP_TOKEN"
  local url="http://127.0.0.1:$RECV_PORT/ingest"
  printf 'Authorization: Bearer %s\n' "$HTTP_TOKEN" > token.hdr
  printf 'Authorization: Bearer %s\n' "$WRONG_PASSWORD" > wrong.hdr
  chmod 600 token.hdr wrong.hdr
  IN=in.ndjson
  printf '{"n":1}\n{"n":2}\n' > in.ndjson
  try 0 sp-sink "$url" --header @token.hdr
  [[ $(jq -s 'map(select(.status == 200)) | length' recv/requests.ndjson) == 1 ]]
  # the receiver answers 401 and repeats the header it got: dead-lettered, without it
  try 0 sp-sink "$url" --header @wrong.hdr --dead-letter dl-bearer.ndjson
  [[ $(jq -r .error dl-bearer.ndjson | head -1) == *'401'*'Bearer ***'* ]] || fail "$(cat dl-bearer.ndjson)"
  [[ $(wc -l < dl-bearer.ndjson) == 2 ]]
  kill ${BG_PIDS##* }
  rm -rf recv
  receiver RECEIVER_AUTH="Basic $(printf 'etl:%s' "$HTTP_PASSWORD" | base64)"
  url="127.0.0.1:$RECV_PORT/ingest"
  try 0 sp-sink "http://etl:$HTTP_PASSWORD@$url"
  try 0 sp-sink "http://etl:$WRONG_PASSWORD@$url" --dead-letter dl-basic.ndjson
  [[ $(jq -r .error dl-basic.ndjson | head -1) == *'Basic ***'* ]] || fail "$(cat dl-basic.ndjson)"
  # a poll with basic authentication
  try 0 sp-ingest "http://etl:$HTTP_PASSWORD@127.0.0.1:$RECV_PORT/items" --add-meta
  [[ $(jq -c '[.polled, ._src.url]' out.ndjson) == "[true,\"http://***@127.0.0.1:$RECV_PORT/items\"]" ]] || fail "$(cat out.ndjson)"
  try 1 sp-ingest "http://etl:$WRONG_PASSWORD@127.0.0.1:$RECV_PORT/items"
  grep -q 'HTTP 401' last.err || fail "$(cat last.err)"
  assert_no_secrets stderr.log dl-bearer.ndjson dl-basic.ndjson
}

@test "secrets: https with --cafile for sp-sink and sp-ingest; a server our CA did not sign is refused" {
  make_ca "$PWD" web
  make_ca "$PWD" other
  receiver RECEIVER_CERT="$PWD/web.crt" RECEIVER_KEY="$PWD/web.key" RECEIVER_AUTH="Bearer $HTTP_TOKEN"
  local url="https://127.0.0.1:$RECV_PORT"
  printf 'Authorization: Bearer %s\n' "$HTTP_TOKEN" > token.hdr
  IN=in.ndjson
  echo '{"tls":true}' > in.ndjson
  try 0 sp-sink "$url/ingest" --cafile web-ca.crt --header @token.hdr
  [[ $(jq -r 'select(.status == 200) | .body' recv/requests.ndjson) == '{"tls":true}' ]]
  try 1 sp-sink "$url/ingest" --cafile other-ca.crt --header @token.hdr --retries 0
  grep -Eqi 'certificate|SSL' last.err || fail "$(cat last.err)"
  try 1 sp-sink "$url/ingest" --header @token.hdr --retries 0
  try 0 sp-ingest "$url/items" --cafile web-ca.crt --header @token.hdr
  [[ $(cat out.ndjson) == '{"polled":true}' ]] || fail "$(cat out.ndjson)"
  try 1 sp-ingest "$url/items" --cafile other-ca.crt --header @token.hdr
  grep -q 'no response' last.err || fail "$(cat last.err)"
  assert_no_secrets stderr.log
}

@test "secrets: http-listen with --auth-token-file: a wrong token is 401, the token is never printed" {
  printf '%s\n' "$HTTP_TOKEN" > token
  chmod 600 token
  sp-ingest http-listen://:0/ingest --auth-token-file token > in.out 2> listen.err &
  local pid=$!
  BG_PIDS+=" $pid"
  wait_for 10 grep -q listening listen.err || fail "sp-ingest did not listen: $(cat listen.err)"
  local url
  url=$(grep -o 'http://[^ ]*' listen.err)
  run -0 curl -s -w ' %{http_code}' -H "Authorization: Bearer $WRONG_PASSWORD" -d '{"n":1}' "$url"
  assert_output $'{"error":"missing or wrong bearer token"}\n 401'
  run -0 curl -s -w ' %{http_code}' -H "Authorization: Bearer $HTTP_TOKEN" -d '{"n":2}' "$url"
  assert_output $'{"accepted":1}\n 200'
  kill -TERM $pid
  wait $pid
  cat listen.err >> stderr.log
  [[ $(cat in.out) == '{"n":2}' ]]
  assert_no_secrets stderr.log
}
