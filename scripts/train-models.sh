#!/usr/bin/env bash
# Regenerates the shipped models (models/willingness.json, models/ability.json, models/uplift.json)
# byte for byte: a fixed-seed simulated history → labelled training rows from `arrears replay` (the
# daemon's own feature code) → `arrears train` for each label with its scorecard defaults (WoE bins
# chosen on validation, interaction tables when they pay; cards in models/*.card.md) and a
# time-based hold-out; then
# the uplift model: an exploration backtest (random calls with logged propensities, seeds never
# used for testing) → outcome rows over 90 days → `arrears uplift fit`.
# The willingness and ability models are trained on the legacy response model's history, as
# shipped; the uplift model on the calibrated one (the simulator's default).
#
#   scripts/train-models.sh            # writes models/*.json and models/golden.json
#   WORK=/tmp/arrears-train scripts/train-models.sh   # keep the intermediate files there
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS=${ACCOUNTS:-30000}
DAYS=${DAYS:-150}
SEED=${SEED:-2026}
VERSION=${VERSION:-2026-11-23}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"

cargo build --release --quiet
bin=target/release/arrears

echo "simulating $ACCOUNTS accounts over $DAYS days (seed $SEED) in $WORK" >&2
"$bin" simulate --accounts "$ACCOUNTS" --days "$DAYS" --seed "$SEED" --quiet --response legacy \
  --output "$WORK/history.jsonl" --truth "$WORK/truth.csv"
"$bin" replay --input "$WORK/history.jsonl" --training-rows "$WORK/rows.csv" --output /dev/null
# An independent portfolio (another seed) for the out-of-sample evaluation reports.
"$bin" simulate --accounts $((ACCOUNTS / 4)) --days "$DAYS" --seed $((SEED + 1)) --quiet --response legacy \
  --output "$WORK/holdout.jsonl"
"$bin" replay --input "$WORK/holdout.jsonl" --training-rows "$WORK/holdout-rows.csv" --output /dev/null

# Features the simulated history never varies (no abusive calls are simulated) cannot be learned.
CONSTANT=",abusive_90d"

# Directions collections practice requires (../shared/domain.md): a feature learned the other way
# round is dropped and the model refitted, so that, say, a broken promise never raises willingness.
WILLINGNESS_SIGNS="promise_broken_share_90d=-,promises_broken_90d=-,promises_broken_lifetime=-,refusals_90d=-,disputes_lifetime=-,\
no_answer_streak=-,promises_kept_90d=+,promises_kept_lifetime=+,nsf_reversals_90d=-,\
days_since_last_payment=-,right_party_rate_30d=+,fees_90d_log=-"
ABILITY_SIGNS="promise_broken_share_90d=-,nsf_reversals_90d=-,partial_payment_share=-,hardship=-,paid_to_due_ratio_90d=+,\
promises_broken_90d=-,promises_broken_lifetime=-,fees_90d_log=-"

train() {
  local target=$1 other=$2 description=$3 signs=$4
  "$bin" train --input "$WORK/rows.csv" --target "$target" --exclude "account_id,snapshot_at,$other$CONSTANT" \
    --time-column snapshot_day --holdout 0.2 --seed 1 \
    --name "$target" --version "$VERSION" --trained-at "$VERSION" \
    --target-description "$description" --expect-sign "$signs" --output "models/$target.json" \
    --card "models/$target.card.md"
  "$bin" evaluate --model "models/$target.json" --input "$WORK/holdout-rows.csv" --target "$target" \
    --report "$WORK/$target-report" >&2
}
train willingness ability "a payment (not reversed in full) within 30 days of the snapshot" "$WILLINGNESS_SIGNS"
train ability willingness "payments net of reversals within 30 days reach the overdue amount at the snapshot" "$ABILITY_SIGNS"
# The models are compiled into the binary, and the uplift rows carry their scores: rebuild first.
cargo build --release --quiet
# The uplift model: exploration on seeds 101 and 102 (the backtest tests on seeds 1-3).
UPLIFT_VERSION=${UPLIFT_VERSION:-2026-12-02}
"$bin" backtest --accounts 20000 --days 150 --continue-to 0 --seeds 101,102 --strategies explore \
  --rows "$WORK/uplift-rows.csv" --horizon-days 90 --json "$WORK/explore.json" --chart "$WORK/explore.png" >&2
"$bin" uplift fit --rows "$WORK/uplift-rows.seed101.csv,$WORK/uplift-rows.seed102.csv" \
  --out models/uplift.json --version "$UPLIFT_VERSION" --horizon-days 90 >&2
echo "models written; reports in $WORK" >&2
# Record the golden scores of the new models (tests/golden.rs compares against them).
ARREARS_BLESS=1 cargo test --release --quiet --test golden >&2
