#!/usr/bin/env bats
# sp-learn: online training, progressive validation, model files, bad records, options.

load test_helper

FEATURES='service, method, log(latency_ms), country, ua.browser'

@test "binary: trains on events, saves a versioned model, reports progressive metrics" {
  events ev.ndjson 2000
  run -0 --separate-stderr sp-learn --target status --positive '>=500' --features "$FEATURES" --model m.json ev.ndjson
  assert_output ""
  [[ $stderr == "sp-learn: trained on 2000 records, progressive validation: log_loss "*" accuracy "*" auc "*"; model in m.json" ]]
  run -0 jq -c '[.format, .version, .task, .target, .positive, .records, .bits, .hash, (.features | length), .metrics.records]' m.json
  assert_output '["streampipe-model",1,"binary","status",">=500",2000,18,"murmur3-32",5,2000]'
  run -0 jq -r '.features[] | "\(.name) \(.kind)"' m.json
  assert_output $'service categorical\nmethod categorical\nlog(latency_ms) numeric\ncountry categorical\nua.browser categorical'
  # Weight tables are parallel arrays of equal length.
  run -0 jq '.weights[0] | [(.index | length), (.w | length), (.n | length), (.z | length)] | unique | length' m.json
  assert_output 1
  # Server errors are rare: the model must beat always saying "no".
  run -0 jq '.metrics.accuracy > 0.97 and .metrics.log_loss < 0.2' m.json
  assert_output true
}

@test "the same input gives the same model, byte for byte" {
  events ev.ndjson 500
  sp-learn -q --target status --positive '>=500' --features "$FEATURES" --model a.json ev.ndjson
  sp-learn -q --target status --positive '>=500' --features "$FEATURES" --model b.json < ev.ndjson
  cmp a.json b.json
}

@test "--report-every and --metrics-out report the running and the recent metrics" {
  events ev.ndjson 1000
  run -0 --separate-stderr sp-learn --task regression --target latency_ms --features 'service, cat(status)' \
    --report-every 400 --metrics-out metrics.ndjson ev.ndjson
  [[ ${stderr_lines[0]} == "sp-learn: 400 records: rmse "*" mae "*" (last 400: rmse "*")" ]]
  [[ ${stderr_lines[1]} == "sp-learn: 800 records: rmse "*" (last 400: rmse "*")" ]]
  [[ ${stderr_lines[2]} == "sp-learn: trained on 1000 records, progressive validation: rmse "* ]]
  run -0 jq -c '[.records, .recent.records, .final, (.rmse > 0), (.mae > 0)]' metrics.ndjson
  assert_output $'[400,400,null,true,true]\n[800,400,null,true,true]\n[1000,200,true,true,true]'
}

@test "multiclass: classes learned as they come, or fixed with --classes" {
  events ev.ndjson 1000
  run -0 sp-learn -q --task multiclass --target method --features 'service, log(bytes), cat(status)' --model m.json ev.ndjson
  run -0 jq -c '[.task, (.classes | sort), (.weights | length), .classes_fixed]' m.json
  assert_output '["multiclass",["DELETE","GET","HEAD","OPTIONS","PATCH","POST","PUT"],7,false]'
  run -0 --separate-stderr sp-learn --task multiclass --target method --classes 'GET, POST' --features 'service' ev.ndjson
  [[ $stderr == *"records rejected"* ]]
  run -0 sp-learn -q --task multiclass --target method --classes 'GET, POST' --features 'service' \
    --dead-letter dl.ndjson --model m2.json ev.ndjson
  run -0 jq -r '.error' dl.ndjson
  assert_line --partial "target 'method' is HEAD, not one of the classes given with --classes"
  run -0 jq -c '[.classes, .classes_fixed]' m2.json
  assert_output '[["GET","POST"],true]'
}

@test "bad records are dead-lettered with the reason, never learned from, never fatal" {
  printf '%s\n' \
    '{"y":true,"x":1,"c":"a"}' \
    '{"y":true,"x":' \
    '[1,2]' \
    '{"x":2,"c":"b"}' \
    '{"y":"maybe","x":2,"c":"b"}' \
    '{"y":false,"x":"two","c":"b"}' \
    '{"y":false,"x":3,"c":{"k":1}}' \
    '{"y":false,"x":3,"c":"b","n":null}' \
    '{"y":null,"x":3}' \
    '{"y":2,"x":3}' \
    '{"y":false,"c":"b"}' > in.ndjson
  run -0 --separate-stderr sp-learn --target y --features 'x, c' --dead-letter dl.ndjson --stats --model m.json in.ndjson
  run -0 jq -r '"\(.line): \(.error)"' dl.ndjson
  assert_output - <<'EOF'
2: truncated: end of line inside an object (byte 15)
3: not a JSON object
4: no target field 'y'
5: target 'y' is a string; a binary target is true/false or 1/0 unless --positive says which values are positive
6: feature 'x' is a string, but it was numeric before (use cat(...) or num(...) to say which)
7: feature 'c' is an object, expected a number, a string, a boolean or an array of them
9: target 'y' is null
10: target 'y' is a number (2); a binary target is true/false or 1/0 unless --positive says which values are positive
EOF
  [[ ${stderr_lines[-1]} == *'"records_in":11,"records_out":0,"rejected":8,'*'"trained":3,"imputed":1,"malformed":2,"bad_target":4,"bad_features":2,'* ]]
  run -0 jq .records m.json
  assert_output 3
}

@test "generated bad lines: every record is either learned from or rejected" {
  "$GEN_EVENTS" --lines 3000 --bad-rate 0.1 --seed 5 > mixed.ndjson
  run -0 --separate-stderr sp-learn --target status --positive '>=500' --features "$FEATURES" \
    --dead-letter dl.ndjson --stats mixed.ndjson
  stats=${stderr_lines[-1]}
  in=$(jq -r .records_in <<< "$stats")
  empty=$(jq -r .empty_lines <<< "$stats")
  trained=$(jq -r .trained <<< "$stats")
  rejected=$(jq -r .rejected <<< "$stats")
  ((in + empty == 3000 && trained + rejected == in && rejected > 0))
  (($(wc -l < dl.ndjson) == rejected))
  run -3 sp-learn -q --strict --target status --positive '>=500' --features "$FEATURES" mixed.ndjson
}

@test "--missing reject turns an absent feature into a rejection" {
  printf '%s\n' '{"y":1,"a":1,"b":"x"}' '{"y":0,"a":2}' '{"y":0,"b":"z","a":null}' > in.ndjson
  run -0 --separate-stderr sp-learn --target y --features 'a, b' --stats in.ndjson
  [[ ${stderr_lines[-1]} == *'"rejected":0,'*'"trained":3,"imputed":2,'* ]]
  run -0 --separate-stderr sp-learn --target y --features 'a, b' --missing reject --stats in.ndjson
  [[ ${stderr_lines[0]} == "sp-learn: in.ndjson: line 2: feature 'b' is missing" ]]
  [[ ${stderr_lines[1]} == "sp-learn: in.ndjson: line 3: feature 'a' is missing" ]]
  [[ ${stderr_lines[-1]} == *'"rejected":2,'*'"trained":1,'* ]]
}

@test "--resume continues from the model file, and refuses options that disagree with it" {
  events ev.ndjson 600
  head -300 ev.ndjson > a.ndjson
  tail -300 ev.ndjson > b.ndjson
  # A missing model file with --resume: a new model.
  sp-learn -q --resume --target status --positive '>=500' --features "$FEATURES" --model m.json a.ndjson
  run -0 jq .records m.json
  assert_output 300
  # The file has the settings: none are needed on the command line.
  sp-learn -q --resume --model m.json b.ndjson
  run -0 jq .records m.json
  assert_output 600
  # Two halves with --resume end where one run over the whole ends (the metrics are the last run's).
  sp-learn -q --target status --positive '>=500' --features "$FEATURES" --model whole.json ev.ndjson
  diff <(jq -c 'del(.metrics)' whole.json) <(jq -c 'del(.metrics)' m.json)
  run -0 jq .metrics.records m.json
  assert_output 300
  run -2 sp-learn --resume --model m.json --features 'service' b.ndjson
  assert_output "sp-learn: --features 'service' differs from the model's '$FEATURES' in m.json (without --resume a new model is trained)"
  run -2 sp-learn --resume --model m.json --task regression b.ndjson
  assert_output --partial "--task 'regression' differs"
  # The learning rate may change.
  run -0 sp-learn -q --resume --model m.json --learning-rate 0.1 b.ndjson
  run -0 jq .optimizer.learning_rate m.json
  assert_output 0.1
  echo '{"format":"other"}' > bad.json
  run -2 sp-learn --resume --model bad.json b.ndjson
  assert_output 'sp-learn: bad.json: not a valid model file: "format" is not "streampipe-model"'
}

@test "--save-every writes the model while training; SIGTERM saves it and exits 0" {
  events ev.ndjson 300
  mkfifo in.fifo
  # (fd 3 is bats' own: the background program must not hold it)
  sp-learn -q --target status --positive '>=500' --features "$FEATURES" --model m.json --save-every 100 in.fifo 3>&- &
  pid=$!
  exec 5> in.fifo
  cat ev.ndjson >&5
  for _ in $(seq 100); do [[ -s m.json ]] && (($(jq .records m.json) == 300)) && break; sleep 0.1; done
  run -0 jq .records m.json
  assert_output 300
  kill -TERM "$pid"
  wait "$pid"
  exec 5>&-
  run -0 jq .records m.json
  assert_output 300
  [[ -z $(ls | grep tmp) ]]
}

@test "--pass-through writes the records learned from, byte-identical" {
  events ev.ndjson 500
  run -0 sp-learn -q --pass-through --target status --positive '>=500' --features "$FEATURES" -o out.ndjson ev.ndjson
  cmp ev.ndjson out.ndjson
  run -0 sp-learn -q --target status --positive '>=500' --features "$FEATURES" ev.ndjson
  assert_output ""
}

@test "FTRL with L1 keeps fewer weights than AdaGrad" {
  events ev.ndjson 2000
  sp-learn -q --target status --positive '>=500' --features 'service, user_id, ip' --model ada.json ev.ndjson
  sp-learn -q --target status --positive '>=500' --features 'service, user_id, ip' --optimizer ftrl --l1 2 \
    --model ftrl.json ev.ndjson
  ada=$(jq '[.weights[0].w[] | select(. != 0)] | length' ada.json)
  ftrl=$(jq '[.weights[0].w[] | select(. != 0)] | length' ftrl.json)
  echo "nonzero weights: adagrad $ada, ftrl+l1 $ftrl"
  ((ftrl * 10 < ada))
}

@test "interactions and options from a TOML config file" {
  events ev.ndjson 500
  cat > learn.toml <<'EOF'
target = "status"
positive = ">=400"
features = "method, service, log(latency_ms)"
interact = ["method:service", "service:latency_ms"]
bits = 12
model = "m.json"
EOF
  run -0 sp-learn -q --config learn.toml ev.ndjson
  run -0 jq -c '[.interactions, .bits, .positive]' m.json
  assert_output '[["method:service","service:log(latency_ms)"],12,">=400"]'
  # On the command line, each --interact takes one value: the input file after it stays one.
  run -0 sp-learn -q --target status --features 'method, service' --positive '>=400' --interact method:service \
    --interact service:method --model m2.json ev.ndjson
  run -0 jq -c '[.interactions, .records]' m2.json
  assert_output '[["method:service","service:method"],500]'
}

@test "usage errors exit 2 and say what is wrong" {
  events ev.ndjson 10
  run -2 sp-learn --features a ev.ndjson
  assert_output "sp-learn: --target is required (the field to learn)"
  run -2 sp-learn --target a ev.ndjson
  assert_output "sp-learn: --features is required (the fields to learn from)"
  run -2 sp-learn --target y --features 'a, b..c' ev.ndjson
  assert_line --index 0 "sp-learn: bad field path: empty name before '.' (column 6)"
  assert_line --index 1 "  a, b..c"
  run -2 sp-learn --target y --features 'sqrt(a)' ev.ndjson
  assert_output --partial "unknown transform 'sqrt' (use num, log or cat)"
  run -2 sp-learn --target y --features 'a, b' --interact a:c ev.ndjson
  assert_output --partial "--interact: 'c' is not one of the features (a, b)"
  run -2 sp-learn --task regression --positive 1 --target y --features a ev.ndjson
  assert_output "sp-learn: --positive applies to --task binary only"
  run -2 sp-learn --target y --positive '>=x' --features a ev.ndjson
  assert_output --partial "which is not a number"
  run -2 sp-learn --task ranking --target y --features a ev.ndjson
  run -2 sp-learn --bits 40 --target y --features a ev.ndjson
  run -2 sp-learn --resume --target y --features a ev.ndjson
  assert_output "sp-learn: --resume needs --model FILE"
}

@test "a model that cannot be written fails at the start with exit 1" {
  events ev.ndjson 10
  run -1 sp-learn --target status --positive '>=500' --features service --model /nonexistent/dir/m.json ev.ndjson
  assert_output --partial "sp-learn: cannot write the model next to /nonexistent/dir/m.json: No such file or directory"
}
