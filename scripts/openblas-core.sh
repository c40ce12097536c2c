#!/usr/bin/env bash
# scripts/openblas-core.sh [--export] [CPUINFO]
#
# Prints the OpenBLAS kernel set (an OPENBLAS_CORETYPE value) this machine should use, or nothing where OpenBLAS's
# own detection is right. With --export it prints `export OPENBLAS_CORETYPE=...` instead, and nothing when the
# variable is set already (a value you set, even an empty one, is left alone): the launcher (./cottention), .ci/run
# and the scripts that start java themselves run `eval "$(scripts/openblas-core.sh --export)"`.
#
# Why: ND4J 1.0.0-M2.1 loads OpenBLAS 0.3.19, whose run-time CPU detection knows the x86 models of early 2022. On
# a model it does not know it falls back to its oldest kernels ("Prescott", SSE3) without a word. Measured on an
# Intel Xeon of family 6, model 207 (AVX-512), 2026-12-06: a 1024^3 float32 product on one thread ran at 21-34
# GFLOP/s with the fallback and 115-166 with the SkylakeX kernels, and a BERT pretraining step (L4 E128, s 128,
# batch 32) took 2.2x as long (3,380 against 7,383 tokens/s). `OPENBLAS_VERBOSE=2 ./cottention ...` prints the
# kernels OpenBLAS picked.
#
# The rule, from /proc/cpuinfo (or the file CPUINFO):
#   Intel, family 6, with AVX-512 F/BW/VL/DQ/CD -> SkylakeX (what 0.3.19 picks on every AVX-512 Intel it knows;
#                                                Cooper Lake's extra bfloat16 kernels are not used here)
#   Intel, family 6, with AVX2 and FMA         -> Haswell  (what it picks on every AVX2 Intel it knows)
#   AMD, family 0x1A or later, with AVX2       -> Zen      (0.3.19 knows families 0x17 and 0x19 and picks Zen)
#   anything else                              -> nothing  (OpenBLAS decides)
set -euo pipefail
export_line=""
if [ "${1:-}" = --export ]; then
  export_line=1
  shift
  [ -z "${OPENBLAS_CORETYPE+x}" ] || exit 0
fi
cpuinfo="${1:-/proc/cpuinfo}"
[ -r "$cpuinfo" ] || exit 0
first_cpu="$(awk '/^$/ { exit } { print }' "$cpuinfo")"
field() { printf '%s\n' "$first_cpu" | sed -n "s/^$1[[:space:]]*: *//p" | head -n 1; }
vendor="$(field vendor_id)"
family="$(field 'cpu family')"
flags=" $(field flags) "
has() { for f in "$@"; do case "$flags" in *" $f "*) ;; *) return 1 ;; esac; done; }
core=""
case "$vendor" in
  GenuineIntel)
    if [ "$family" = 6 ] && has avx512f avx512bw avx512vl avx512dq avx512cd; then core=SkylakeX
    elif [ "$family" = 6 ] && has avx2 fma; then core=Haswell
    fi ;;
  AuthenticAMD)
    if [[ "$family" =~ ^[0-9]+$ ]] && [ "$family" -ge 26 ] && has avx2 fma; then core=Zen; fi ;;
esac
[ -n "$core" ] || exit 0
if [ -n "$export_line" ]; then echo "export OPENBLAS_CORETYPE=$core"; else echo "$core"; fi
