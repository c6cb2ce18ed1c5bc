#!/usr/bin/env bats
# The sp-serve dashboard in a real browser (Debian's headless Chromium, driven by playwright-core
# from tests/node_modules): the table and the charts fill, then follow the stream. The
# screenshot is kept in the build directory (test-artifacts/). Nothing is skipped: no
# Chromium, or one that cannot start, is a failure.

load ../cli/test_helper

@test "dashboard in headless Chromium: table and charts update over SSE; screenshot saved" {
  [[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium is missing (tests/install-deps installs chromium)"
  [[ -d $SP_SOURCE_DIR/tests/node_modules/playwright-core ]] ||
    fail "playwright-core is missing (tests/install-deps runs npm ci in tests/)"
  mkdir -p "$SP_BIN_DIR/test-artifacts"
  local shot=$SP_BIN_DIR/test-artifacts/sp-serve-dashboard.png
  rm -f "$shot"
  run -0 node "$SP_SOURCE_DIR/tests/integration/sp-serve-browser.js" "$SP_BIN_DIR/sp-serve" "$shot"
  assert_output --partial "ok: 4 keys, 451 points"
  assert_file_exists "$shot"
  [[ $(file -b "$shot") == "PNG image data"* ]]
}
