#!/usr/bin/env bash
# The copy-task study of docs/models.md: why causal cosine attention did not learn the copy task of
# shared/docs/backend-notes.md while softmax did, and which settings change that.
# Every run: GPT-J, 2 layers, hidden 128, 4 heads, seq 128, batch 16, block 16 over 64 symbols, AdamW without weight
# decay, one thread; each row of the summary names what it changes. Curves go to results/models/copy/NAME.csv and
# the summary to results/models/copy-task-study.csv: final training loss, held-out copy loss/accuracy (positions
# t >= block - 1 only), onset = first step whose training accuracy (all positions) reaches 0.5 (copying has
# started; the first block is unpredictable, so the maximum is 1 - (block - 1)/s), mean sigma(m) at the end,
# median tokens/s, seconds. Usage: scripts/copy-task-study.sh [NAME ...] (default: all runs).
set -euo pipefail
cd "$(dirname "$0")/.."
out=results/models/copy
mkdir -p "$out"
summary=results/models/copy-task-study.csv

# Defaults of every run; a run's flags override them (the CLI refuses a flag given twice).
declare -A defaults=([model]=gpt [task]=copy [layers]=2 [hidden]=128 [heads]=4 [seq]=128 [batch]=16 [copy-block]=16
  [copy-symbols]=64 [steps]=400 [weight-decay]=0 [threads]=1 [eval-batches]=4 [log-every]=100 [seed]=1)
notes=(--lr 3e-3 --warmup 0 --constant-lr)          # backend-notes' setting: Adam at 3e-3, constant
paper=(--lr 1e-3 --warmup 40)                        # linear warmup (10%) then linear decay

# The command line of one run: the defaults, overridden by the run's "--flag value" pairs; bare flags kept.
command_line() {
  local -A flags=()
  local -a bare=()
  local key
  for key in "${!defaults[@]}"; do flags[$key]=${defaults[$key]}; done
  local -a words
  read -r -a words <<< "$1"
  local i=0
  while [ $i -lt ${#words[@]} ]; do
    key=${words[$i]#--}
    if [ $((i + 1)) -lt ${#words[@]} ] && [[ ${words[$((i + 1))]} != --* ]]; then
      flags[$key]=${words[$((i + 1))]}
      i=$((i + 2))
    else
      bare+=("${words[$i]}")
      i=$((i + 1))
    fi
  done
  for key in $(printf '%s\n' "${!flags[@]}" | sort); do printf -- '--%s %s ' "$key" "${flags[$key]}"; done
  printf '%s ' "${bare[@]}"
}

declare -A runs=(
  [softmax-notes]="--attention softmax ${notes[*]}"
  [cosine-notes-m0]="--attention cosine ${notes[*]} --m-init 0"
  [cosine-notes-m0.5]="--attention cosine ${notes[*]} --m-init 0.5"
  [softmax-warmup-1e-3]="--attention softmax ${paper[*]}"
  [cosine-warmup-1e-3]="--attention cosine ${paper[*]}"
  [cosine-warmup-3e-4]="--attention cosine --lr 3e-4 --warmup 40"
  [cosine-warmup-1e-2]="--attention cosine --lr 1e-2 --warmup 40"
  [cosine-m-4]="--attention cosine ${paper[*]} --m-init -4"
  [cosine-m2]="--attention cosine ${paper[*]} --m-init 2"
  [cosine-m6]="--attention cosine ${paper[*]} --m-init 6"
  [cosine-layers4]="--attention cosine ${paper[*]} --layers 4"
  [softmax-layers1]="--attention softmax ${paper[*]} --layers 1"
  [cosine-heads1]="--attention cosine ${paper[*]} --heads 1"
  [cosine-heads8]="--attention cosine ${paper[*]} --heads 8"
  [cosine-chunk16]="--attention cosine ${paper[*]} --chunk 16"
  [cosine-quadratic]="--attention cosine ${paper[*]} --impl cosine-quadratic"
  [cosine-seq32]="--attention cosine ${paper[*]} --seq 32"
  [softmax-seq32]="--attention softmax ${paper[*]} --seq 32"
  [cosine-block4]="--attention cosine ${paper[*]} --copy-block 4"
  [cosine-symbols8]="--attention cosine ${paper[*]} --copy-symbols 8"
  [cosine-long-1500]="--attention cosine --lr 1e-3 --steps 1500 --warmup 150"
  [cosine-baseline-init]="--attention cosine ${paper[*]} --init baseline"
  [softmax-notes-seed2]="--attention softmax ${notes[*]} --seed 2"
  [softmax-notes-seed3]="--attention softmax ${notes[*]} --seed 3"
  [cosine-notes-m0-seed2]="--attention cosine ${notes[*]} --m-init 0 --seed 2"
  [cosine-notes-m0-seed3]="--attention cosine ${notes[*]} --m-init 0 --seed 3"
)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then mapfile -t names < <(printf '%s\n' "${!runs[@]}" | sort); fi
header="name,flags,final_train_loss,copy_eval_loss,copy_eval_accuracy,onset_step,final_sigma_m_mean,median_tokens_per_s,seconds,threads"
[ -f "$summary" ] || echo "$header" > "$summary"
for name in "${names[@]}"; do
  flags=${runs[$name]:?unknown run $name}
  start=$(date +%s)
  # shellcheck disable=SC2046
  log=$(./cottention train $(command_line "$flags") --curve "$out/$name.csv" 2>&1 | grep -v -E 'SLF4J|INFO')
  seconds=$(( $(date +%s) - start ))
  echo "== $name: $flags"; echo "$log" | grep -E '^(data|step|done)'
  last=$(tail -n 1 "$out/$name.csv")
  IFS=, read -r _ _ loss _ _ _ eloss eacc _ _ _ _ _ _ sigma <<< "$last"
  onset=$(awk -F, 'NR > 1 && $5 >= 0.5 { print $1; exit }' "$out/$name.csv")
  speed=$(echo "$log" | sed -n 's/.*median \([0-9]*\) tokens\/s.*/\1/p')
  threads=$(echo "$log" | sed -n 's/.*(threads: \(.*\))$/\1/p; s/.*, threads: \(ND4J [^(]*\).*/\1/p' | tail -n 1)
  echo "$name,\"$flags\",$loss,$eloss,$eacc,${onset:-none},${sigma:-},$speed,$seconds,\"$threads\"" >> "$summary"
done
