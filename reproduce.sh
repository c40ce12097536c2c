#!/usr/bin/env bash
# ./reproduce.sh [--profile smoke|default|long|paper] [--only EXPERIMENT,...] [--backend cpu|cuda] [--out DIR] [--force]
#                [--jobs N] [--report-only] [--executor slurm [--slurm-* ...] [--dry-run] [--slurm-wait]]
# Reproduces the paper's experiments offline: installs the pinned data (a no-op once done), then runs every
# experiment configuration in a JVM of its own (here, N at once, or as Slurm job arrays: docs/slurm.md) and
# writes CSV tables, PNG plots and a README under results/PROFILE (or DIR). A rerun resumes where an interrupted
# one stopped. ./reproduce.sh --help for more.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case " $* " in
  *" --help "*|*" --list "*) exec "$root/cottention" reproduce "$@" ;;
esac
# The arguments first, before anything is downloaded: a dry parse by the command's own parser (--list parses every
# flag and prints the experiments, running nothing), so a mistyped flag or a missing value is one line and exit 2.
"$root/cottention" reproduce --list "$@" > /dev/null
# Offline data (corpora, labelled sets, vocabularies), pinned and checksummed; a no-op once installed.
"$root/scripts/setup-data.sh"
exec "$root/cottention" reproduce "$@"
