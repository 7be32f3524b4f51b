#!/usr/bin/python3
"""The product's test scores against scikit-learn's, on the same split, with default options.

For every embedded data set (digits: 10 classes; breast-cancer: binary; diabetes: regression)
and every model of the product that applies to it, this runs

    trainer train --cluster local --data NAME --model M --out DIR

with nothing else (the product's defaults), reads DIR/report.json (test.accuracy, or test.r2 for
regression), and trains scikit-learn's counterpart on the same rows:

    softmax     LogisticRegression(multi_class="multinomial")
    logreg      LogisticRegression()
    mlp         MLPClassifier(hidden_layer_sizes=(256,)) / MLPRegressor(hidden_layer_sizes=(256,))
    perceptron  Perceptron()
    svm         LinearSVC(), and SGDClassifier(loss="hinge"): its objective, mean hinge loss plus
                (alpha/2)||w||^2 with alpha = 1e-4 and an unregularised intercept, is the
                product's svm objective with its default --weight-decay 1e-4
    linreg      LinearRegression()

scikit-learn's defaults throughout, except random_state=0 where an estimator has one (so that
the table is reproducible). Fashion-MNIST, the fourth built-in data set, is left out: it is not
embedded (it comes from a Debian package) and scikit-learn's MLP on its 60,000 rows would take
longer on two cores than everything else here together.

The split. The product holds out a seeded, class-stratified 20% test part, then 10% of the rest
for validation (regression: not stratified), with its own xoshiro256** generator
(src/Core/Random/Rng.cs, src/Core/Data/Splits.cs, src/Core/Data/DataLoader.cs). This script
ports Rng.For, NextInt, Shuffle and Splits.HoldOut exactly (checked against the generator's
published values in tests/Core.Tests/Random/RngTests.cs), and verifies the port on every run:

  - the test part: `trainer predict --model-file DIR/model.json` writes the model's predictions
    for the test part of its data; its row count and label column must equal ours, and the
    accuracy (R^2) recomputed from its predictions must equal report.json's;
  - the training part: model.json holds the standardiser the product fitted on its training
    rows; the per-feature mean and standard deviation of our training rows must equal it.

A mismatch stops the script. The split depends on the task: classification splits are
stratified by class, regression splits (diabetes, linreg and the regression MLP) are not.

What scikit-learn trains on: the product trains on its training part and uses the validation
part for early stopping (best epoch restored; off on a validation set under 50 rows); scikit-learn has no use for a validation part by
default, so it is given the training and validation rows together (the same rows the product
saw, all of them), with features standardised by the statistics of those rows (as the product
standardises by its training rows). Both are scored on the same test rows.

The product's mlp on diabetes is a regression MLP (--task regression is the built-in set's own),
scored by R^2 like scikit-learn's MLPRegressor on the same split.

Usage: bench/sklearn_compare.py [--trainer PATH] [--work DIR] [--datasets digits,breast-cancer,diabetes]
Needs Debian's python3-sklearn (apt-get install python3-sklearn) and a built trainer
(dotnet build src/Client -c Release; the script builds it once when it is missing).
"""

import argparse
import csv
import gzip
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

try:
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LinearRegression, LogisticRegression, Perceptron, SGDClassifier
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.svm import LinearSVC
    import sklearn
except ImportError as e:  # pragma: no cover
    sys.exit(f"error: {e}; install Debian's python3-sklearn (apt-get install python3-sklearn) and run this with /usr/bin/python3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILT_IN = os.path.join(ROOT, "src", "Core", "Data", "BuiltIn")
DEFAULT_TRAINER = os.path.join(ROOT, "src", "Client", "bin", "Release", "net10.0", "trainer")

# The product's constants: DataLoader.DefaultTestFraction, TrainOptions' validation fraction and
# seed, DataLoader's split purposes, RandomStream.Split.
TEST_FRACTION, VAL_FRACTION, SEED = 0.2, 0.1, 42
TEST_SPLIT, VALIDATION_SPLIT = 1, 2
RANDOM_STREAM_SPLIT = 2

DATASETS = {
    # name: (file, task, models)
    "digits": ("digits.csv.gz", "classification", ["softmax", "mlp"]),
    "breast-cancer": ("breast_cancer.csv", "classification", ["softmax", "mlp", "logreg", "perceptron", "svm"]),
    "diabetes": ("diabetes.csv", "regression", ["linreg", "mlp"]),
}

# ---------------------------------------------------------------------------------------------
# A port of src/Core/Random/Rng.cs: xoshiro256** seeded through SplitMix64.

M64 = (1 << 64) - 1


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    def __init__(self, seed):
        sm, s = seed & M64, []
        for _ in range(4):
            sm = (sm + 0x9E3779B97F4A7C15) & M64
            s.append(_mix(sm))
        self.s = s

    @staticmethod
    def for_(seed, stream, a=0, b=0):
        h = seed & M64
        h = _mix(h ^ stream)
        h = _mix(h ^ (a & M64))
        h = _mix(h ^ (b & M64))
        return Rng(h)

    def next_u64(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & M64, 7) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def next_int(self, n):
        """Uniform in [0, n) by Lemire's method, as Rng.NextInt."""
        m = self.next_u64() * n
        low = m & M64
        if low < n:
            threshold = ((1 << 64) - n) % n
            while low < threshold:
                m = self.next_u64() * n
                low = m & M64
        return m >> 64

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.next_int(i + 1)
            items[i], items[j] = items[j], items[i]


def _check_rng():
    """The values tests/Core.Tests/Random/RngTests.cs pins."""
    rng = Rng(42)
    assert rng.next_u64() == 1546998764402558742
    assert rng.next_u64() == 6990951692964543102
    assert Rng.for_(42, 4, 3, 5).next_u64() == 12620043511932982718


def _round_away_from_zero(x):
    r = math.floor(x)
    return int(r + 1 if x - r >= 0.5 else r)


def hold_out(labels, classification, fraction, seed, purpose):
    """Splits.HoldOut: (kept, held_out) row indices, each sorted."""
    rng = Rng.for_(seed, RANDOM_STREAM_SPLIT, purpose)
    n = len(labels)
    if classification:
        groups = {}
        for i in range(n):
            groups.setdefault(int(labels[i]), []).append(i)
        groups = [groups[k] for k in sorted(groups)]
    else:
        groups = [list(range(n))]
    kept, held = [], []
    for group in groups:
        rng.shuffle(group)
        take = _round_away_from_zero(fraction * len(group))
        held.extend(group[:take])
        kept.extend(group[take:])
    return np.array(sorted(kept), dtype=np.int64), np.array(sorted(held), dtype=np.int64)


def product_split(y, classification):
    """DataLoader.Prepare's rows: (train, validation, test) indices into the data set."""
    kept, test = hold_out(y, classification, TEST_FRACTION, SEED, TEST_SPLIT)
    train_rel, val_rel = hold_out(y[kept], classification, VAL_FRACTION, SEED, VALIDATION_SPLIT)
    return kept[train_rel], kept[val_rel], test


# ---------------------------------------------------------------------------------------------
# Data: the embedded CSVs, read as CsvReader does (features as float32, the label column last).

def read_built_in(name):
    path = os.path.join(BUILT_IN, DATASETS[name][0])
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    body = rows[1:]
    x = np.array([[np.float32(float(c)) for c in r[:-1]] for r in body], dtype=np.float32)
    y = np.array([float(r[-1]) for r in body], dtype=np.float64)
    return x, y


def standardiser(x):
    """Preprocessor.FitStandardiser: population mean and standard deviation (double sums, float32 results)."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=0)
    variance = np.maximum(0.0, (x64 * x64).mean(axis=0) - mean * mean)
    scale = np.where(variance > 1e-12, np.sqrt(variance), 1.0)
    return mean.astype(np.float32), scale.astype(np.float32)


# ---------------------------------------------------------------------------------------------
# The product.

def run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def find_trainer(path):
    if path:
        return path
    if not os.path.exists(DEFAULT_TRAINER):
        print("building the trainer (dotnet build src/Client -c Release) ...", file=sys.stderr)
        run(["dotnet", "build", os.path.join(ROOT, "src", "Client"), "-c", "Release", "-nologo", "-v", "quiet"])
    return DEFAULT_TRAINER


def train_product(trainer, data, model, out):
    run([trainer, "train", "--cluster", "local", "--data", data, "--model", model, "--out", out])
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    with open(os.path.join(out, "model.json")) as f:
        model_file = json.load(f)
    preds = os.path.join(out, "predictions.csv")
    run([trainer, "predict", "--model-file", os.path.join(out, "model.json"), "--out", preds])
    with open(preds, newline="") as f:
        rows = list(csv.DictReader(f))
    return report, model_file, rows


def verify_split(name, model, x, y, train, test, model_file, report, predictions):
    """The port's split must be the product's: test labels from predict, training statistics from model.json."""
    where = f"{name}/{model}"
    if len(predictions) != len(test):
        sys.exit(f"error: {where}: trainer predict wrote {len(predictions)} test rows, the ported split has {len(test)}")
    labels = np.array([np.float32(float(r["label"])) for r in predictions], dtype=np.float32)
    if not np.array_equal(labels, y[test].astype(np.float32)):
        sys.exit(f"error: {where}: trainer predict's label column differs from the ported split's test labels")
    pre = model_file["preprocessor"]
    mean, scale = standardiser(x[train])
    if not (np.allclose(mean, pre["mean"], rtol=1e-5, atol=0) and np.allclose(scale, pre["scale"], rtol=1e-5, atol=0)):
        sys.exit(f"error: {where}: the product's standardiser (model.json) was not fitted on the ported split's training rows")
    predicted = np.array([float(r["predicted"]) for r in predictions])
    test_report = report["test"]
    if "accuracy" in test_report:
        again = float(np.mean(predicted == labels))
        if abs(again - test_report["accuracy"]) > 1e-9:
            sys.exit(f"error: {where}: accuracy from trainer predict {again} differs from report.json's {test_report['accuracy']}")
    else:
        again = r2_score(labels.astype(np.float64), predicted)
        if abs(again - test_report["r2"]) > 1e-4:
            sys.exit(f"error: {where}: R^2 from trainer predict {again} differs from report.json's {test_report['r2']}")


# ---------------------------------------------------------------------------------------------
# scikit-learn.

def counterparts(model, task):
    if task == "regression":
        return {"linreg": [("LinearRegression", lambda: LinearRegression())],
                "mlp": [("MLPRegressor(256)", lambda: MLPRegressor(hidden_layer_sizes=(256,), random_state=0))]}[model]
    return {
        "softmax": [("LogisticRegression(multinomial)", lambda: LogisticRegression(multi_class="multinomial", random_state=0))],
        "logreg": [("LogisticRegression", lambda: LogisticRegression(random_state=0))],
        "mlp": [("MLPClassifier(256)", lambda: MLPClassifier(hidden_layer_sizes=(256,), random_state=0))],
        "perceptron": [("Perceptron", lambda: Perceptron(random_state=0))],
        "svm": [("LinearSVC", lambda: LinearSVC(random_state=0)),
                ("SGDClassifier(hinge)", lambda: SGDClassifier(loss="hinge", random_state=0))],
    }[model]


def fit_sklearn(make, x_train, y_train, x_test, y_test, task):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator = make().fit(x_train, y_train)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    predicted = estimator.predict(x_test)
    score = r2_score(y_test, predicted) if task == "regression" else accuracy_score(y_test, predicted)
    return float(score), converged


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainer", help="the trainer binary (default: the Release build, built when missing)")
    parser.add_argument("--work", help="where the product's runs go (default: a temporary folder, removed afterwards)")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma list of " + ", ".join(DATASETS))
    args = parser.parse_args()

    _check_rng()
    trainer = find_trainer(args.trainer)
    work = args.work or tempfile.mkdtemp(prefix="sklearn-compare-")
    os.makedirs(work, exist_ok=True)
    results = []
    started = time.time()
    try:
        for name in args.datasets.split(","):
            if name not in DATASETS:
                sys.exit(f"error: --datasets: '{name}' is not one of {', '.join(DATASETS)}")
            _, task, models = DATASETS[name]
            x, y = read_built_in(name)
            for model in models:
                # the product's task for the pair: a built-in set's own (diabetes: regression, for linreg and mlp alike)
                classification = task == "classification"
                train, val, test = product_split(y, classification)
                out = os.path.join(work, f"{name}-{model}")
                clock = time.time()
                report, model_file, predictions = train_product(trainer, name, model, out)
                product_seconds = time.time() - clock
                verify_split(name, model, x, y, train, test, model_file, report, predictions)

                seen = np.concatenate([train, val])
                mean, scale = standardiser(x[seen])
                prep = lambda rows: (x[rows].astype(np.float64) - mean) / scale
                x_seen, x_test = prep(seen), prep(test)
                y_seen, y_test = (y[seen], y[test]) if task == "regression" else (y[seen].astype(int), y[test].astype(int))

                product_test = report["test"]
                metric = "r2" if task == "regression" else "accuracy"
                product_score = product_test.get(metric)
                note = ""
                for label, make in counterparts(model, task):
                    clock = time.time()
                    sk_score, converged = fit_sklearn(make, x_seen, y_seen, x_test, y_test, task)
                    sk_seconds = time.time() - clock
                    results.append({
                        "dataset": name, "model": model, "metric": metric, "sklearn_model": label,
                        "product": product_score, "sklearn": sk_score,
                        "difference_points": None if product_score is None else 100 * (product_score - sk_score),
                        "product_best_epoch": report.get("bestEpoch"), "product_epochs": len(report.get("epochs", [])),
                        "sklearn_converged": converged, "train_rows": len(train), "validation_rows": len(val), "test_rows": len(test),
                        "product_seconds": round(product_seconds, 2), "sklearn_seconds": round(sk_seconds, 2),
                        "note": note if converged else "; ".join(filter(None, [note, "sklearn: ConvergenceWarning"])),
                    })
                    print(f"  {name} {model} vs {label}: done", file=sys.stderr)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print(f"product ({os.path.relpath(trainer, ROOT)}, defaults, --cluster local) against scikit-learn {sklearn.__version__} "
          f"(defaults, random_state=0), same split (verified), seed {SEED}")
    header = ["data set", "model", "metric", "product", "scikit-learn", "sklearn model", "diff (points)", "note"]
    table = [[r["dataset"], r["model"], r["metric"],
              "n/a" if r["product"] is None else f"{r['product']:.4f}", f"{r['sklearn']:.4f}", r["sklearn_model"],
              "n/a" if r["difference_points"] is None else f"{r['difference_points']:+.2f}", r["note"]] for r in results]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in table:
        print(line(row))
    print("train rows / validation / test: " + ", ".join(
        sorted({f"{r['dataset']} "
                f"{r['train_rows']}/{r['validation_rows']}/{r['test_rows']}" for r in results})))
    print(json.dumps({"benchmark": "sklearn_compare", "sklearn": sklearn.__version__, "seed": SEED,
                      "seconds": round(time.time() - started, 1), "results": results}))


if __name__ == "__main__":
    main()
