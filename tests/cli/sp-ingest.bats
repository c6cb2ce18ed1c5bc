#!/usr/bin/env bats
# sp-ingest, file sources: batch reads, checkpoints, following through rotation, bad input.

load test_helper

# lines FILE FROM TO: appends {"n":FROM} .. {"n":TO} to FILE, one write per line.
lines() {
  local f=$1 i
  for ((i = $2; i <= $3; i++)); do printf '{"n":%d}\n' "$i" >> "$f"; done
}

# expect_n FILE FROM TO: FILE holds exactly {"n":FROM} .. {"n":TO}, each once, in any order.
expect_n() {
  local want
  want=$(seq "$2" "$3" | sed 's/.*/{"n":&}/' | sort)
  diff <(sort "$1") <(printf '%s\n' "$want") || fail "records of $1 differ from $2..$3"
}

# start_ingest ARGS...: sp-ingest --follow in the background, writing out.ndjson and err.txt.
start_ingest() {
  sp-ingest --follow "$@" >> out.ndjson 2>> err.txt &
  PID=$!
}

# wait_lines N [FILE]: waits (up to 20 s) until FILE (out.ndjson) has at least N lines.
wait_lines() {
  local n=$1 f=${2:-out.ndjson} i
  for ((i = 0; i < 400; i++)); do
    [[ -f $f && $(wc -l < "$f") -ge $n ]] && return 0
    sleep 0.05
  done
  fail "expected $n lines in $f, got $(wc -l < "$f"): $(cat err.txt 2>/dev/null)"
}

# stop_ingest: SIGTERM, and the exit status must be 0.
stop_ingest() {
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  ((rc == 0)) || fail "sp-ingest exited with $rc: $(cat err.txt)"
}

@test "json lines pass through byte-identical, from a file, a file:// URI and stdin" {
  events ev.ndjson 3000
  run -0 sp-ingest ev.ndjson -o a.ndjson
  cmp ev.ndjson a.ndjson
  sp-ingest "file://$PWD/ev.ndjson" > b.ndjson
  cmp ev.ndjson b.ndjson
  sp-ingest < ev.ndjson > c.ndjson
  cmp ev.ndjson c.ndjson
  sp-ingest - < ev.ndjson > d.ndjson
  cmp ev.ndjson d.ndjson
}

@test "several sources and a glob are read by one process" {
  lines a.log 1 10
  lines b.log 11 20
  mkdir d && lines d/x.log 21 30 && lines d/y.log 31 40
  run -0 --separate-stderr sp-ingest a.log b.log 'd/*.log'
  printf '%s\n' "$output" > out.ndjson
  expect_n out.ndjson 1 40
}

@test "a missing file or a directory fails with exit 1; the other sources are still read" {
  lines a.log 1 5
  mkdir adir
  run -1 --separate-stderr sp-ingest nope.log a.log adir
  [[ $(printf '%s\n' "$output" | wc -l) == 5 ]]
  [[ $stderr == *"sp-ingest: nope.log: No such file or directory"* ]]
  [[ $stderr == *"adir: is a directory"* ]]
}

@test "a glob that matches nothing is a warning, not an error" {
  run -0 sp-ingest 'none-*.log'
  assert_output "sp-ingest: none-*.log: no files match"
}

@test "compressed inputs (gzip, zstd) are read by their content" {
  events ev.ndjson 500
  gzip -c ev.ndjson > ev.1.gz
  zstd -q -c ev.ndjson > ev.2.zst
  cp ev.2.zst rotated.log
  sp-ingest ev.1.gz > a.ndjson
  cmp ev.ndjson a.ndjson
  sp-ingest ev.2.zst > b.ndjson
  cmp ev.ndjson b.ndjson
  sp-ingest rotated.log > c.ndjson
  cmp ev.ndjson c.ndjson
}

@test "a truncated gzip file: its complete lines are written, then exit 1" {
  events ev.ndjson 2000
  gzip -c ev.ndjson | head -c 20000 > cut.gz
  run -1 --separate-stderr sp-ingest cut.gz
  [[ $stderr == *"cut.gz: "*"truncated gzip data"* ]] || [[ $stderr == *"cut.gz"* ]]
  (( $(printf '%s\n' "$output" | wc -l) > 10 ))
}

@test "checkpoint: each run reads exactly what was added since the last one" {
  lines app.log 1 100
  sp-ingest app.log --checkpoint ck.json > run1.ndjson
  expect_n run1.ndjson 1 100
  [[ $(stat -c %a ck.json) == 600 ]]
  jq -e '.version == 1 and (.files | length) == 1 and .files[0].offset > 0 and .files[0].line == 100' ck.json
  run -0 sp-ingest app.log --checkpoint ck.json
  assert_output ""
  lines app.log 101 150
  sp-ingest app.log --checkpoint ck.json > run2.ndjson
  expect_n run2.ndjson 101 150
}

@test "checkpoint: a partial last line waits for its newline; without a checkpoint it is written" {
  printf '{"n":1}\n{"n":' > app.log
  run -0 sp-ingest app.log --format raw
  assert_output $'{"message":"{\\"n\\":1}"}\n{"message":"{\\"n\\":"}'
  run -0 --separate-stderr sp-ingest app.log --checkpoint ck.json
  assert_output '{"n":1}'
  printf '2}\n' >> app.log
  run -0 sp-ingest app.log --checkpoint ck.json
  assert_output '{"n":2}'
}

@test "checkpoint: --flush-partial-after writes a last line that stopped growing" {
  printf '{"n":1}\n{"n":2}' > app.log
  touch -d '1 minute ago' app.log
  run -0 sp-ingest app.log --checkpoint ck.json --flush-partial-after 30s
  assert_output $'{"n":1}\n{"n":2}'
}

@test "checkpoint: a file rotated (renamed) while sp-ingest was stopped is finished first" {
  lines app.log 1 10
  sp-ingest app.log --checkpoint ck.json > out.ndjson
  lines app.log 11 20
  mv app.log app.log.1
  lines app.log 21 25
  sp-ingest app.log --checkpoint ck.json >> out.ndjson
  expect_n out.ndjson 1 25
}

@test "checkpoint: a file copied and truncated while stopped continues in the copy" {
  lines app.log 1 10
  sp-ingest app.log --checkpoint ck.json > out.ndjson
  lines app.log 11 20
  cp app.log app.log.1 && : > app.log
  lines app.log 21 25
  sp-ingest app.log --checkpoint ck.json >> out.ndjson
  expect_n out.ndjson 1 25
  # and again, now with a glob that matches the copy: nothing is read twice
  sp-ingest 'app.log*' --checkpoint ck.json >> out.ndjson
  expect_n out.ndjson 1 25
}

@test "checkpoint: a copy that reuses the inode of an empty file in the checkpoint is still a copy" {
  # A rotated empty file is checkpointed at offset 0, then deleted; the file system soon gives
  # its inode to a new file, such as the copy copytruncate makes. Simulated here by adding such
  # an entry, with the copy's inode, to the checkpoint: the copy must continue where app.log
  # stopped, not be read from 0 because of the inode.
  lines app.log 1 30
  sp-ingest 'app.log*' --checkpoint ck.json > out.ndjson
  cp app.log app.log.1 && : > app.log
  lines app.log 31 35
  python3 - "$(stat -c '%d %i' app.log.1)" <<'PY'
import json, sys
dev, ino = map(int, sys.argv[1].split())
ck = json.load(open("ck.json"))
ck["files"].append({"path": "app.log.9", "dev": dev, "ino": ino, "head_len": 0, "head": "0000000000000000",
                    "tail_len": 0, "tail": "cbf29ce484222325", "offset": 0, "line": 0})
json.dump(ck, open("ck.json", "w"))
PY
  sp-ingest 'app.log*' --checkpoint ck.json >> out.ndjson
  expect_n out.ndjson 1 35
}

@test "checkpoint: with an exact path, a copy that reuses the inode of an empty file in the checkpoint is still a copy" {
  # As above, but only app.log is named: the copy is found in the directory through the entry
  # with its inode, whose offset 0 says nothing about what it holds (model seed 6).
  lines app.log 1 30
  sp-ingest app.log --checkpoint ck.json > out.ndjson
  cp app.log app.log.1 && : > app.log
  lines app.log 31 35
  python3 - "$(stat -c '%d %i' app.log.1)" <<'PY'
import json, sys
dev, ino = map(int, sys.argv[1].split())
ck = json.load(open("ck.json"))
ck["files"].insert(0, {"path": "app.log", "dev": dev, "ino": ino, "head_len": 0, "head": "0000000000000000",
                       "tail_len": 0, "tail": "cbf29ce484222325", "offset": 0, "line": 0})
json.dump(ck, open("ck.json", "w"))
PY
  sp-ingest app.log --checkpoint ck.json >> out.ndjson
  expect_n out.ndjson 1 35
}

@test "checkpoint: a file replaced in place (same size, new content) is read again from 0" {
  printf '{"n":1}\n' > app.log
  sp-ingest app.log --checkpoint ck.json > out.ndjson
  printf '{"n":2}\n' > app.log
  sp-ingest app.log --checkpoint ck.json >> out.ndjson
  expect_n out.ndjson 1 2
}

@test "checkpoint: compressed files are not read twice" {
  lines app.log 1 50
  gzip -c app.log > app.log.1.gz
  run -0 sp-ingest app.log.1.gz --checkpoint ck.json -o out.ndjson
  run -0 sp-ingest app.log.1.gz --checkpoint ck.json
  assert_output ""
  expect_n out.ndjson 1 50
}

@test "checkpoint: --from-end skips what files hold at the first start only" {
  lines app.log 1 10
  printf '{"n":' >> app.log
  run -0 sp-ingest app.log --checkpoint ck.json --from-end
  assert_output ""
  printf '11}\n' >> app.log
  lines app.log 12 13
  sp-ingest app.log --checkpoint ck.json --from-end > out.ndjson
  expect_n out.ndjson 11 13
}

@test "checkpoint: in use by another process, or corrupt: exit 1 with a clear message" {
  lines app.log 1 3
  exec 9> ck.json.lock
  flock -x 9
  run -1 sp-ingest app.log --checkpoint ck.json
  assert_output --partial "checkpoint is in use by another process"
  exec 9>&-
  echo 'garbage' > ck.json
  run -1 sp-ingest app.log --checkpoint ck.json
  assert_output --partial "ck.json: not a valid checkpoint file"
}

@test "--from-beginning and --from-end exclude each other" {
  run -2 sp-ingest --from-beginning --from-end x.log
  assert_output --partial "sp-ingest:"
}

@test "follow: appended lines arrive, and SIGTERM exits 0 with the checkpoint written" {
  lines app.log 1 5
  start_ingest app.log --checkpoint ck.json
  wait_lines 5
  lines app.log 6 9
  wait_lines 9
  stop_ingest
  expect_n out.ndjson 1 9
  jq -e '.files[0].line == 9' ck.json
  lines app.log 10 12
  start_ingest app.log --checkpoint ck.json
  wait_lines 12
  stop_ingest
  expect_n out.ndjson 1 12
}

@test "follow: rename + create (logrotate create), the rotated file still being written" {
  lines app.log 1 5
  start_ingest app.log --rotate-wait 1s
  wait_lines 5
  exec 8>> app.log             # a writer that keeps its descriptor across the rotation
  mv app.log app.log.1
  lines app.log 6 8            # the new file
  printf '{"n":9}\n' >&8       # the old writer, still writing to the rotated file
  printf '{"n":10}\n' >&8
  exec 8>&-
  wait_lines 10
  stop_ingest
  expect_n out.ndjson 1 10
}

@test "follow: copytruncate loses nothing and repeats nothing (the copy is found)" {
  lines app.log 1 5
  start_ingest app.log
  wait_lines 5
  kill -STOP "$PID"            # logrotate copies and truncates while we are not looking
  lines app.log 6 10
  cp app.log app.log.1 && : > app.log
  lines app.log 11 12
  kill -CONT "$PID"
  wait_lines 12
  stop_ingest
  expect_n out.ndjson 1 12
}

@test "follow: copytruncate with a glob that matches the copy" {
  lines app.log 1 5
  start_ingest 'app.log*'
  wait_lines 5
  lines app.log 6 8
  cp app.log app.log.1
  : > app.log
  lines app.log 9 10
  wait_lines 10
  sleep 0.3
  stop_ingest
  expect_n out.ndjson 1 10
}

@test "follow: a new file replaced before it is first read is fingerprinted as it is read, not repeated at a restart" {
  # A new file that starts like the live file but is shorter than its position looks like a
  # copy still being made: sp-ingest opens it and waits. Replaced in place meanwhile (same
  # inode, new content), it is read from 0 once it stops changing; its checkpoint entry must
  # fingerprint the content that was read (not what the file held when it was opened), else
  # the restart takes it for new content and reads it again.
  lines app.log 1 40
  start_ingest 'app.log*' --checkpoint ck.json --checkpoint-interval 100ms
  wait_lines 40
  head -c 300 app.log > copy.tmp && mv copy.tmp app.log.1  # whole when it is opened
  local i
  for ((i = 0; i < 200; i++)); do
    ls -l /proc/"$PID"/fd 2>/dev/null | grep -q 'app\.log\.1$' && break
    sleep 0.05
  done
  ((i < 200)) || fail "sp-ingest did not open app.log.1: $(cat err.txt)"
  : > app.log.1                # same inode, new content, before it was decided
  lines app.log.1 100 105
  wait_lines 46
  sleep 0.3
  stop_ingest
  start_ingest 'app.log*' --checkpoint ck.json
  sleep 2                      # a new file is decided once it has not changed for 1 s
  stop_ingest
  diff <(sort out.ndjson) <({ seq 1 40; seq 100 105; } | sed 's/.*/{"n":&}/' | sort) ||
    fail "lines lost or repeated: $(cat err.txt)"
}

@test "follow: truncation in place, delete + recreate, and new files matching a glob" {
  lines app.log 1 3
  start_ingest 'app*.log'
  wait_lines 3
  : > app.log
  lines app.log 4 5
  wait_lines 5
  rm app.log
  lines app.log 6 7
  wait_lines 7
  lines app2.log 8 9
  wait_lines 9
  stop_ingest
  expect_n out.ndjson 1 9
}

@test "follow: a file truncated, then renamed and finished, is not read again at a restart (exact path)" {
  # The truncation leaves the old content's position to look for its copy; the new content of
  # the same inode is read, renamed away and finished. The restart meets that inode through the
  # old position and must continue at the end of what was read, not read it again from 0.
  lines app.log 1 5
  start_ingest app.log -v --checkpoint ck.json --checkpoint-interval 100ms --rotate-wait 300ms
  wait_lines 5
  : > app.log
  sleep 0.3
  lines app.log 6 8
  wait_lines 8
  mv app.log app.log.1
  lines app.log 9 10
  wait_lines 10
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q 'finished (rotated away' err.txt && break
    sleep 0.05
  done
  ((i < 100)) || fail "app.log.1 was not finished: $(cat err.txt)"
  sleep 0.3
  stop_ingest
  start_ingest app.log --checkpoint ck.json
  sleep 1.5                    # a new file is decided once it has not changed for 1 s
  stop_ingest
  expect_n out.ndjson 1 10
}

@test "follow: polling only (--no-inotify) sees growth and rotation" {
  lines app.log 1 3
  start_ingest app.log --no-inotify --poll-interval 100ms --rotate-wait 300ms
  wait_lines 3
  lines app.log 4 5
  mv app.log app.log.1
  lines app.log 6 7
  wait_lines 7
  stop_ingest
  expect_n out.ndjson 1 7
}

@test "follow: a file created since the last poll is in the checkpoint written at the stop" {
  # Polling sees the new app.log only at its next look; stopped before that, sp-ingest must
  # still record it (empty, at 0), or its lines are lost when it is rotated while stopped.
  lines app.log 1 3
  start_ingest app.log --checkpoint ck.json --no-inotify --poll-interval 30s
  wait_lines 3
  mv app.log app.log.1
  : > app.log
  stop_ingest
  lines app.log 4 6
  mv app.log app.log.2
  lines app.log 7 8
  sp-ingest app.log --checkpoint ck.json >> out.ndjson 2>> err.txt
  expect_n out.ndjson 1 8
}

@test "follow: a file that does not exist yet is waited for" {
  start_ingest later.log
  sleep 0.3
  lines later.log 1 2
  wait_lines 2
  stop_ingest
  expect_n out.ndjson 1 2
}

@test "follow: a partial line is held until its newline; --flush-partial-after writes it" {
  printf '{"n":1}\n{"n"' > app.log
  start_ingest app.log
  wait_lines 1
  printf ':2}\n' >> app.log
  wait_lines 2
  stop_ingest
  expect_n out.ndjson 1 2
  rm out.ndjson
  printf '{"n":3}' > b.log
  start_ingest b.log --flush-partial-after 200ms
  wait_lines 1
  stop_ingest
  expect_n out.ndjson 3 3
}

@test "an overlong line is rejected with its file, line and offset; the next lines are read" {
  { printf '{"n":1}\n{"big":"'; head -c 3000000 /dev/zero | tr '\0' x; printf '"}\n{"n":2}\n'; } > app.log
  run -0 --separate-stderr sp-ingest app.log --max-line-bytes 1M --dead-letter dl.ndjson --stats
  assert_output $'{"n":1}\n{"n":2}'
  run jq -c '[.source, .line, .offset, .raw_truncated, .raw_bytes]' dl.ndjson
  assert_output '["app.log",2,8,true,3000010]'
}

@test "invalid UTF-8 and malformed JSON go to the dead letter with the exact bytes" {
  printf '{"a":"caf\xe9"}\n{"ok":1}\n{"a":\n' > in.log
  run -0 --separate-stderr sp-ingest in.log --dead-letter dl.ndjson --stats
  assert_output '{"ok":1}'
  [[ $(jq -r .line dl.ndjson | tr '\n' ' ') == "1 3 " ]]
  [[ $(jq -r .raw_base64 dl.ndjson | head -1 | base64 -d | od -An -tx1 | tr -d ' \n') == *e9* ]]
  [[ $stderr == *'"records_in":3,"records_out":1,"rejected":2'* ]]
}

@test "empty lines and CRLF endings" {
  printf '{"n":1}\r\n\n   \n{"n":2}\r\n' > in.log
  run -0 --separate-stderr sp-ingest in.log --stats
  assert_output $'{"n":1}\n{"n":2}'
  [[ $stderr == *'"empty_lines":2'* ]]
}

@test "a closed stdout ends quietly with exit 0; the checkpoint covers only what was written" {
  events ev.ndjson 200000
  run -0 bash -c 'sp-ingest ev.ndjson --checkpoint ck.json | head -1'
  [[ $(wc -l <<< "$output") == 1 ]]
}
