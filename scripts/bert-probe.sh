#!/usr/bin/env bash
# Runs BERT experiment configurations with the default recipe changed (the probes of docs/bert.md), in one JVM,
# single-threaded (so the CPU seconds it prints are one core's): scripts/bert-probe.sh OUT [FIELD=VALUE ...] -- KEY ...
# FIELD: a component of BertExperiment.Recipe (preSteps, maskRate, hidden, ...); KEY: a configuration of the
# experiment (./cottention reproduce --list shows them). Needs a build with test classes: mvn -o -DskipTests install
# (or package).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: scripts/bert-probe.sh OUT [FIELD=VALUE ...] -- CONFIG ..." >&2; exit 2; }
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
eval "$("$root/scripts/openblas-core.sh" --export)"
exec java --add-modules jdk.incubator.vector -Xmx1g -Dcottention.threads=1 -Dorg.bytedeco.javacpp.maxbytes=0 \
  -Dorg.bytedeco.javacpp.maxphysicalbytes=0 \
  -cp "$root/harness/target/test-classes:$root/harness/target/classes:$(cat "$root/harness/target/classpath.txt")" \
  org.cottention.harness.experiment.BertProbe "$@" 2> >(grep -v '^WARNING: Using incubator modules' >&2)
