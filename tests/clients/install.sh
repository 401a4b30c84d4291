#!/bin/sh
# install.sh: install the pinned client packages (openai, @anthropic-ai/sdk,
# @anthropic-ai/claude-code) into tests/clients/node_modules with `npm ci`.
#
# Fast path: when node_modules was installed from exactly this package.json
# and package-lock.json (a stamp holds their checksum) and Claude Code runs,
# nothing is done. Concurrent callers (parallel meson tests) are serialised
# with flock.
#
# SPDX-License-Identifier: GPL-3.0-or-later

set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

stamp=node_modules/.lp-install-stamp
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)

current () {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] || return 1
  node -e "
    const h = require('node:path').resolve('harness.mjs');
    import(h).then((m) => { m.claudeBin(); }).catch((e) => { console.error(e.message); process.exit(1); });
  " >/dev/null 2>&1
}

if current; then
  exit 0
fi

lock="${TMPDIR:-/tmp}/lingma-ipc-proxy-clients-npm.lock"
exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

# Another caller may have finished the install while this one waited.
if current; then
  exit 0
fi

echo "install.sh: npm ci in $here" >&2
rm -f "$stamp"
npm ci --no-audit --no-fund >&2

node -e "
  import(require('node:path').resolve('harness.mjs')).then((m) => {
    const bin = m.claudeBin();
    console.error('install.sh: Claude Code at ' + bin);
  }).catch((e) => { console.error('install.sh: ' + e.message); process.exit(1); });
"

echo "$want" > "$stamp"
