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
"$jfr" print --stack-depth 64 --events jdk.ExecutionSample,jdk.NativeMethodSample "$out/step.jfr" | python3 -c '
import sys, re, collections
# Per sample: its top frame, and the first frame of our code below it (which layer or kernel the time is for).
top = collections.Counter(); ours = collections.Counter(); total = 0; kind = None; frames = []
def flush():
    global total
    if kind and frames:
        w = 2 if kind == "native" else 1      # profile.jfc samples native threads every 20 ms, Java every 10 ms
        top[(kind, frames[0])] += w; total += w
        mine = next((f for f in frames if f.startswith("org.cottention.")), "(outside org.cottention)")
        ours[mine] += w
for line in sys.stdin:
    s = line.strip()
    if s.startswith("jdk.ExecutionSample") or s.startswith("jdk.NativeMethodSample"):
        flush(); kind = "native" if "Native" in s else "java"; frames = []
    else:
        m = re.match(r"^([\w$.<>]+)\(", s)
        if m and kind: frames.append(m.group(1))
flush()
print(f"{total} x 10 ms of samples (one thread; native samples weighted 2: their period is 20 ms)")
print("by top frame:")
for (k, m), n in top.most_common(12):
    print(f"{100.0 * n / total:5.1f} %  {k:6s}  {m}")
print("by the first frame of our code (stack depth 64: deeper samples are cut):")
for m, n in ours.most_common(30):
    print(f"{100.0 * n / total:5.1f} %  {m}")
'
