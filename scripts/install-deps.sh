#!/usr/bin/env bash
# Installs the Debian 12 packages birnn needs, only those missing (idempotent; apt-get update runs
# only when something must be installed). Usage: scripts/install-deps.sh [--peers]
#   --peers  also the benchmark peers: PyTorch (python3-torch) with OpenBLAS beside it (without
#            libopenblas0-pthread, PyTorch falls back to the reference BLAS and is ~30x slower).
set -euo pipefail

packages=(g++ cmake make pkg-config libgtest-dev libbenchmark-dev libdnnl-dev libhwy-dev nlohmann-json3-dev)
if [[ "${1:-}" == "--peers" ]]; then
  packages+=(python3-torch python3-numpy libopenblas0-pthread)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
