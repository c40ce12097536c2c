#!/usr/bin/env bash
# Where the chunked causal cosine kernel's forward + backward spends its time (N 1, H 8, d 64, float32): repeats it
# for SECONDS under JDK Flight Recorder (the first 10 s are not recorded) and prints its median time, its share of
# the same-JVM GEMM probe, and the share of CPU samples per method (scripts/jfr-shares.py).
#   scripts/profile-kernel.sh [LENGTH] [CHUNK] [THREADS] [SECONDS]     (default 4096 64 2 60; build first)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
length="${1:-4096}"; chunk="${2:-64}"; threads="${3:-2}"; seconds="${4:-60}"
for v in "$length" "$chunk" "$threads" "$seconds"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "profile-kernel: '$v' is not a positive integer; usage: $0 [LENGTH] [CHUNK] [THREADS] [SECONDS]" >&2; exit 2; }
done
[[ -f "$root/harness/target/classpath.txt" ]] || { echo "profile-kernel: no harness/target/classpath.txt; build first: mvn -B -o -q -DskipTests install" >&2; exit 2; }
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
cp="$root/harness/target/classes:$(cat "$root/harness/target/classpath.txt")"
eval "$("$root/scripts/openblas-core.sh" --export)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"; jfr="${JAVA_HOME:+$JAVA_HOME/bin/}jfr"
OMP_NUM_THREADS="$threads" "$java" --add-modules jdk.incubator.vector -Dcottention.threads="$threads" \
  -XX:StartFlightRecording=filename="$out/kernel.jfr",settings=profile,delay=10s \
  -cp "$cp" "$root/scripts/ProfileKernel.java" cosine-chunked "$length" "$chunk" "$seconds" 2>&1 | grep -v '^\[\|jfr\|Flight' || true
"$jfr" print --stack-depth 64 --events jdk.ExecutionSample,jdk.NativeMethodSample "$out/kernel.jfr" \
  | "$root/scripts/jfr-shares.py" "$threads"
