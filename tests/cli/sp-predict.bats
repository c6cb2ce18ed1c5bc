#!/usr/bin/env bats
# sp-predict: scoring spliced into records, model reloads, learning online, anomalies.

load test_helper

FEATURES='service, method, log(latency_ms), country'

# errors.json: P(status >= 500) from FEATURES, trained on N events.
train_errors() {
  events train.ndjson "${1:-2000}" --seed 21
  sp-learn -q --target status --positive '>=500' --features "$FEATURES" --model errors.json train.ndjson
}

@test "predictions are spliced into each record: every other byte stays as it was" {
  train_errors
  events ev.ndjson 1000
  run -0 sp-predict --model errors.json --label error ev.ndjson -o out.ndjson
  assert_output ""
  (($(wc -l < out.ndjson) == 1000))
  sed -E 's/,"score":[0-9.e-]+,"error":(true|false)\}$/}/' out.ndjson | cmp - ev.ndjson
  # Probabilities, and decisions at the cutoff.
  run -0 jq -s '[.[] | select(.score < 0 or .score > 1 or ((.score >= 0.5) != .error))] | length' out.ndjson
  assert_output 0
  run -0 sp-predict --model errors.json --label error --cutoff 0 ev.ndjson
  run -0 jq -s 'all(.error)' <<< "$output"
  assert_output true
  # Server errors score higher than the rest.
  run -0 jq -s '([.[] | select(.status >= 500) | .score] | add / length) > 5 * ([.[] | select(.status < 500) | .score] | add / length)' out.ndjson
  assert_output true
}

@test "an existing field is replaced, nested outputs are created, odd spacing is kept" {
  train_errors 300
  printf '%s\n' \
    '{"service":"web","score":"old","method":"GET","latency_ms":12,"country":"DE"}' \
    '{ "service" : "api" , "latency_ms" : 30 }' \
    '{}' \
    '{"pred":{"keep":1},"service":"web"}' > in.ndjson
  run -0 sp-predict --model errors.json --digits 2 in.ndjson
  assert_line --index 0 --regexp '^\{"service":"web","score":0\.[0-9]+,"method":"GET","latency_ms":12,"country":"DE"\}$'
  assert_line --index 1 --regexp '^\{ "service" : "api" , "latency_ms" : 30 ,"score":0\.[0-9]+\}$'
  assert_line --index 2 --regexp '^\{"score":0\.[0-9]+\}$'
  run -0 sp-predict --model errors.json --output pred.p in.ndjson
  run -0 jq -c '.pred | keys' <<< "${lines[3]}"
  assert_output '["keep","p"]'
  run -0 sp-predict --model errors.json --digits 0 in.ndjson
  run -0 jq -r '.score | tostring | length > 10' <<< "${lines[2]}"
  assert_output true
}

@test "multiclass writes the class (and its probability); regression the value" {
  events ev.ndjson 1500
  sp-learn -q --task multiclass --target method --features 'service, log(bytes), cat(status)' --model method.json ev.ndjson
  run -0 sp-predict --model method.json --output guess --probability p ev.ndjson
  run -0 jq -s -c '[(map(.guess) | unique | all(IN("GET","POST","PUT","DELETE","HEAD","PATCH","OPTIONS"))),
                    all(.p > 0 and .p <= 1), (map(select(.guess == .method)) | length > 900)]' <<< "$output"
  assert_output '[true,true,true]'
  run -2 sp-predict --model method.json --label x ev.ndjson
  assert_output "sp-predict: --label applies to binary models; method.json is a multiclass model"

  sp-learn -q --task regression --target bytes --features 'service, method, cat(status)' --model bytes.json ev.ndjson
  run -0 sp-predict --model bytes.json --output predicted_bytes ev.ndjson
  run -0 jq -s 'all(.predicted_bytes | type == "number")' <<< "$output"
  assert_output true
  run -2 sp-predict --model bytes.json --probability p ev.ndjson
}

@test "bad records are rejected with the reason; missing features are imputed or rejected" {
  train_errors 300
  printf '%s\n' \
    '{"service":"web","latency_ms":10}' \
    'not json' \
    '{"service":"web","latency_ms":"slow"}' \
    '{"service":5}' \
    '{"latency_ms":10}' > in.ndjson
  run -0 --separate-stderr sp-predict --model errors.json --dead-letter dl.ndjson --stats in.ndjson
  (( ${#lines[@]} == 2 ))
  run -0 jq -r '"\(.line): \(.error)"' dl.ndjson
  assert_line --index 0 --partial "2: "
  assert_line --index 1 "3: feature 'log(latency_ms)' is a string that is not a number"
  assert_line --index 2 "4: feature 'service' is a number, but it was categorical before (use cat(...) or num(...) to say which)"
  run -0 --separate-stderr sp-predict --model errors.json --missing reject --stats in.ndjson
  [[ ${stderr_lines[-1]} == *'"records_out":0,"rejected":5,'* ]]
  run -3 sp-predict -q --strict --model errors.json in.ndjson
}

@test "the model is reloaded when its file changes, between two records" {
  train_errors 1000
  events ev.ndjson 200 --seed 5
  head -100 ev.ndjson > a.ndjson
  tail -100 ev.ndjson > b.ndjson
  # The opposite model: P(status < 500).
  sp-learn -q --target status --positive '<500' --features "$FEATURES" --model flipped.json train.ndjson
  mkfifo in.fifo
  sp-predict --model errors.json --reload-interval 50ms --stats -o out.ndjson in.fifo 2> err.txt 3>&- &
  pid=$!
  exec 5> in.fifo
  cat a.ndjson >&5
  for _ in $(seq 100); do (($(wc -l < out.ndjson) == 100)) && break; sleep 0.1; done
  (($(wc -l < out.ndjson) == 100))
  cp flipped.json next.json && mv next.json errors.json
  sleep 0.3
  cat b.ndjson >&5
  exec 5>&-
  wait "$pid"
  run -0 jq -s '[(.[:100] | map(.score) | add / length), (.[100:] | map(.score) | add / length)] | .[0] < 0.2 and .[1] > 0.8' out.ndjson
  assert_output true
  grep -q '"reloads":1' err.txt
}

@test "a model file that goes bad keeps the previous model" {
  train_errors 300
  events ev.ndjson 50
  cp errors.json m.json
  mkfifo in.fifo
  sp-predict --model m.json --reload-interval 10ms in.fifo > out.ndjson 2> err.txt 3>&- &
  pid=$!
  exec 5> in.fifo
  head -10 ev.ndjson >&5
  for _ in $(seq 100); do (($(wc -l < out.ndjson) == 10)) && break; sleep 0.1; done
  echo '{"format":"streampipe-model","version":9}' > bad.json && mv bad.json m.json
  sleep 0.2
  tail -40 ev.ndjson >&5
  exec 5>&-
  wait "$pid"
  (($(wc -l < out.ndjson) == 50))
  run -0 cat err.txt
  assert_output 'sp-predict: keeping the previous model: m.json: not a valid model file: format version 9 is not supported (this program reads 1)'
}

@test "--learn-from keeps learning where labels arrive, predicting first" {
  events ev.ndjson 3000 --seed 8
  head -50 ev.ndjson > start.ndjson
  sp-learn -q --target status --positive '>=500' --features "$FEATURES" --model m.json start.ndjson
  # Half the records carry the label; one carries an unusable one.
  jq -c 'if (.latency_ms * 1000 | floor) % 2 == 0 then .label = .status else . end' ev.ndjson > in.ndjson
  sed -i '7s/}$/,"label":"oops"}/' in.ndjson
  run -0 --separate-stderr sp-predict --model m.json --learn-from label --stats in.ndjson
  (( ${#lines[@]} == 3000 ))
  labeled=$(jq -s 'map(select(.label | type == "number")) | length' in.ndjson)
  [[ ${stderr_lines[0]} == "sp-predict: in.ndjson: line 7: target 'label' is a string, but --positive '>=500' compares numbers (scored, not learned from)" ]]
  [[ ${stderr_lines[1]} == "sp-predict: learned from $labeled labeled records, progressive validation: "* ]]
  [[ ${stderr_lines[-1]} == *"\"scored\":3000,\"learned\":$labeled,\"bad_labels\":1,"* ]]
  # What it learned is not saved: the model file is unchanged.
  run -0 jq .records m.json
  assert_output 50
}

@test "anomalies per key: scores, flags after the warm-up, nulls when the value is missing" {
  events ev.ndjson 3000 --seed 4
  run -0 --separate-stderr sp-predict --anomaly 'log(latency_ms)' --by service --stats ev.ndjson
  run -0 jq -s -c '[length, all(has("anomaly_score") and has("is_anomaly")),
                    (map(select(.is_anomaly)) | length > 0), all(.anomaly_score >= 0)]' <<< "$output"
  assert_output '[3000,true,true,true]'
  # No key flags one of its first --warmup values.
  run -0 sp-predict --anomaly latency_ms --by service --warmup 20 ev.ndjson
  run -0 jq -s '[group_by(.service)[] | .[:20][] | select(.is_anomaly)] | length' <<< "$output"
  assert_output 0
  printf '%s\n' '{"v":1}' '{"w":1}' '{"v":"x"}' '{"v":{"a":1}}' '{"v":2,"k":[1]}' > in.ndjson
  run -0 --separate-stderr sp-predict --anomaly v --by k --dead-letter dl.ndjson in.ndjson
  assert_line --index 0 '{"v":1,"anomaly_score":0,"is_anomaly":false}'
  assert_line --index 1 '{"w":1,"anomaly_score":null,"is_anomaly":false}'
  run -0 jq -r .error dl.ndjson
  assert_output $'feature \'v\' is a string that is not a number\nfeature \'v\' is an object, expected a number, a string, a boolean or an array of them\n--by field \'k\' is an array, expected a scalar'
}

@test "ewma, mad and hst each flag a planted spike" {
  python3 - > in.ndjson <<'PY'
import json, random
r = random.Random(2)
for i in range(600):
    x, y = r.gauss(100, 5), r.gauss(10, 1)
    if i == 500:
        x, y = 400, 40
    print(json.dumps({"i": i, "x": round(x, 3), "y": round(y, 3)}))
PY
  for method in ewma mad; do
    run -0 sp-predict --anomaly x --method "$method" in.ndjson
    run -0 jq -s -c '[(map(select(.is_anomaly) | .i) | any(. == 500)), (map(select(.is_anomaly)) | length < 10)]' <<< "$output"
    assert_output '[true,true]'
  done
  run -0 sp-predict --anomaly 'x, y' --method hst --window 100 in.ndjson
  run -0 jq -s '.[500].is_anomaly' <<< "$output"
  assert_output true
}

@test "a model and anomaly detection together; usage errors exit 2" {
  train_errors 300
  events ev.ndjson 100
  run -0 sp-predict --model errors.json --anomaly 'log(latency_ms)' --by service ev.ndjson
  run -0 jq -s -c 'map(keys | (index("score") != null) and (index("anomaly_score") != null)) | unique' <<< "$output"
  assert_output '[true]'
  run -2 sp-predict ev.ndjson
  assert_output "sp-predict: nothing to do: give --model FILE, --anomaly FEATURES, or both"
  run -2 sp-predict --model missing.json ev.ndjson
  assert_output "sp-predict: cannot read the model missing.json: No such file or directory"
  echo '{"format":"streampipe-model","version":1}' > bad.json
  run -2 sp-predict --model bad.json ev.ndjson
  assert_output --partial 'sp-predict: bad.json: not a valid model file: "task" is missing'
  run -2 sp-predict --anomaly 'cat(status)' ev.ndjson
  assert_output "sp-predict: --anomaly: 'cat(status)' is categorical; anomaly features are numbers"
  run -2 sp-predict --anomaly x --method iforest ev.ndjson
  run -2 sp-predict --model errors.json --by service ev.ndjson
  assert_output "sp-predict: --by needs --anomaly FEATURES"
  run -2 sp-predict --learn-from x --anomaly v ev.ndjson
  assert_output "sp-predict: --learn-from needs --model FILE"
  run -2 sp-predict --anomaly v --window 2 ev.ndjson
}

@test "| head ends it quietly" {
  train_errors 300
  events ev.ndjson 20000
  run -0 bash -o pipefail -c "sp-predict --model errors.json ev.ndjson | head -1 | wc -l"
  assert_output 1
}
