#!/usr/bin/env bats
# sp-match: the case table of pattern semantics (MATCH_RECOGNIZE's greediness, alternation
# preference, contiguity, skip strategies, absence), output, time, and bad input.

load test_helper

# abc STRING [KEYS]: one event per letter (v = the letter, id = its position, ts = 1 s apart
# from 2025-11-24T00:00:00Z); KEYS, when given, is the key of each event (one letter each).
abc() {
  local s=$1 keys=${2:-} i
  : > events.ndjson
  for ((i = 0; i < ${#s}; i++)); do
    printf '{"id":%d,"k":"%s","v":"%s","ts":%d}\n' "$i" "${keys:$i:1}" "${s:$i:1}" $((1763942400 + i)) >> events.ndjson
  done
}

# m PATTERN [OPTIONS...]: the matches of PATTERN over events.ndjson, one line each: "0A 1A 2B"
# (event id and variable). Times start at 2025-11-24T00:00:00Z. A, B and C are the events with v = a, b, c.
m() {
  local pattern=$1 defs=() v
  shift
  for v in A B C; do
    [[ $pattern == *$v* || " $* " == *" $v "* ]] && defs+=(--define "$v: v = \"${v,,}\"")
  done
  sp-match --key k --time ts --pattern "$pattern" "${defs[@]}" --with-events "$@" events.ndjson |
    jq -r '[.events[] | "\(.record.id)\(.var)"] | join(" ")'
}

# ---- the case table

@test "greedy quantifiers take as many events as they can" {
  abc aaab
  run -0 m 'A+ B'
  assert_output '0A 1A 2A 3B'
  abc aaa
  run -0 m 'A+'
  assert_output '0A 1A 2A'
  abc aaaaa
  run -0 m 'A{2,3}'
  assert_output $'0A 1A 2A\n3A 4A'
  run -0 m 'A{2}'
  assert_output $'0A 1A\n2A 3A'
  run -0 m 'A{4,}'
  assert_output '0A 1A 2A 3A 4A'
  abc abab
  run -0 m '(A B)+'
  assert_output '0A 1B 2A 3B'
}

@test "reluctant quantifiers take as few events as they can" {
  abc aaa
  run -0 m 'A+?'
  assert_output $'0A\n1A\n2A'
  abc aaaaa
  run -0 m 'A{2,3}?'
  assert_output $'0A 1A\n2A 3A'
  abc aaab
  # As few as possible, but the match must still reach B.
  run -0 m 'A{2,3}? B'
  assert_output '0A 1A 2A 3B'
  abc aabab
  run -0 m 'A B*? A'
  assert_output '0A 1A'
  run -0 m 'A B* A'
  assert_output '0A 1A'
}

@test "alternation prefers the left alternative; ? prefers taking the event" {
  abc ab
  run -0 m '(A | A B)'
  assert_output '0A'
  run -0 m '(A B | A)'
  assert_output '0A 1B'
  run -0 m 'A B?'
  assert_output '0A 1B'
  run -0 m 'A B??'
  assert_output '0A'
}

@test "strict contiguity by default; --skip-irrelevant skips what a run cannot use" {
  abc acb
  run -0 m 'A B'
  assert_output ''
  run -0 m 'A B' --skip-irrelevant
  assert_output '0A 2B'
  abc acacb
  run -0 m 'A+ B' --skip-irrelevant
  assert_output '0A 2A 4B'
}

@test "after a match: skip-past-last (default) or skip-to-next for overlapping matches" {
  abc aaaa
  run -0 m 'A A'
  assert_output $'0A 1A\n2A 3A'
  run -0 m 'A A' --after-match skip-to-next
  assert_output $'0A 1A\n1A 2A\n2A 3A'
  abc aaab
  run -0 m 'A+ B' --after-match skip-to-next
  assert_output $'0A 1A 2A 3B\n1A 2A 3B\n2A 3B'
}

@test "^ matches only at a key's first event" {
  abc aaba xxyy
  # x: a(0) a(1); y: b(2) a(3): y's first event is no A.
  run -0 m '^A'
  assert_output '0A'
  abc aaaa xxyy
  run -0 m '^A'
  assert_output $'0A\n2A'
  abc aaa
  run -0 m '^A+?'
  assert_output '0A'
}

@test "keys are matched apart, each in its own order" {
  abc abab xyyx
  # x: a(0) b(3); y: b(1) a(2)
  run -0 m 'A B'
  assert_output '0A 3B'
  run -0 sp-match --key k --time ts -d 'A: v = "a"' -d 'B: v = "b"' --pattern 'A B' events.ndjson
  assert_output '{"key":"x","match_start":"2025-11-24T00:00:00.000Z","match_end":"2025-11-24T00:00:03.000Z","count_A":1,"count_B":1}'
}

@test "--within bounds the span of a match" {
  abc aab
  run -0 m 'A+ B' --within 1s
  assert_output '1A 2B'
  run -0 m 'A+ B' --within 2s
  assert_output '0A 1A 2B'
}

@test "absence: !X reports a match only when X does not follow within --within" {
  abc acbxa
  # a(0) is followed by b(2) within 5s: no match; a(4) is not (the input ends): a match.
  run -0 m 'A !B' --within 5s
  assert_output '4A'
  run -0 m 'A' --not-followed-by B --within 5s
  assert_output '4A'
  # b(2) comes 2s after a(0): too late for --within 1s, so a(0) matches.
  run -0 m 'A !B' --within 1s
  assert_output $'0A\n4A'
  run -2 sp-match --pattern 'A !B' -d 'A: true' events.ndjson
  assert_output --partial 'needs --within'
}

@test "absence fires on the watermark: another key's later event decides it" {
  printf '%s\n' '{"k":"o1","e":"created","ts":"2026-11-24T00:00:00Z"}' \
    '{"k":"o2","e":"created","ts":"2026-11-24T00:01:00Z"}' \
    '{"k":"o2","e":"paid","ts":"2026-11-24T00:02:00Z"}' \
    '{"k":"o3","e":"created","ts":"2026-11-24T00:20:00Z"}' > orders.ndjson
  run -0 sp-match --key k --time ts --within 15m -d 'C: e = "created"' -d 'P: e = "paid"' --pattern 'C !P' \
    --emit 'last(C.e) as what' orders.ndjson
  # o1 is reported when o3's event moves the watermark past 00:15; o3 at the end of input.
  assert_line --index 0 '{"key":"o1","match_start":"2026-11-24T00:00:00.000Z","match_end":"2026-11-24T00:00:00.000Z","what":"created"}'
  assert_line --index 1 --partial '"key":"o3"'
  [[ ${#lines[@]} -eq 2 ]]
}

@test "absence fires on --idle-timeout while the input stays open" {
  # The input stays open for 2 s; the match must be written long before (--within 100ms, and
  # 200ms without input lets the watermark move on).
  (printf '%s\n' '{"k":"o1","e":"created","ts":"2026-11-24T00:00:00Z"}'; sleep 2) |
    sp-match --key k --time ts --within 100ms --idle-timeout 200ms -d 'C: e = "created"' -d 'P: e = "paid"' \
      --pattern 'C !P' > out.ndjson &
  sleep 1
  run -0 cat out.ndjson
  assert_output --partial '"key":"o1"'
  wait
}

# ---- output

@test "the issue's example: failures then a success, with counts and the last IP" {
  printf '%s\n' \
    '{"user_id":"u1","event":"login","ok":false,"ip":"10.0.0.1","ts":"2026-11-24T00:00:00Z"}' \
    '{"user_id":"u1","event":"login","ok":false,"ip":"10.0.0.2","ts":"2026-11-24T00:00:10Z"}' \
    '{"user_id":"u2","event":"login","ok":true,"ip":"10.0.0.9","ts":"2026-11-24T00:00:15Z"}' \
    '{"user_id":"u1","event":"login","ok":false,"ip":"10.0.0.3","ts":"2026-11-24T00:00:20Z"}' \
    '{"user_id":"u1","event":"login","ok":true,"ip":"10.0.0.4","ts":"2026-11-24T00:00:30Z"}' > logins.ndjson
  run -0 sp-match --key user_id --time ts --within 5m \
    --define 'F: event = "login" and not ok' --define 'S: event = "login" and ok' \
    --pattern 'F{3,} S' --emit 'user_id, count(F) as failures, last(S.ip) as ip' logins.ndjson
  assert_output '{"key":"u1","match_start":"2026-11-24T00:00:00.000Z","match_end":"2026-11-24T00:00:30.000Z","user_id":"u1","failures":3,"ip":"10.0.0.4"}'
}

@test "definitions may refer to earlier variables and their aggregates" {
  printf '%s\n' '{"k":1,"amount":10,"ts":1}' '{"k":1,"amount":20,"ts":2}' '{"k":1,"amount":40,"ts":3}' \
    '{"k":1,"amount":5,"ts":4}' '{"k":1,"amount":1,"ts":5}' '{"k":1,"amount":2,"ts":6}' > pay.ndjson
  # S: an amount above the average of the F run before it; F: smaller than 30.
  run -0 sp-match --key k --time ts -d 'F: amount < 30' -d 'S: amount > avg(F.amount)' --pattern 'F+ S' \
    --emit 'avg(F.amount) as avg_f, S.amount as s, first(F.amount) as first_f' pay.ndjson
  assert_line --index 0 --partial '"avg_f":15,"s":40,"first_f":10}'
  # From 5: F F F (greedy) leaves no S; from 1: 2 > avg(1).
  assert_line --index 1 --partial '"avg_f":1,"s":2,"first_f":1}'
  [[ ${#lines[@]} -eq 2 ]]
}

@test "an undefined variable matches every event; a key of several fields is an array" {
  printf '%s\n' '{"a":1,"b":"x","ts":1}' '{"a":1,"b":"x","ts":2}' > two.ndjson
  run -0 sp-match --key 'a, b' --time ts --pattern 'X Y' two.ndjson
  assert_output '{"key":[1,"x"],"match_start":"1970-01-01T00:00:01.000Z","match_end":"1970-01-01T00:00:02.000Z","count_X":1,"count_Y":1}'
}

# ---- time

@test "--max-delay sorts records by event time; without it an older record is late and rejected" {
  printf '%s\n' '{"k":1,"v":"b","ts":2}' '{"k":1,"v":"a","ts":1}' > ooo.ndjson
  run -0 sp-match --key k --time ts -d 'A: v = "a"' -d 'B: v = "b"' --pattern 'A B' --max-delay 5s ooo.ndjson
  assert_output --partial '"count_A":1,"count_B":1'
  run -0 --separate-stderr sp-match --key k --time ts -d 'A: v = "a"' -d 'B: v = "b"' --pattern 'A B' \
    --dead-letter dl.ndjson ooo.ndjson
  assert_output ''
  run -0 cat dl.ndjson
  assert_output --partial 'late: event time'
}

@test "--max-keys bounds the keys held: the least recently active is decided early" {
  abc aaaaaa xyzxyz
  run -0 --separate-stderr sp-match --key k --time ts -d 'A: v = "a"' --pattern 'A+' --max-keys 1 --stats events.ndjson
  [[ ${#lines[@]} -eq 6 ]]
  [[ $stderr == *"--max-keys"* ]]
  [[ $stderr == *'"evicted_keys":5'* ]]
}

# ---- bad input and bad usage

@test "malformed lines, missing and wrong time fields go to the dead letter, never a crash" {
  printf '%s\n' '{"k":1,"v":"a","ts":1}' 'not json' '{"k":1,"v":"a"}' '{"k":1,"v":"a","ts":true}' \
    '[1,2]' '{"k":1,"v":"b","ts":2}' > bad.ndjson
  run -0 --separate-stderr sp-match --key k --time ts -d 'A: v = "a"' -d 'B: v = "b"' --pattern 'A B' \
    --dead-letter dl.ndjson bad.ndjson
  assert_output --partial '"count_A":1,"count_B":1'
  run -0 jq -r .error dl.ndjson
  assert_line --index 0 --partial 'not JSON'
  assert_line --index 1 "time field 'ts' is missing"
  assert_line --index 2 --partial "time field 'ts' is not a time"
  assert_line --index 3 'not a JSON object'
  run -3 sp-match --key k --time ts -d 'A: v = "a"' --pattern 'A' --strict bad.ndjson
  # With --max-delay only the time is read on arrival: the rest of a bad line is found at release.
  printf '%s\n' '{"k":1,"ts":1,"v":"a"}' '{"k":1,"ts":2,"v":tru}' '{"k":1,"ts":3,"v":"a"}' > late-bad.ndjson
  run -0 --separate-stderr sp-match --key k --time ts -d 'A: v = "a"' --pattern 'A A' --max-delay 5s \
    --dead-letter dl2.ndjson late-bad.ndjson
  assert_output --partial '"count_A":2'
  run -0 jq -r '"\(.line) \(.error)"' dl2.ndjson
  assert_output --partial '2 not JSON'
}

@test "--with-events: a record that is not JSON throughout is rejected, so the matches stay JSON" {
  # Found by fuzzing (tests/fuzz/regressions/match/with-events-malformed-record): On-Demand
  # reads only k, ts and v, and the broken rest of the record was copied into the match.
  printf '%s\n' '{"k":1,"ts":1,"v":"a"}' '{"k":1,"ts":2,"v":"b","x":tru}' '{"k":1,"ts":3,"v":"b"}' > in.ndjson
  run -0 --separate-stderr sp-match --key k --time ts -d 'A: v = "a"' -d 'B: v = "b"' --pattern 'A B' \
    --with-events --dead-letter dl.ndjson in.ndjson
  run -0 jq -c '[.events[].record.ts]' <<< "$output"
  assert_output '[1,3]'
  run -0 jq -r '"\(.line) \(.error)"' dl.ndjson
  assert_output --regexp '^2 not JSON: .+'
}

@test "a definition of the wrong type evaluates to no match, and the errors are summarized" {
  printf '%s\n' '{"k":1,"v":"a","ts":1}' '{"k":1,"v":"b","ts":2}' > t.ndjson
  run -0 --separate-stderr sp-match --key k --time ts -d 'A: v * 2 > 1' --pattern 'A' t.ndjson
  assert_output ''
  [[ $stderr == *"evaluation errors"* ]]
}

@test "bad patterns: exit 2 with the column of the error" {
  run -2 sp-match --pattern 'A (B'
  assert_output --partial "'(' without a matching ')' (column 3)"
  run -2 sp-match --pattern 'A{3,1}'
  assert_output --partial 'must not be less than n (column 2)'
  run -2 sp-match --pattern '*A'
  assert_output --partial "has nothing to repeat (column 1)"
  run -2 sp-match --pattern 'A !B C' --within 1m
  assert_output --partial 'must be the last element of the pattern (column 6)'
  run -2 sp-match --pattern 'A ^B'
  assert_output --partial '(column 3)'
  run -2 sp-match --pattern 'A B)'
  assert_output --partial "')' without a matching '(' (column 4)"
  run -2 sp-match --pattern 'A++'
  assert_output --partial 'cannot follow another quantifier'
  assert_output --partial '(column 3)'
  run -2 sp-match --pattern ''
  assert_output --partial 'missing --pattern'
}

@test "bad definitions and --emit: exit 2 with the column in the definition" {
  run -2 sp-match --pattern 'A B' --define 'A v = 1'
  assert_output --partial "expected 'VAR: CONDITION'"
  run -2 sp-match --pattern 'A B' --define 'A: v = = 1'
  assert_output --partial '(column 8)'
  run -2 sp-match --pattern 'A B' --define 'Z: v = 1'
  assert_output --partial "'Z' does not appear in the pattern"
  run -2 sp-match --pattern 'A B' --define 'A: 6 * 7'
  assert_output --partial 'must be true or false'
  run -2 sp-match --pattern 'A B' --define 'A: true' --define 'A: false'
  assert_output --partial 'defined twice'
  run -2 sp-match --pattern 'A B' --emit 'nosuch(A.x)'
  assert_output --partial "unknown function"
  run -2 sp-match --pattern 'A B' --after-match sideways
  run -2 sp-match --pattern 'A B' --within soon
}
