#!/usr/bin/env bash
# Runs the GraphQL federation gateway audit (graphql-hive/federation-gateway-audit)
# against Junction, or against one of the audit's own gateways for comparison.
#
#   bench/audit/run.sh                        # all suites against Junction
#   bench/audit/run.sh junction SUITE_ID      # one suite (e.g. requires-with-argument)
#   bench/audit/run.sh apollo-gateway         # all suites against @apollo/gateway
#
# This script fetches nothing: check the audit out first (see README.md) to
#   bench/audit/work/federation-gateway-audit     (or set AUDIT_DIR)
# Env: AUDIT_DIR, JUNCTION_BUILD=auto|1|0 (auto: build dist/ if gateway/src is newer),
#      JUNCTION_PLANNER=auto|hive|apollo (Junction's query planner; default auto),
#      GATEWAY_TIMEOUT (ms the audit waits for the health check; default here 30000).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
AUDIT="${AUDIT_DIR:-$HERE/work/federation-gateway-audit}"
GATEWAY="${1:-junction}"
SUITE="${2:-}"
GQL_PORT=4000   # where the audit expects the gateway
SUB_PORT=4200   # where the audit serves its subgraphs and supergraphs

if [[ ! -f "$AUDIT/src/cli.ts" ]]; then
  echo "audit not found at $AUDIT; check it out first, see $HERE/README.md" >&2
  exit 1
fi

# The audit kills whatever listens on the gateway port; refuse to run if anything does.
for p in "$GQL_PORT" "$SUB_PORT"; do
  if ss -Hltn "sport = :$p" | grep -q .; then
    echo "port $p is in use; free it first (the audit would kill its owner)" >&2
    exit 1
  fi
done

# 1. Prepare the audit copy once: drop devDependencies that are not on the
#    npm registry here (Cosmo's wgc, Hive's gateways), then npm install.
if [[ ! -f "$AUDIT/.junction-prepared" ]]; then
  (cd "$AUDIT" && node -e '
    const fs = require("fs");
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
    const drop = (n) => n === "wgc" || n.startsWith("@graphql-hive/") || n.startsWith("@wundergraph/");
    for (const n of Object.keys(pkg.devDependencies || {}))
      if (drop(n)) { delete pkg.devDependencies[n]; console.log("dropped devDependency " + n); }
    fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2) + "\n");
  ' && npm install --no-audit --no-fund)
  touch "$AUDIT/.junction-prepared"
fi

# 2. Junction: make sure dist/ is built, then write the audit's gateways/junction/.
if [[ "$GATEWAY" == junction ]]; then
  entry="$ROOT/dist/gateway/src/cli/main.js"
  build="${JUNCTION_BUILD:-auto}"
  if [[ "$build" == auto ]]; then
    if [[ ! -f "$entry" ]] || [[ -n "$(find "$ROOT/gateway/src" -newer "$entry" -print -quit)" ]]; then build=1; fi
  fi
  if [[ "$build" == 1 ]]; then (cd "$ROOT" && npm run build); fi

  gw="$AUDIT/gateways/junction"
  mkdir -p "$gw"
  cat > "$gw/gateway.json" <<EOF
{
  "name": "Junction",
  "graphql": "http://127.0.0.1:$GQL_PORT/graphql",
  "health": "http://127.0.0.1:$GQL_PORT/healthz"
}
EOF
  printf 'echo "OK"\n' > "$gw/install.sh"
  # The audit runs this with sh, in this folder, with the suite id as $1.
  # It uses the absolute bin path (npx cannot resolve junction from the audit).
  cat > "$gw/run.sh" <<EOF
npm start supergraph -- --cwd ./gateways/junction --test \$1
exec node "$ROOT/bin/junction.js" --supergraph supergraph.graphql --port $GQL_PORT --planner ${JUNCTION_PLANNER:-auto}
EOF
  printf 'logs/\nsupergraph.graphql\nresults.txt\n' > "$gw/.gitignore"
fi

[[ -f "$AUDIT/gateways/$GATEWAY/gateway.json" ]] || { echo "no gateway $GATEWAY in the audit" >&2; exit 1; }
graphql="$(node -p "require('$AUDIT/gateways/$GATEWAY/gateway.json').graphql")"
health="$(node -p "require('$AUDIT/gateways/$GATEWAY/gateway.json').health")"

# 3. Run the suites in a process group of their own, so that everything the
#    audit starts (subgraph server, gateways) is ended when we finish.
export NODE_OPTIONS="--import $HERE/polyfill.mjs${NODE_OPTIONS:+ $NODE_OPTIONS}"
export GATEWAY_TIMEOUT="${GATEWAY_TIMEOUT:-30000}"
rm -rf "$AUDIT/gateways/$GATEWAY/logs"
if [[ -n "$SUITE" ]]; then
  args=(test-suite --test "$SUITE" --reporter tap)
else
  args=(test --reporter dot --write results.txt)
fi
# Before each suite the audit pipes `lsof -i tcp:4000 | grep LISTEN | awk | xargs kill`;
# with nothing listening, kill prints its usage to stderr: drop that noise.
noise='^(xargs - |Usage:$| kill \[options\]|Options:$| <pid> | -<signal>| +specify the <signal>| -[qlLhV], |For more details see kill)'
cd "$AUDIT"
setsid npm start -- "${args[@]}" --cwd "./gateways/$GATEWAY" --run-script ./run.sh \
  --graphql "$graphql" --healthcheck "$health" 2> >(grep --line-buffered -Ev "$noise" >&2) &
pgid=$!
cleanup() {
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- "-$pgid" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
status=0
wait "$pgid" || status=$?
cleanup

# 4. Score and the failing tests (the TAP logs hold the query and the diff).
logs="$AUDIT/gateways/$GATEWAY/logs"
echo
if [[ -z "$SUITE" ]]; then
  sed -n '/^---$/,$p' "$AUDIT/gateways/$GATEWAY/results.txt"; echo
fi
echo "Failing tests (details in $logs/<suite>-tests.log):"
grep -h '^ *not ok .*_[0-9]*$' "$logs"/*-tests.log 2>/dev/null | sed 's/^ *not ok [0-9]* - /  /' || echo "  none"
exit "$status"
