#!/usr/bin/python3
"""Reference comparison: sp-learn's progressive validation against scikit-learn.

For each dataset the records are written as NDJSON in one fixed shuffled order. sp-learn
trains on them (each record is predicted before it is learned from) and reports its
progressive metric; scikit-learn's SGDClassifier / SGDRegressor does the same with
partial_fit over the same order, its features standardized online with StandardScaler's
partial_fit (each record is scaled with the statistics of the records before it, as
sp-learn does). A second sklearn run scaled with the statistics of the whole dataset
(which an online learner cannot know) is printed for information.

Goal: accuracy within 1 point of scikit-learn's, RMSE within 5%, or better.

  compare_sklearn.py SP_BIN_DIR [GEN_EVENTS]      (exit 1 when a goal is missed)
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler

SEED = 20261124


def write_ndjson(path, X, y, names, target_of):
    with open(path, "w") as f:
        for row, t in zip(X, y):
            rec = {n: float(v) for n, v in zip(names, row)}
            rec["y"] = target_of(t)
            f.write(json.dumps(rec) + "\n")


def sp_learn(bindir, data, args, workdir, target="y"):
    metrics = os.path.join(workdir, "metrics.ndjson")
    cmd = [os.path.join(bindir, "sp-learn"), "-q", "--strict", "--target", target, "--metrics-out", metrics] + args + [data]
    subprocess.run(cmd, check=True)
    with open(metrics) as f:
        lines = [json.loads(l) for l in f]
    return lines[-1]


def progressive(model, X, y, task, classes=None, oracle=False):
    """Predict each record before learning from it; returns accuracy or RMSE."""
    scaler = StandardScaler()
    if oracle:
        scaler.fit(X)
    correct, sq, n = 0, 0.0, len(y)
    fitted = False
    for i in range(n):
        x = X[i : i + 1]
        if fitted:
            xs = scaler.transform(x)
            pred = model.predict(xs)[0]
        else:
            # Nothing learned yet: the first class (as sp-learn's zero weights decide), or 0.
            pred = classes[0] if task != "regression" else 0.0
        if task == "regression":
            sq += (pred - y[i]) ** 2
        else:
            correct += pred == y[i]
        if not oracle:
            scaler.partial_fit(x)
        xs = scaler.transform(x)
        if task == "regression":
            model.partial_fit(xs, y[i : i + 1])
        else:
            model.partial_fit(xs, y[i : i + 1], classes=classes)
        fitted = True
    return math.sqrt(sq / n) if task == "regression" else correct / n


def main():
    bindir = sys.argv[1]
    gen_events = sys.argv[2] if len(sys.argv) > 2 else None
    ok = True
    work = tempfile.mkdtemp(prefix="sp-learn-compare-")
    rows = []

    def check(name, task, sp_value, sk_value, sk_oracle):
        nonlocal ok
        if task == "regression":
            good = sp_value <= sk_value * 1.05
            rows.append((name, "rmse", sp_value, sk_value, sk_oracle, "within 5% or better", good))
        else:
            good = sp_value >= sk_value - 0.01
            rows.append((name, "accuracy", sp_value, sk_value, sk_oracle, "within 1 point or better", good))
        ok = ok and good

    # Binary: breast cancer (569 records, 30 numeric features).
    d = load_breast_cancer()
    order = np.random.RandomState(SEED).permutation(len(d.target))
    X, y = d.data[order], d.target[order]
    names = ["f%d" % i for i in range(X.shape[1])]
    path = os.path.join(work, "breast_cancer.ndjson")
    write_ndjson(path, X, y, names, lambda t: bool(t))
    sp = sp_learn(bindir, path, ["--task", "binary", "--features", ", ".join(names)], work)
    sk = progressive(SGDClassifier(loss="log_loss", random_state=0), X, y, "binary", classes=np.array([1, 0]))
    sko = progressive(SGDClassifier(loss="log_loss", random_state=0), X, y, "binary", classes=np.array([1, 0]), oracle=True)
    check("breast_cancer (binary, 569)", "binary", sp["accuracy"], sk, sko)

    # Multiclass: iris (150 records, 4 features, 3 classes known from the start).
    d = load_iris()
    order = np.random.RandomState(SEED).permutation(len(d.target))
    X, y = d.data[order], d.target[order]
    names = ["f%d" % i for i in range(X.shape[1])]
    labels = list(d.target_names)
    path = os.path.join(work, "iris.ndjson")
    write_ndjson(path, X, y, names, lambda t: labels[int(t)])
    sp = sp_learn(bindir, path, ["--task", "multiclass", "--classes", ",".join(labels), "--features", ", ".join(names)], work)
    sk = progressive(SGDClassifier(loss="log_loss", random_state=0), X, y, "multiclass", classes=np.array([0, 1, 2]))
    sko = progressive(SGDClassifier(loss="log_loss", random_state=0), X, y, "multiclass", classes=np.array([0, 1, 2]), oracle=True)
    check("iris (multiclass, 150)", "multiclass", sp["accuracy"], sk, sko)

    # Regression: diabetes (442 records, 10 features).
    d = load_diabetes()
    order = np.random.RandomState(SEED).permutation(len(d.target))
    X, y = d.data[order], d.target[order]
    names = ["f%d" % i for i in range(X.shape[1])]
    path = os.path.join(work, "diabetes.ndjson")
    write_ndjson(path, X, y, names, float)
    sp = sp_learn(bindir, path, ["--task", "regression", "--features", ", ".join(names)], work)
    sk = progressive(SGDRegressor(random_state=0), X, y, "regression")
    sko = progressive(SGDRegressor(random_state=0), X, y, "regression", oracle=True)
    check("diabetes (regression, 442)", "regression", sp["rmse"], sk, sko)

    # Generated events with a planted rule: label = slow (latency_ms > 30) or a server error.
    if gen_events:
        raw = subprocess.run([gen_events, "--lines", "3000", "--seed", "7"], check=True, capture_output=True, text=True).stdout
        events = [json.loads(l) for l in raw.splitlines()]
        path = os.path.join(work, "events.ndjson")
        with open(path, "w") as f:
            for e in events:
                e["label"] = e["latency_ms"] > 30 or e["status"] >= 500
                f.write(json.dumps(e) + "\n")
        feats = "service, method, cat(status), log(latency_ms), country"
        sp = sp_learn(bindir, path, ["--task", "binary", "--features", feats], work, target="label")
        # sklearn: the same features, one-hot encoded (vocabulary from the whole set) and log latency.
        from sklearn.feature_extraction import DictVectorizer
        dv = DictVectorizer(sparse=False)
        X = dv.fit_transform([{"service": e["service"], "method": e["method"], "status": str(e["status"]),
                               "country": e["country"], "log_latency": math.log1p(e["latency_ms"])} for e in events])
        y = np.array([int(e["label"]) for e in events])
        sk = progressive(SGDClassifier(loss="log_loss", random_state=0), X, y, "binary", classes=np.array([1, 0]))
        sko = progressive(SGDClassifier(loss="log_loss", random_state=0), X, y, "binary", classes=np.array([1, 0]), oracle=True)
        check("events: slow or 5xx (3000)", "binary", sp["accuracy"], sk, sko)

    print("%-30s %-9s %10s %10s %14s  goal" % ("dataset", "metric", "sp-learn", "sklearn", "sklearn-oracle"))
    for name, metric, a, b, c, goal, good in rows:
        print("%-30s %-9s %10.4f %10.4f %14.4f  %s: %s" % (name, metric, a, b, c, goal, "ok" if good else "MISSED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
