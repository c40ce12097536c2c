#!/usr/bin/env bash
# Compiles every SRC_DIR/*.cu into OUT_DIR/<name>.fatbin with SASS for sm_80 and sm_90 plus compute_90 PTX
# (shared/docs/backend-notes.md: nvcc 13 emits PTX ISA 9.0, which only CUDA 13 drivers JIT, so SASS must ship).
# Called by the Maven profile "nvcc" (active when /usr/local/cuda/bin/nvcc exists) and by gpu-check.sh.
#   build-fatbin.sh SRC_DIR OUT_DIR INCLUDE_DIR
# Skips a fatbin that is newer than its .cu and every header in INCLUDE_DIR and SRC_DIR. Without nvcc it says so
# and exits 0: the build still passes, and the CUDA implementations report that their kernels are missing.
set -euo pipefail
src="$1" out="$2" inc="$3"
shopt -s nullglob
sources=("$src"/*.cu)
[ ${#sources[@]} -eq 0 ] && exit 0

nvcc_bin="${NVCC:-}"
if [ -z "$nvcc_bin" ]; then
  nvcc_bin="$(command -v nvcc || true)"
  [ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc_bin=/usr/local/cuda/bin/nvcc
fi
if [ -z "$nvcc_bin" ]; then
  echo "build-fatbin: nvcc not found (set NVCC or PATH); CUDA kernels in $src not built" >&2
  exit 0
fi

mkdir -p "$out"
headers=("$inc"/*.cuh "$src"/*.cuh)
for cu in "${sources[@]}"; do
  name="$(basename "$cu" .cu)"
  fatbin="$out/$name.fatbin"
  stale=""
  if [ ! -f "$fatbin" ]; then
    stale=1
  else
    for dep in "$cu" "${headers[@]}" "$0"; do
      [ "$dep" -nt "$fatbin" ] && stale=1
    done
  fi
  [ -z "$stale" ] && continue
  start=$(date +%s)
  tmp="$fatbin.tmp.$$"
  # shellcheck disable=SC2086  # NVCC_EXTRA: extra flags, e.g. "--threads 0" on a many-core machine
  "$nvcc_bin" -fatbin -O3 -std=c++17 ${NVCC_EXTRA:-} -I "$inc" \
    -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
    -o "$tmp" "$cu"
  mv -f "$tmp" "$fatbin"
  echo "build-fatbin: $cu -> $fatbin ($(stat -c %s "$fatbin") bytes, $(( $(date +%s) - start )) s)" >&2
done
