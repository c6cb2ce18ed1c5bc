#!/usr/bin/env bats
# The model-based tailer test (tests/ingest/model_tailer.py): random appends, renames,
# copytruncates, truncations, deletes and restarts against a directory while
# `sp-ingest --follow --checkpoint` runs; the lines read must be exactly the lines written.

load test_helper

@test "model-based rotation test: nothing lost, nothing repeated, over several seeds" {
  # Seeds 1, 3, 11 and 18 use a glob with inotify; 2, 4 and 5 an exact path or polling; 6, 22
  # and 27 an exact path through truncations and rotations while stopped (about 50 s in all).
  local seeds=${SP_MODEL_SEEDS:-1,2,3,4,5,6,11,18,22,27}
  run python3 "$SP_SOURCE_DIR/tests/ingest/model_tailer.py" --bin "$SP_BIN_DIR/sp-ingest" \
    --seeds "$seeds" --ops "${SP_MODEL_OPS:-200}" --time-limit 400
  printf '%s\n' "$output" | grep -v '^sp-ingest: ' | sed 's/^/# /' >&3 || true
  ((status == 0)) || fail "$(printf '%s\n' "$output" | grep -v '^sp-ingest: ' | tail -40)"
}
