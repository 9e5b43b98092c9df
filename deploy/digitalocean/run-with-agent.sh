#!/bin/sh
# Runs a backend and the replica-watch agent side by side in one container (App Platform has no
# sidecars). Usage: run-with-agent.sh <backend command...>
#
# - SIGTERM/SIGINT go to both: the backend drains, the agent sends its goodbye and exits within
#   2 s, so the instance shows as "left" at once.
# - When the backend exits on its own (a crash), the agent is killed without a goodbye: its
#   heartbeats stop and the instance is reported as gone, which is the truth.
# - The script exits with the backend's status. AGENT_ENABLED=false leaves the agent idle.
set -u

AGENT_MAIN="${REPLICA_WATCH_AGENT_MAIN:-/opt/replica-watch/dist/agent/main.js}"

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <backend command...>" >&2
  exit 64
fi

agent=
backend=
stopping=0
forward() {
  stopping=1
  # shellcheck disable=SC2086 # unquoted on purpose: a process not started yet is left out
  kill -TERM $backend $agent 2>/dev/null
}
# Installed before anything starts, so no signal can slip past both processes.
trap forward TERM INT

node "$AGENT_MAIN" &
agent=$!
"$@" &
backend=$!

# `wait` returns early when a trapped signal arrives: wait again while the backend still runs.
while :; do
  wait "$backend"
  status=$?
  kill -0 "$backend" 2>/dev/null || break
done

if [ "$stopping" -eq 1 ]; then
  wait "$agent" 2>/dev/null
else
  kill -KILL "$agent" 2>/dev/null
  wait "$agent" 2>/dev/null
fi
exit "$status"
