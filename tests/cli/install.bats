#!/usr/bin/env bats
# `cmake --install` and `cpack -G DEB` put programs, man pages and completions where users
# and their package manager expect them.

load test_helper

@test "cmake --install installs every program, its man page and the completions" {
  run -0 cmake --install "$SP_BIN_DIR" --prefix "$BATS_TEST_TMPDIR/prefix"
  for p in $(sp_programs); do
    assert_file_executable "prefix/bin/$p"
    assert_file_exists "prefix/share/man/man1/$p.1"
    assert_file_exists "prefix/share/bash-completion/completions/$p"
  done
  assert_file_exists prefix/share/zsh/vendor-completions/_sp
  # The installed front door finds the installed tools and pages.
  run -0 prefix/bin/sp
  assert_line --regexp '^  validate '
  run -0 env MANPAGER=cat prefix/bin/sp help validate
  assert_output --partial "SP-VALIDATE"
}

@test "cpack -G DEB builds a package with the programs and runtime dependencies" {
  cp -r "$SP_BIN_DIR/CPackConfig.cmake" .
  # gzip instead of the default xz: the same package, compressed in a fraction of the time.
  run -0 cpack -G DEB -D CPACK_DEBIAN_COMPRESSION_TYPE=gzip -B "$BATS_TEST_TMPDIR/pkg" --config "$SP_BIN_DIR/CPackConfig.cmake"
  local deb
  deb=$(ls pkg/*.deb)
  [[ -n $deb ]]
  run -0 dpkg-deb -I "$deb"
  assert_line --regexp '^ Package: streampipe$'
  assert_line --regexp '^ Depends: .*libsimdjson'
  assert_line --regexp '^ Depends: .*libzstd'
  run -0 dpkg-deb -c "$deb"
  assert_output --partial "./usr/bin/sp-validate"
  assert_output --partial "./usr/share/man/man1/sp-validate.1"
  assert_output --partial "./usr/share/bash-completion/completions/sp-validate"
}
