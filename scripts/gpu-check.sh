#!/usr/bin/env bash
# Validates and times the CUDA kernels on a GPU machine in one run (about 7 minutes), and prepares what that
# machine needs. The GPU machine has no network and maybe no Java or Maven, so the Java side travels as a pack:
#
#   scripts/gpu-check.sh --pack      here (Maven + nvcc): builds the jars with the fatbins, a jlink'ed Java runtime
#                                    (Temurin 25: needs glibc >= 2.17) and a manifest into gpu-pack/ (git-ignored)
#   scripts/gpu-check.sh --dry-run   here: runs the pack's GpuCheck on the CPU emulation of the kernels (tiny
#                                    shapes, no GPU) to prove the pack and the check work end to end
#   scripts/gpu-check.sh [--quick] [--allow-stale] [--no-build]
#                                    on the GPU machine (with gpu-pack/ carried along): compiles the kernels with
#                                    the machine's nvcc (a check; its fatbins are then used), times PyTorch SDPA
#                                    (scripts/sdpa_bench.py, if torch is there), then runs GpuCheck: validation
#                                    against the reference and timings. Writes {summary.md,kernels.csv,sdpa.csv,
#                                    validation.csv,device.csv,gpu-check.log} into $OUT/results-gpu when $OUT is
#                                    set (as they are produced, so a run cut short keeps what it did), else into
#                                    results/gpu. Exit code: GpuCheck's (0 = every validation passed).
# The pack refuses to run when the sources changed since it was made (--allow-stale overrides).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pack="$root/gpu-pack"
results="${OUT:+$OUT/results-gpu}"
results="${results:-$root/results/gpu}"
mode=run quick="" allow_stale="" build=1
sdpa_budget=80 java_budget=250
for arg in "$@"; do
  case "$arg" in
    --pack) mode=pack ;;
    --dry-run) mode=dry-run ;;
    --quick) quick=--quick; sdpa_budget=40; java_budget=120 ;;
    --allow-stale) allow_stale=1 ;;
    --no-build) build="" ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "gpu-check.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "gpu-check.sh: $*" >&2; exit 1; }

# A digest of everything the pack is built from (main sources, kernels, poms, scripts), without git.
sources_digest() {
  (cd "$root" && find pom.xml ./*/pom.xml ./*/src/main scripts/build-fatbin.sh -type f \
      \( -name '*.java' -o -name '*.cu' -o -name '*.cuh' -o -name 'pom.xml' -o -name '*.sh' -o -name '*.csv' \) \
      -not -path '*/target/*' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
}

nvcc_path() {
  if [ -n "${NVCC:-}" ]; then echo "$NVCC"; return; fi
  command -v nvcc 2>/dev/null && return
  [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc
}

java_flags() { # flags newer JVMs want for JCuda's JNI
  local major
  major="$("$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
  if [ "${major:-17}" -ge 23 ]; then echo "--enable-native-access=ALL-UNNAMED"; fi
}

do_pack() {
  [ -n "$(nvcc_path)" ] || die "nvcc not found: the pack needs the fatbins (set NVCC or PATH)"
  echo "gpu-check.sh: building (mvn -DskipTests package -pl harness -am) ..."
  (cd "$root" && mvn -B -q -DskipTests package -pl harness -am) || die "the build failed"
  for f in cosine/target/classes/org/cottention/cosine/cuda/cosine.fatbin \
           softmax/target/classes/org/cottention/softmax/cuda/softmax.fatbin; do
    [ -f "$root/$f" ] || die "$f missing after the build (was nvcc found by the nvcc profile?)"
  done
  rm -rf "$pack" && mkdir -p "$pack/lib"
  local v=0.1.0-SNAPSHOT
  local m
  for m in harness api reference cuda cosine softmax; do
    cp "$root/$m/target/$m-$v.jar" "$pack/lib/" || die "$m/target/$m-$v.jar missing"
  done
  local jcuda natives
  jcuda="$(tr ':' '\n' < "$root/harness/target/classpath.txt" | grep '/jcuda-[0-9.]*\.jar$')"
  natives="$(tr ':' '\n' < "$root/harness/target/classpath.txt" | grep '/jcuda-natives-.*\.jar$')"
  [ -f "$jcuda" ] && [ -f "$natives" ] || die "JCuda jars not on the harness class path"
  cp "$jcuda" "$pack/lib/"
  # picocli: GpuCheck's options (one small jar, no dependencies).
  local picocli
  picocli="$(tr ':' '\n' < "$root/harness/target/classpath.txt" | grep '/picocli-[0-9.]*\.jar$')"
  [ -f "$picocli" ] || die "picocli jar not on the harness class path"
  cp "$picocli" "$pack/lib/"
  # Only the driver-API natives (the full natives jar carries a 24 MB PTX compiler we do not use).
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && unzip -q "$natives" 'lib/libJCudaDriver-*' 'lib/libJCudaRuntime-*' && jar cf "$pack/lib/jcuda-natives-driver.jar" lib) \
    || die "cannot slim $natives"
  rm -rf "$tmp"
  local jlink="${JLINK:-}"
  if [ -z "$jlink" ]; then
    for j in /usr/lib/jvm/temurin-25-jdk-amd64/bin/jlink "${JAVA_HOME:-/nonexistent}/bin/jlink" "$(command -v jlink)"; do
      [ -x "$j" ] && { jlink="$j"; break; }
    done
  fi
  [ -n "$jlink" ] || die "no jlink (set JLINK)"
  local compress=--compress=zip-9
  "$jlink" --version 2>/dev/null | grep -q '^1[0-9]\.\|^20\.' && compress=--compress=2
  "$jlink" --add-modules java.base,java.logging,jdk.incubator.vector --strip-debug --no-header-files --no-man-pages "$compress" \
    --output "$pack/jre" || die "jlink failed"
  {
    echo "sources $(sources_digest)"
    echo "commit $(cd "$root" && git rev-parse HEAD 2>/dev/null || echo unknown)$(cd "$root" && git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
    echo "java $("$pack/jre/bin/java" -version 2>&1 | head -n 1)"
    echo "nvcc $("$(nvcc_path)" --version | tail -n 1)"
  } > "$pack/MANIFEST"
  echo "gpu-check.sh: pack ready: $(du -sh "$pack" | cut -f1) in $pack (jre $(du -sh "$pack/jre" | cut -f1), lib $(du -sh "$pack/lib" | cut -f1))"
  cat "$pack/MANIFEST"
}

pack_java() {
  if [ -x "$pack/jre/bin/java" ] && "$pack/jre/bin/java" -version >/dev/null 2>&1; then echo "$pack/jre/bin/java"; return; fi
  local j; j="$(command -v java || true)"
  if [ -n "$j" ] && [ "$("$j" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)" -ge 17 ] 2>/dev/null; then
    echo "$j"; return
  fi
  die "neither the pack's Java runtime nor a system Java >= 17 runs here"
}

check_pack() {
  [ -f "$pack/MANIFEST" ] || die "no gpu-pack/ here: run 'scripts/gpu-check.sh --pack' on a machine with Maven and nvcc, and carry gpu-pack along"
  local made now
  made="$(sed -n 's/^sources //p' "$pack/MANIFEST")"
  now="$(sources_digest)"
  if [ "$made" != "$now" ]; then
    [ -n "$allow_stale" ] || die "gpu-pack/ was built from other sources ($made, now $now): rerun --pack (or --allow-stale)"
    echo "gpu-check.sh: WARNING: the pack is stale ($made vs $now); running it anyway (--allow-stale)"
  fi
}

do_dry_run() {
  check_pack
  local java out; java="$(pack_java)"; out="$(mktemp -d)"
  echo "gpu-check.sh: dry run of the pack on the CPU emulation ($java) -> $out"
  # shellcheck disable=SC2046
  "$java" $(java_flags "$java") -cp "$pack/lib/*" org.cottention.harness.gpu.GpuCheck --emulate --out "$out"
  local rc=$?
  python3 -c "import ast, sys; ast.parse(open(sys.argv[1]).read())" "$root/scripts/sdpa_bench.py" && echo "gpu-check.sh: sdpa_bench.py parses"
  ls -la "$out"
  exit $rc
}

do_run() {
  check_pack
  mkdir -p "$results"
  exec > >(tee "$results/gpu-check.log") 2>&1
  local start; start=$(date +%s)
  echo "gpu-check.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname); pack:"; sed 's/^/  /' "$pack/MANIFEST"
  local java; java="$(pack_java)"
  echo "java: $java ($("$java" -version 2>&1 | head -n 1))"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.memory,power.limit --format=csv 2>&1 | sed 's/^/  /'

  # 1. The machine's nvcc compiles the kernels (in the background, while PyTorch is timed).
  local fatbins="" build_pid="" build_dir; build_dir="$(mktemp -d)"
  local nvcc; nvcc="$(nvcc_path)"
  if [ -n "$build" ] && [ -n "$nvcc" ]; then
    echo "nvcc: $("$nvcc" --version | tail -n 1); compiling the kernels in the background"
    ( b0=$(date +%s)
      NVCC="$nvcc" NVCC_EXTRA="--threads 0" bash "$root/scripts/build-fatbin.sh" "$root/cosine/src/main/cuda" "$build_dir" "$root/cuda/src/main/cuda" &&
      NVCC="$nvcc" NVCC_EXTRA="--threads 0" bash "$root/scripts/build-fatbin.sh" "$root/softmax/src/main/cuda" "$build_dir" "$root/cuda/src/main/cuda" &&
      echo "nvcc: both fatbins compiled in $(( $(date +%s) - b0 )) s" ) > "$build_dir/log" 2>&1 &
    build_pid=$!
  else
    echo "nvcc: not used (${build:+not found}${build:-"--no-build"}); the pack's fatbins run"
  fi

  # 2. PyTorch's SDPA on the same machine.
  local lengths=1024,2048,4096,8192,16384,32768,65536
  [ -n "$quick" ] && lengths=1024,2048,4096
  if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    timeout $((sdpa_budget + 50)) python3 "$root/scripts/sdpa_bench.py" --out "$results" --lengths "$lengths" \
      --budget-seconds "$sdpa_budget" || echo "sdpa_bench: failed or timed out (exit $?)"
  else
    echo "sdpa_bench: skipped: python3 with a CUDA torch not found"
  fi

  # 3. Our kernels: validation and timings.
  if [ -n "$build_pid" ]; then
    if wait "$build_pid" && [ -f "$build_dir/cosine.fatbin" ] && [ -f "$build_dir/softmax.fatbin" ]; then
      cat "$build_dir/log"; fatbins="-Dcottention.cuda.fatbin.dir=$build_dir"
    else
      cat "$build_dir/log"; echo "nvcc: the compile failed; the pack's fatbins run"
    fi
  fi
  # shellcheck disable=SC2046,SC2086
  timeout $((java_budget + 100)) "$java" $(java_flags "$java") $fatbins -cp "$pack/lib/*" \
    org.cottention.harness.gpu.GpuCheck --out "$results" --budget-seconds "$java_budget" $quick
  local rc=$?
  echo "gpu-check.sh: GpuCheck exit code $rc; $(( $(date +%s) - start )) s in all; results in $results"
  return $rc
}

case "$mode" in
  pack) do_pack ;;
  dry-run) do_dry_run ;;
  run) do_run; rc=$?; sleep 1; exit $rc ;;
esac
