#!/usr/bin/env bats
# sp, the front door.

load test_helper

@test "sp alone lists the installed tools with one line each" {
  run -0 sp
  assert_line --regexp '^  validate +check records'
  # only the tools this tree builds are listed
  local t
  for t in match serve; do
    if [[ -f $SP_SOURCE_DIR/tools/sp-$t.cpp ]]; then
      assert_line --regexp "^  $t "
    else
      refute_line --regexp "^  $t "
    fi
  done
}

@test "sp TOOL runs sp-TOOL with the arguments and its exit status" {
  printf '{"a":1}\n{"a":\n' > in.ndjson
  run -0 sp validate -q in.ndjson
  assert_line '{"a":1}'
  run -3 sp validate --strict -q in.ndjson
  run -0 sp validate --version
  assert_output --partial "sp-validate "
}

@test "sp with an unknown tool or flag is a usage error" {
  run -2 sp nosuchtool
  assert_output --partial "'nosuchtool' is not a streampipe tool"
  run -2 sp --bogus
  assert_output --partial "unknown option '--bogus'"
  run -2 sp '../etc/passwd'
}

@test "sp --help and --version" {
  run -0 sp --help
  assert_output --partial "Usage: sp TOOL"
  run -0 sp --version
  assert_output --regexp '^sp [0-9]+\.[0-9]+\.[0-9]+ \(streampipe\)$'
}

@test "sp help TOOL shows the manual page" {
  run -0 env MANPAGER=cat MANWIDTH=80 sp help validate
  assert_output --partial "SP-VALIDATE"
  assert_output --partial "dead-letter"
  run -2 env MANPAGER=cat sp help nosuchtool
}
