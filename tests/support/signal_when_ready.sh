#!/usr/bin/env bash
# signal_when_ready.sh SIGNAL COMMAND... — runs COMMAND, waits until it has installed a
# handler for SIGNAL (its SigCgt mask in /proc says so), sends SIGNAL, and exits with
# COMMAND's status. A fixed delay instead (`timeout 0.5`) races a slow start-up, such as
# a sanitizer build's, and kills the process before its handler exists. Bounded: after
# 30 s without a handler the signal is sent anyway, and the test sees the difference.
set -u
sig=$1
shift
num=$(kill -l "$sig")
"$@" &
pid=$!
for _ in $(seq 600); do
  mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || break
  [ -n "$mask" ] || break
  if (( (16#$mask >> (num - 1)) & 1 )); then
    sleep 0.2  # let the run get going, so that there is something to summarize
    break
  fi
  sleep 0.05
done
kill -s "$sig" "$pid" 2>/dev/null
wait "$pid"
