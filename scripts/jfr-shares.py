#!/usr/bin/env python3
# Reads `jfr print --stack-depth 64 --events jdk.ExecutionSample,jdk.NativeMethodSample` on stdin and prints the
# share of CPU samples per method: by top frame (Java samples by their own frame; native samples, BLAS inside ND4J,
# by the native method), and by the first frame of our code below it (which layer or kernel the time is for).
#   usage: jfr print ... | scripts/jfr-shares.py THREADS
import sys, re, collections
threads = sys.argv[1] if len(sys.argv) > 1 else "one"
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
if total == 0:
    sys.exit("jfr-shares: no samples in the recording (too short a run?)")
print(f"{total} x 10 ms of samples ({threads} thread(s); native samples weighted 2: their period is 20 ms)")
print("by top frame:")
for (k, m), n in top.most_common(12):
    print(f"{100.0 * n / total:5.1f} %  {k:6s}  {m}")
print("by the first frame of our code (stack depth 64: deeper samples are cut):")
for m, n in ours.most_common(30):
    print(f"{100.0 * n / total:5.1f} %  {m}")
