#!/usr/bin/python3
"""Planted anomalies: sp-predict --anomaly must find them with precision and recall >= 0.9.

Latencies of five services, each with its own log-normal baseline (medians from 8 ms to
400 ms) and a slow drift, 20,000 records in all; 1% of them (after each service's first 100)
are planted anomalies: the latency multiplied or divided by 8 to 40. A spike of the fast
service is an ordinary latency of the slow one, so only a per-key baseline (--by service) can
find them. Prints precision and recall for each method; ewma and mad must reach 0.9 on both.

  anomaly_planted.py SP_BIN_DIR
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

SERVICES = {"auth": 8.0, "search": 35.0, "checkout": 120.0, "media": 400.0, "api": 60.0}
N = 20000


def generate(path):
    rng = random.Random(11)
    planted = set()
    seen = {s: 0 for s in SERVICES}
    with open(path, "w") as f:
        for i in range(N):
            svc = rng.choice(list(SERVICES))
            seen[svc] += 1
            drift = 1 + 0.3 * math.sin(i / 3000.0)
            lat = rng.lognormvariate(math.log(SERVICES[svc] * drift), 0.35)
            if seen[svc] > 100 and rng.random() < 0.01:
                factor = rng.uniform(8, 40)
                lat = lat * factor if rng.random() < 0.7 else lat / factor
                planted.add(i)
            f.write(json.dumps({"i": i, "service": svc, "latency_ms": round(lat, 3)}) + "\n")
    return planted


def main():
    bindir = sys.argv[1]
    work = tempfile.mkdtemp(prefix="sp-anomaly-")
    data = os.path.join(work, "latencies.ndjson")
    planted = generate(data)
    ok = True
    print("%d records, %d planted anomalies" % (N, len(planted)))
    print("%-6s %9s %9s %9s  goal" % ("method", "flagged", "precision", "recall"))
    for method, gated in (("ewma", True), ("mad", True), ("hst", False)):
        cmd = [os.path.join(bindir, "sp-predict"), "-q", "--strict", "--anomaly", "log(latency_ms)", "--by", "service",
               "--method", method, data]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        flagged = {r["i"] for r in map(json.loads, out.splitlines()) if r["is_anomaly"]}
        tp = len(flagged & planted)
        precision = tp / len(flagged) if flagged else 0.0
        recall = tp / len(planted)
        good = precision >= 0.9 and recall >= 0.9
        if gated:
            ok = ok and good
        print("%-6s %9d %9.3f %9.3f  %s" % (method, len(flagged), precision, recall,
                                            ("precision and recall >= 0.9: " + ("ok" if good else "MISSED"))
                                            if gated else "(for information)"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
