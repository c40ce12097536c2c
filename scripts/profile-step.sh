#!/usr/bin/env bash
# Where a GPT-J training step's time goes: trains the default ladder's top rung (L4 E128 H2, s 256, batch 16) on
# the copy task, single-threaded, under JDK Flight Recorder, and prints the share of CPU samples per method
# (Java samples by their top frame; native samples, BLAS inside ND4J, by the Java method that called it).
#   scripts/profile-step.sh [cosine|softmax] [STEPS]     (about STEPS x 0.5 s; the first 20 s are not recorded)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kind="${1:-cosine}"; steps="${2:-160}"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
export OMP_NUM_THREADS=1
COTTENTION_JAVA_OPTS="-XX:StartFlightRecording=filename=$out/step.jfr,settings=profile,delay=20s" \
  "$root/cottention" train --model gpt --attention "$kind" --layers 4 --hidden 128 --heads 2 --seq 256 --batch 16 \
  --task copy --init baseline --lr 1e-3 --steps "$steps" --log-every 40 --threads 1 >&2
jfr="${JAVA_HOME:+$JAVA_HOME/bin/}jfr"
"$jfr" print --stack-depth 64 --events jdk.ExecutionSample,jdk.NativeMethodSample "$out/step.jfr" | "$root/scripts/jfr-shares.py" one
