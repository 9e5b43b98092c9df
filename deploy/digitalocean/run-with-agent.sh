#!/bin/sh
# Runs a backend and the replica-watch agent side by side in one container (App Platform has no
# sidecars). Usage: run-with-agent.sh <backend command...>
#
# Shipped beside the agent executable: /opt/replica-watch/ in the agent image (Dockerfile.agent),
# dist/agent-bin/ after `npm run package:agent`.
#
# - SIGTERM/SIGINT go to both (as SIGTERM): the backend drains, the agent sends its goodbye and
#   exits within 2 s, so the instance shows as "left" at once.
# - An agent that dies is started again after 1 s, 2 s, 4 s ... at most 30 s (back to 1 s once
#   it has run for a minute); the backend is never touched. An agent that exits 2 (a bad
#   environment) or cannot be executed (126, 127) is not restarted: no restart mends that.
# - When the backend exits on its own (a crash), the agent is killed without a goodbye: its
#   heartbeats stop and the instance is reported as gone, which is the truth.
# - The script exits with the backend's status (128 + n when a signal n killed it).
#   AGENT_ENABLED=false leaves the agent idle.
#
# Variables (besides the agent's own):
#   REPLICA_WATCH_AGENT          the agent executable (default: replica-watch-agent beside this
#                                script, else /opt/replica-watch/replica-watch-agent)
#   REPLICA_WATCH_AGENT_MAIN     a JavaScript agent to run with `node` instead (dist/agent/main.js)
#   AGENT_RESTART_DELAY_MS       the first restart delay (default 1000)
#   AGENT_RESTART_MAX_DELAY_MS   the cap on the restart delay (default 30000)
# Its own messages are JSON lines on stderr, like the agent's logs.
set -u

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <backend command...>" >&2
  exit 64
fi

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
agent_bin="${REPLICA_WATCH_AGENT:-}"
if [ -z "$agent_bin" ]; then
  agent_bin="$here/replica-watch-agent"
  [ -x "$agent_bin" ] || agent_bin=/opt/replica-watch/replica-watch-agent
fi
agent_main="${REPLICA_WATCH_AGENT_MAIN:-}"
first_delay_ms="${AGENT_RESTART_DELAY_MS:-1000}"
max_delay_ms="${AGENT_RESTART_MAX_DELAY_MS:-30000}"
case "$first_delay_ms$max_delay_ms" in
  '' | *[!0-9]*)
    echo "$0: AGENT_RESTART_DELAY_MS and AGENT_RESTART_MAX_DELAY_MS must be whole milliseconds" >&2
    exit 64
    ;;
esac
# An agent that ran this long before it died was healthy: its next restart starts the backoff anew.
healthy_after_s=60

# One JSON line on stderr. Only fixed words and numbers go in, so nothing needs escaping.
say() { # level message [extra JSON fields]
  printf '{"level":"%s","service":"run-with-agent","message":"%s"%s}\n' "$1" "$2" "${3:+,$3}" >&2
}

# Waits for process $1 and sets $status to its exit status. `wait` also returns when a trapped
# signal arrives (every trap sets $interrupted): then wait again, until a wait was not cut short.
# A 127 from that second wait means the first one had collected the exit after all.
interrupted=0
wait_for() {
  interrupted=0
  wait "$1" 2>/dev/null
  status=$?
  while [ "$interrupted" -eq 1 ]; do
    interrupted=0
    wait "$1" 2>/dev/null
    again=$?
    [ "$interrupted" -eq 0 ] || continue
    if [ "$again" -ne 127 ] || kill -0 "$1" 2>/dev/null; then status=$again; fi
  done
}

# Milliseconds as the seconds `sleep` takes (GNU and busybox sleep take fractions).
seconds() {
  printf '%d.%03d' "$(($1 / 1000))" "$(($1 % 1000))"
}

# The agent's keeper, a subshell: starts the agent and starts it again when it dies. SIGTERM
# (a stop) is passed on to the agent, which says goodbye; SIGUSR1 (the backend crashed) kills the
# agent without one. The traps only record and pass on; the loop acts on what they recorded,
# so a signal that comes while a child is being started is not lost.
keep_agent() {
  stop=
  child=
  trap 'interrupted=1; stop=term; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null' TERM
  trap 'interrupted=1; stop=kill; [ -z "$child" ] || kill -KILL "$child" 2>/dev/null' USR1
  delay_ms=$first_delay_ms
  while [ -z "$stop" ]; do
    started_s=$(date +%s)
    if [ -n "$agent_main" ]; then
      node "$agent_main" &
    else
      "$agent_bin" &
    fi
    child=$!
    case "$stop" in
      term) kill -TERM "$child" 2>/dev/null ;;
      kill) kill -KILL "$child" 2>/dev/null ;;
    esac
    wait_for "$child"
    child=
    [ -z "$stop" ] || break
    case "$status" in
      2)
        say error 'agent exited: bad environment, not restarted (see its message above)' '"status":2'
        return 0
        ;;
      126 | 127)
        say error 'agent could not be executed, not restarted' "\"status\":$status"
        return 0
        ;;
    esac
    [ "$(($(date +%s) - started_s))" -lt "$healthy_after_s" ] || delay_ms=$first_delay_ms
    say warn 'agent exited, restarting' "\"status\":$status,\"restart_in_ms\":$delay_ms"
    [ -z "$stop" ] || break
    sleep "$(seconds "$delay_ms")" &
    child=$!
    # A stop or a kill that came before $child was set found nothing to end: end the sleep here.
    [ -z "$stop" ] || kill -KILL "$child" 2>/dev/null
    wait_for "$child"
    child=
    delay_ms=$((delay_ms * 2))
    [ "$delay_ms" -le "$max_delay_ms" ] || delay_ms=$max_delay_ms
  done
  return 0
}

keeper=
backend=
stopping=0
forward() {
  interrupted=1
  stopping=1
  # shellcheck disable=SC2086 # unquoted on purpose: a process not started yet is left out
  kill -TERM $backend $keeper 2>/dev/null
}
# Installed before anything starts; a signal that comes before a process has started is passed
# on right after it starts.
trap forward TERM INT

keep_agent &
keeper=$!
[ "$stopping" -eq 0 ] || kill -TERM "$keeper" 2>/dev/null
"$@" &
backend=$!
[ "$stopping" -eq 0 ] || kill -TERM "$backend" 2>/dev/null

wait_for "$backend"
backend_status=$status

# A stop: the keeper waits for the agent's goodbye (at most 2 s). A crash: no goodbye.
[ "$stopping" -eq 1 ] || kill -USR1 "$keeper" 2>/dev/null
wait_for "$keeper"
exit "$backend_status"
