#!/usr/bin/env bats
# The shared command-line contract, checked for every program this tree builds.

load test_helper

@test "every program answers --help with usage and exit 0" {
  for p in $(sp_programs); do
    run -0 "$p" --help
    assert_output --partial "Usage:"
  done
}

@test "every program answers --version with its name and the project version" {
  local version
  version=$(sed -nE 's/^project\(streampipe VERSION ([0-9.]+).*/\1/p' "$SP_SOURCE_DIR/CMakeLists.txt")
  [[ -n $version ]]
  for p in $(sp_programs); do
    run -0 "$p" --version
    assert_output "$p $version (streampipe)"
  done
}

@test "every program rejects an unknown flag with exit 2 and a message naming it" {
  for p in $(sp_programs); do
    run -2 "$p" --no-such-flag
    assert_output --partial "$p:"
    assert_output --partial "--no-such-flag"
  done
}

@test "every sp-* program rejects a bad option value with exit 2" {
  for p in $(sp_programs); do
    [[ $p == sp ]] && continue
    run -2 "$p" --metrics-interval soon
    assert_output --partial "$p: --metrics-interval"
  done
}

@test "every program has a man page that documents every option of --help" {
  for p in $(sp_programs); do
    assert_file_exists "$SP_SOURCE_DIR/man/$p.1"
    # roff writes '-' as '\-'; undo that to compare.
    sed 's/\\-/-/g' "$SP_SOURCE_DIR/man/$p.1" > page.txt
    for opt in $(help_options "$p"); do
      grep -qE -- "(^|[^a-zA-Z0-9-])$opt([^a-zA-Z0-9-]|\$)" page.txt || fail "man/$p.1 does not mention $opt"
    done
  done
}

@test "man pages render without warnings" {
  for p in $(sp_programs); do
    run -0 bash -c "MANWIDTH=80 man --warnings -l '$SP_SOURCE_DIR/man/$p.1' 2>&1 >/dev/null"
    assert_output ""
  done
}

@test "the examples in every man page run" {
  events events.ndjson 200
  "$GEN_EVENTS" --lines 200 --bad-rate 0.2 --seed 3 > mixed.ndjson
  cp "$SP_SHARED_DIR/bench/events.schema.json" "$SP_SHARED_DIR/bench/users.csv" .
  for p in $(sp_programs); do
    # Example commands are the lines of .EX blocks that start with '$ '.
    awk '/^\.EX/{ex=1; next} /^\.EE/{ex=0} ex && /^\$ /{sub(/^\$ /, ""); print}' "$SP_SOURCE_DIR/man/$p.1" |
      sed 's/\\-/-/g; s/\\e/\\/g' > examples.sh
    [[ -s examples.sh ]] || fail "man/$p.1 has no runnable examples"
    while IFS= read -r cmd; do
      run bash -o pipefail -c "$cmd"
      # 141: a stage before `| head` was killed by SIGPIPE when head exited early (a race, not
      # a failure); a crash would show as 134 or 139.
      (( status == 0 || status == 3 || status == 141 )) || fail "example in man/$p.1 failed ($status): $cmd: $output"
    done < examples.sh
  done
}

@test "--complete lists every option of --help, and the hidden flag stays out of --help" {
  for p in $(sp_programs); do
    run -0 "$p" --complete
    for opt in $(help_options "$p"); do
      assert_line --regexp "^$opt"$'(\t|$)'
    done
    run -0 "$p" --help
    refute_output --partial -- "--complete"
  done
}

@test "bash completion completes every option of every program" {
  source "$SP_SOURCE_DIR/completions/sp.bash"
  for p in $(sp_programs); do
    COMP_WORDS=("$p" "-")
    COMP_CWORD=1
    COMPREPLY=()
    _sp
    for opt in $(help_options "$p"); do
      [[ " ${COMPREPLY[*]} " == *" $opt "* ]] || fail "bash completion of $p misses $opt"
    done
  done
}

@test "bash completion: sp completes tool names, then the tool's options and choices" {
  source "$SP_SOURCE_DIR/completions/sp.bash"
  COMP_WORDS=(sp va) COMP_CWORD=1 COMPREPLY=()
  _sp
  [[ " ${COMPREPLY[*]} " == *" validate "* ]] || fail "got: ${COMPREPLY[*]}"
  COMP_WORDS=(sp validate --dead) COMP_CWORD=2 COMPREPLY=()
  _sp
  [[ " ${COMPREPLY[*]} " == *" --dead-letter "* ]] || fail "got: ${COMPREPLY[*]}"
  COMP_WORDS=(sp-validate --compress "") COMP_CWORD=2 COMPREPLY=()
  _sp
  [[ "${COMPREPLY[*]}" == "none zstd" ]] || fail "got: ${COMPREPLY[*]}"
}

@test "zsh completion defines a spec for every option of every program" {
  run -0 zsh -n "$SP_SOURCE_DIR/completions/_sp"
  for p in $(sp_programs); do
    [[ $p == sp ]] && continue
    # Replace _arguments with a printer, then run the completion function for $p.
    run -0 zsh -fc "_arguments() { shift 2; print -rl -- \"\$@\" }
      source <(sed '\$d' '$SP_SOURCE_DIR/completions/_sp')
      _sp_program $p"
    for opt in $(help_options "$p"); do
      assert_line --regexp "^${opt}\\["
    done
  done
}
