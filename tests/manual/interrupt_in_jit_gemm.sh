#!/usr/bin/env bash
# Manual reproduction (needs gdb and the charlm data): SIGINT sent to `birnn train charlm` at a moment when the
# main thread's stack pointer is inside the heap, which is where oneDNN's JIT GEMM code keeps it for part of
# each step (seen on an AVX2 CPU, Zen 1; tools/interrupt.hpp). gdb attaches repeatedly until it finds rsp in [heap], sends
# SIGINT with `kill` while the process is stopped there, and detaches. A birnn that took the signal with a
# handler on that thread (before commit 789fda3) aborted in the save that followed in 5 of 11 tries on Zen 1
# ("corrupted size vs. prev_size while consolidating"); with the sigwait thread all 9 tries stopped and saved.
# Usage: tests/manual/interrupt_in_jit_gemm.sh BIRNN TRIES   (BIRNN_DATA_DIR as for `birnn train`)
set -uo pipefail
birnn=$1 tries=${2:-5}
probe='python
import gdb
pid = gdb.selected_inferior().pid
sp = int(gdb.parse_and_eval("$sp"))
lo, hi = (int(x, 16) for x in next(l for l in open("/proc/%d/maps" % pid) if "[heap]" in l).split()[0].split("-"))
if lo <= sp < hi:
    print("RSP-IN-HEAP")
    gdb.execute("shell kill -INT %d" % pid)'
for t in $(seq 1 "$tries"); do
  out=$(mktemp -d)/run
  "$birnn" train charlm --seed 2 --threads 1 --out "$out" > "$out.log" 2>&1 &
  pid=$!
  sleep $((15 + RANDOM % 20))  # some steps in
  for _ in $(seq 1 200); do
    gdb -q -batch -p "$pid" -ex "$probe" 2> /dev/null | grep -q RSP-IN-HEAP && break
  done
  wait "$pid"
  echo "try $t: exit $? $(grep -E 'stopped at|corrupt|invalid pointer' "$out.log" | tr '\n' ' ')"
done
