#!/usr/bin/env bash
# Ctrl-C (SIGINT) and SIGTERM during `birnn train`: the run stops after the step in progress, saves OUT/last
# (no staged files left behind), exits 130 and says so; `--resume` picks up at the saved step, and a second
# interrupt of the resumed run saves again; five GEMM-heavy runs interrupted at random moments all stop and
# save; outside training (`birnn predict`) SIGINT ends the command at once. The signals come from outside, as
# a user's would, at whatever point of a step they land.
# CTest runs: interrupt.sh <path to birnn> <tests/data> <scratch folder>
set -euo pipefail
birnn=$1 data=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
run=$work/run
small=(charlm --data "$data/generic/charlm.txt" --limit 20 --hidden 16 --layers 1 --embedding 8 --batch 4
       --max-length 16 --threads 1 --epochs 100000 --out "$run")

fail() {
  echo "FAIL: $*" >&2
  echo "--- stdout:" >&2; cat "$work/out.txt" >&2
  echo "--- stderr:" >&2; cat "$work/err.txt" >&2
  exit 1
}

# Starts `birnn train ARGS`, waits until it reports progress (training is under way) and then `delay` more
# seconds, sends `signal`, and leaves the exit code in `rc`.
delay=0
train_then_signal() {
  local signal=$1
  shift
  "$birnn" train "$@" > "$work/out.txt" 2> "$work/err.txt" &
  local pid=$! waited=0
  until grep -Eq "^epoch [0-9]+/" "$work/out.txt" 2> /dev/null; do
    kill -0 "$pid" 2> /dev/null || fail "birnn train exited before it reported progress"
    ((waited++ < 1200)) || { kill -9 "$pid"; fail "no progress line within 120 s"; }
    sleep 0.1
  done
  sleep "$delay"
  kill -s "$signal" "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
}

check_stopped() {
  [[ $rc == 130 ]] || fail "expected exit 130 after $1, got $rc"
  grep -q "stopping after this step" "$work/err.txt" || fail "no 'stopping after this step' note after $1"
  grep -Eq "^stopped at step [0-9]+; $run/last is saved" "$work/out.txt" || fail "no 'stopped at step N' line after $1"
  for f in last.safetensors last.optim.safetensors last.json; do
    [[ -f $run/$f ]] || fail "$1: $run/$f was not saved"
  done
  if compgen -G "$run/*.partial.*" > /dev/null; then fail "$1 left staged files: $(ls "$run")"; fi
  "$birnn" info "$run/last" > /dev/null || fail "birnn info cannot read the checkpoint saved after $1"
}

train_then_signal INT "${small[@]}"
check_stopped SIGINT
step=$(sed -nE 's/^stopped at step ([0-9]+);.*/\1/p' "$work/out.txt")

# Resume, then SIGTERM (what `kill` and service managers send) stops the resumed run the same way.
train_then_signal TERM "${small[@]}" --resume
grep -Eq "^resumed $run/last after epoch [0-9]+ \(step $step\)" "$work/out.txt" ||
  fail "--resume did not start from the step saved at the interrupt ($step)"
check_stopped SIGTERM

# Interrupts landing anywhere in steps dominated by large GEMMs: each run stops cleanly and saves. (A signal
# handler on the computing thread, as birnn had, corrupted the heap when it landed inside oneDNN's JIT GEMM
# code: tools/interrupt.hpp.)
big=(charlm --data "$data/generic/charlm.txt" --hidden 256 --layers 2 --embedding 32 --batch 16 --max-length 64
     --threads 1 --epochs 100000)
for i in 1 2 3 4 5; do
  run=$work/big-$i
  delay=0.$((RANDOM % 10))
  train_then_signal INT "${big[@]}" --out "$run"
  check_stopped "SIGINT (GEMM-heavy run $i)"
done

# Outside training the signal ends the command at once, as its default action does: here `birnn predict`
# blocked reading a FIFO that no one writes.
mkfifo "$work/fifo"
exec 3<> "$work/fifo"  # a writer that never writes (opening read-write does not block)
"$birnn" predict "$work/run/last" "$work/fifo" > "$work/out.txt" 2> "$work/err.txt" &
pid=$!
sleep 1
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
exec 3>&-
[[ $rc == 130 ]] || fail "birnn predict: expected death by SIGINT (130) at once, got $rc"
echo "interrupt: SIGINT stopped at step $step, resumed from it, SIGTERM stopped the resumed run; 5 GEMM-heavy runs stopped cleanly; predict ended by SIGINT"
