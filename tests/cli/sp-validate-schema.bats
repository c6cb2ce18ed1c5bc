#!/usr/bin/env bats
# sp-validate --schema: JSON Schema validation, normalization, dead letters with reasons.

load test_helper

schema() { echo "$SP_SHARED_DIR/bench/events.schema.json"; }

@test "corrupted events: exactly the good ones pass, every bad one is dead-lettered with a reason" {
  "$GEN_EVENTS" --lines 20000 --bad-rate 0.05 --seed 5 --stats > mixed.ndjson 2> kinds.tsv
  local good
  good=$(awk -F'\t' '$1 == "good" { print $2 }' kinds.tsv)
  run -0 --separate-stderr sp-validate --schema "$(schema)" --dead-letter dl.ndjson --stats mixed.ndjson -o good.ndjson
  [[ $(wc -l < good.ndjson) == "$good" ]]
  local stats
  stats=$(tail -n 1 <<<"$stderr")
  [[ $(jq '.records_in == .records_out + .rejected' <<<"$stats") == true ]]
  [[ $(jq '.rejected' <<<"$stats") == $(wc -l < dl.ndjson) ]]
  # Every bad kind but "empty" is a rejected record (empty lines are skipped and counted).
  local bad
  bad=$(awk -F'\t' '$1 != "good" && $1 != "empty" && $1 != "" { s += $2 } END { print s }' kinds.tsv)
  [[ $(wc -l < dl.ndjson) == "$bad" ]]
  # Each entry names a reason; schema failures list their errors.
  [[ $(jq -r 'select(.error == "" or .error == null)' dl.ndjson | wc -l) == 0 ]]
  run -0 jq -r 'select(.errors) | .errors[0] | [.instance_path, .keyword] | @tsv' dl.ndjson
  assert_line $'/status\ttype'
  assert_line $'/method\tenum'
  assert_line $'\trequired'
  # Good lines are byte-identical to the input's good lines.
  awk 'NR == FNR { bad[$1] = 1; next } !(FNR in bad) && $0 != ""' <(jq .line dl.ndjson) mixed.ndjson | cmp - good.ndjson
}

@test "error entries carry instance path, schema path, keyword and message" {
  printf '%s\n' '{"a":"500","b":[1,"x"]}' > in.ndjson
  printf '%s' '{"type":"object","properties":{"a":{"type":"integer"},"b":{"items":{"type":"integer"}}}}' > s.json
  run -0 --separate-stderr sp-validate --schema s.json --dead-letter dl.ndjson in.ndjson
  run -0 jq -c '.errors' dl.ndjson
  assert_output '[{"instance_path":"/a","schema_path":"/properties/a/type","keyword":"type","message":"expected integer, got string \"500\""},{"instance_path":"/b/1","schema_path":"/properties/b/items/type","keyword":"type","message":"expected integer, got string \"x\""}]'
  run -0 jq -r '.error' dl.ndjson
  assert_output '/a: expected integer, got string "500" (and 1 more)'
  run -0 sp-validate --schema s.json --max-errors 1 --dead-letter dl1.ndjson in.ndjson
  [[ $(jq '.errors | length' dl1.ndjson) == 1 ]]
}

@test "messages on stderr name the line and the problem" {
  printf '%s\n' '{"status":"500"}' > in.ndjson
  printf '%s' '{"properties":{"status":{"type":"integer"}}}' > s.json
  run -0 sp-validate --schema s.json in.ndjson
  assert_line 'sp-validate: in.ndjson: line 1: /status: expected integer, got string "500"'
}

@test "an invalid schema is a usage error naming the file and the place" {
  printf '{"type":"object","properties":{"a":{"minLength":"x"}}}' > bad.json
  run -2 sp-validate --schema bad.json < /dev/null
  assert_output --partial "bad.json"
  assert_output --partial "/properties/a/minLength"
  printf '{"type":' > notjson.json
  run -2 sp-validate --schema notjson.json < /dev/null
  assert_output --partial "notjson.json"
  run -2 sp-validate --schema missing.json < /dev/null
  run -2 sp-validate --coerce < /dev/null
  assert_output --partial "need --schema"
}

@test "--draft 7 and draft-07 schemas by \$schema" {
  # "dependencies" is a draft-07 keyword; 2020-12 ignores it (dependentRequired replaced it).
  printf '%s' '{"dependencies":{"a":["b"]}}' > s.json
  printf '%s\n' '{"a":1,"b":2}' '{"a":1}' > in.ndjson
  run -0 --separate-stderr sp-validate --draft 7 --schema s.json in.ndjson
  assert_output '{"a":1,"b":2}'
  printf '%s' '{"$schema":"http://json-schema.org/draft-07/schema#","dependencies":{"a":["b"]}}' > s7.json
  run -0 --separate-stderr sp-validate --schema s7.json in.ndjson
  assert_output '{"a":1,"b":2}'
  run -0 sp-validate --draft 2020 --schema s.json in.ndjson
  assert_output $'{"a":1,"b":2}\n{"a":1}'
  run -2 sp-validate --draft 5 --schema s.json in.ndjson
}

@test "--formats makes format an assertion" {
  printf '%s' '{"properties":{"when":{"format":"date-time"},"ip":{"format":"ipv4"}}}' > s.json
  printf '%s\n' '{"when":"2026-11-25T10:00:00Z","ip":"10.0.0.1"}' '{"when":"yesterday","ip":"10.0.0.1"}' '{"ip":"300.1.1.1"}' > in.ndjson
  run -0 sp-validate --schema s.json in.ndjson
  [[ $(wc -l <<<"$output") == 3 ]]
  run -0 --separate-stderr sp-validate --schema s.json --formats in.ndjson
  assert_output '{"when":"2026-11-25T10:00:00Z","ip":"10.0.0.1"}'
}

@test "\$ref across local files: --schema-dir by \$id and --schema-map by prefix" {
  mkdir defs
  printf '%s' '{"$id":"https://example.com/defs/status.json","type":"integer","minimum":100}' > defs/status.json
  printf '%s' '{"properties":{"status":{"$ref":"https://example.com/defs/status.json"}}}' > s.json
  printf '%s\n' '{"status":200}' '{"status":5}' > in.ndjson
  run -2 sp-validate --schema s.json in.ndjson
  run -0 --separate-stderr sp-validate --schema s.json --schema-dir defs in.ndjson
  assert_output '{"status":200}'
  printf '%s' '{"properties":{"status":{"$ref":"http://localhost:1234/status.json"}}}' > s2.json
  run -0 --separate-stderr sp-validate --schema s2.json --schema-map http://localhost:1234/=defs in.ndjson
  assert_output '{"status":200}'
  run -2 sp-validate --schema s2.json --schema-map nonsense in.ndjson
  assert_output --partial "expected PREFIX=DIR"
}

@test "--coerce, --defaults, --drop-additional splice changes; untouched records stay byte-identical" {
  printf '%s' '{"type":"object","additionalProperties":false,"properties":{"n":{"type":"integer"},"ok":{"type":"boolean"},"s":{"type":"string"},"lvl":{"type":"string","default":"info"}}}' > s.json
  printf '%s\n' '{"n": 1, "ok": true, "s": "x", "lvl": "warn"}' '{"n":"42","ok":"true","s":5,"lvl":"debug"}' '{"n":1,"extra":{"a":1}}' '{"n":"4.5"}' > in.ndjson
  run -0 --separate-stderr sp-validate --schema s.json --coerce --defaults --drop-additional --stats in.ndjson
  assert_line --index 0 '{"n": 1, "ok": true, "s": "x", "lvl": "warn"}'
  assert_line --index 1 '{"n":42,"ok":true,"s":"5","lvl":"debug"}'
  assert_line --index 2 '{"n":1,"lvl":"info"}'
  [[ ${#lines[@]} == 3 ]]  # "4.5" is not a lossless integer: rejected
  [[ $(tail -n 1 <<<"$stderr" | jq .normalized) == 3 ]]  # the last one got its default, then failed
}

@test "--rename and --timestamp normalize before validation; --tz for zone-less text" {
  printf '%s\n' '{"time":"2005-12-04T05:47:44+01:00"}' '{"time":1133671664}' '{"time":1133671664123}' \
    '{"time":"[04/Dec/2005:04:47:44 +0000]"}' '{"time":"2005-12-04 04:47:44"}' '{"time":"soon"}' > in.ndjson
  run -0 --separate-stderr sp-validate --rename time=ts --timestamp ts --dead-letter dl.ndjson in.ndjson
  assert_output $'{"ts":"2005-12-04T04:47:44.000Z"}\n{"ts":"2005-12-04T04:47:44.000Z"}\n{"ts":"2005-12-04T04:47:44.123Z"}\n{"ts":"2005-12-04T04:47:44.000Z"}\n{"ts":"2005-12-04T04:47:44.000Z"}'
  run -0 jq -r .error dl.ndjson
  assert_output 'ts: cannot read "soon" as a timestamp'
  printf '%s\n' '{"ts":"2005-12-04 05:47:44"}' > local.ndjson
  run -0 sp-validate --timestamp ts --tz +01:00 local.ndjson
  assert_output '{"ts":"2005-12-04T04:47:44.000Z"}'
  run -0 sp-validate --timestamp ts --tz Europe/Berlin local.ndjson
  assert_output '{"ts":"2005-12-04T04:47:44.000Z"}'
  run -2 sp-validate --timestamp ts --tz Mars/Olympus local.ndjson
  assert_output --partial "unknown time zone"
}
