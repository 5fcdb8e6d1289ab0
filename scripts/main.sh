#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build, train the demo BiLSTM
# (loss falls epoch by epoch) and time one LSTM layer. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
echo
echo "== birnn demo: BiLSTM classifier on generated variable-length sequences =="
./build/birnn demo
echo
echo "== birnn bench: one LSTM layer, B=64 T=100 I=H=256, 1 thread (full peer comparison: bench/README.md) =="
./build/birnn bench --cell lstm --batch 64 --seq 100 --input 256 --hidden 256 --threads 1 --reps 5
