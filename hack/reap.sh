#!/usr/bin/env bash
# Kills any process still running from an e2e or demo run directory. The harness stops everything itself and
# its children die with the test binary; this is the net for a test binary that was killed (e.g. a timeout).
set -u
dir=${1:?usage: reap.sh <run dir>}
# Component command lines name a run subdirectory (<name>-<UTC timestamp>); the shell that called this script
# names only the parent, so it is never matched.
pattern="$dir/[A-Za-z0-9_.-]+-[0-9]{8}T"
pids=$(pgrep -f -- "$pattern" || true)
[ -z "$pids" ] && exit 0
echo "reap.sh: stopping leftover processes: $(echo $pids)" >&2
kill $pids 2>/dev/null || true
sleep 2
kill -9 $(pgrep -f -- "$pattern") 2>/dev/null || true
