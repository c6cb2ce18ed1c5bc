# Shared setup for the bats tests: Debian's bats-support/bats-assert/bats-file, the build's
# programs first on PATH, a fresh temporary directory per test, no stray environment.
bats_require_minimum_version 1.5.0
bats_load_library() { load "/usr/lib/bats/$1/load"; }
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

: "${SP_BIN_DIR:?SP_BIN_DIR must name the build directory (ctest sets it)}"
: "${SP_SOURCE_DIR:?SP_SOURCE_DIR must name the source tree (ctest sets it)}"
SP_SHARED_DIR=${SP_SHARED_DIR:-$SP_SOURCE_DIR/../shared}
GEN_EVENTS=$SP_SHARED_DIR/bench/gen-events

setup() {
  export PATH="$SP_BIN_DIR:$PATH"
  export LC_ALL=C.UTF-8
  unset SP_CONFIG
  [[ -x $GEN_EVENTS ]] || fail "gen-events not found at $GEN_EVENTS (set SP_SHARED_DIR)"
  cd "$BATS_TEST_TMPDIR" || fail "no temp dir"
}

# Every program of the toolkit that this tree builds: sp, sp-validate, ...
sp_programs() {
  local f
  for f in "$SP_SOURCE_DIR"/tools/sp*.cpp; do
    basename "$f" .cpp
  done
}

# events FILE N [gen-events options...]: N generated events into FILE.
events() {
  local file=$1 n=$2
  shift 2
  "$GEN_EVENTS" --lines "$n" "$@" > "$file"
}

# The long and short options a program lists in --help (one per line).
help_options() {
  "$1" --help | grep -oE '(^|[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' | sed -E 's/^[ ,]//' | sort -u
}
