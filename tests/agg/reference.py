#!/usr/bin/env python3
"""Differential test of sp-agg against an exact python3 reference.

Generates events with gen-events (about 3% of them arrive up to 3 s late), runs sp-agg with
several windows, and recomputes every window and group here, simulating the same watermark:
  - count, sum, min, max, avg, distinct_count, first, last must match exactly;
  - stddev and variance within 1e-9 (relative);
  - approx_distinct: exact up to 256 distinct values, within 4% beyond (HLL, p = 14);
  - percentiles: the value must lie between the exact values at ranks q - 1% and q + 1%
    (rank (k + 0.5) / n for the k-th smallest, the t-digest's convention);
  - records the reference finds late must be exactly those in --late;
  - with --allowed-lateness, the last result written for a window and group is complete.
Exit status 0 when everything matches; the first differences are printed otherwise.
"""
import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import tempfile
import os

AGGS = ("count, sum(bytes), min(latency_ms), max(latency_ms), avg(latency_ms), "
        "distinct_count(user_id), approx_distinct(user_id), stddev(latency_ms), variance(latency_ms), "
        "first(path), last(path), p50(latency_ms), p90(latency_ms), p99(latency_ms), pct(latency_ms, 0.999)")
QUANTILES = {"p50_latency_ms": 0.5, "p90_latency_ms": 0.9, "p99_latency_ms": 0.99, "p99.9_latency_ms": 0.999}


def parse_ts(s):
    t = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return int(round(t.timestamp() * 1000))


def fmt_ms(ms):
    t = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


class Pane:
    def __init__(self, start, end):
        self.start, self.end = start, end
        self.events = []  # (t, record, arrival index)


def windows_for(kind, size, slide, t):
    if kind == "tumbling":
        s = t - t % size
        return [(s, s + size)]
    out = []
    s = t - t % slide
    while s > t - size:
        out.append((s, s + size))
        s -= slide
    return out


def reference(events, kind, size, slide, delay, group, lateness=0):
    """Returns ({(start, end, group values): Pane}, late line indices)."""
    panes, late = {}, []
    wm = -10**18
    max_t = -10**18
    sessions = {}  # group -> list of Pane
    for i, (t, r, _) in enumerate(events):
        g = tuple(r.get(f) for f in group)
        if kind == "session":
            lo, hi = t, t + size
            lst = sessions.setdefault(g, [])
            over = [p for p in lst if p.start < hi and lo < p.end]
            mlo = min([lo] + [p.start for p in over])
            mhi = max([hi] + [p.end for p in over])
            if mhi <= wm:
                late.append(i)
            else:
                target = Pane(mlo, mhi)
                for p in over:
                    target.events += p.events
                    lst.remove(p)
                target.events.append((t, r, i))
                lst.append(target)
                # Sessions whose end the watermark passes are final.
        elif kind == "global":
            p = panes.setdefault(g, Pane(t, t))
            p.start, p.end = min(p.start, t), max(p.end, t)
            p.events.append((t, r, i))
        else:
            ws = [w for w in windows_for(kind, size, slide, t) if w[1] + lateness > wm]
            if not ws:
                late.append(i)
            for w in ws:
                panes.setdefault((w, g), Pane(*w)).events.append((t, r, i))
        max_t = max(max_t, t)
        wm = max(wm, max_t - delay)
        if kind == "session":
            for g2, lst in sessions.items():
                for p in list(lst):
                    if p.end <= wm:
                        lst.remove(p)
                        panes[((p.start, p.end), g2)] = p
    if kind == "session":
        for g2, lst in sessions.items():
            for p in lst:
                panes[((p.start, p.end), g2)] = p
    out = {}
    for k, p in panes.items():
        g = k if kind == "global" else k[1]
        out[(fmt_ms(p.start), fmt_ms(p.end)) + tuple(json.dumps(v) for v in g)] = p
    return out, late


def expected(p):
    p.events.sort(key=lambda e: e[2])  # arrival order (sessions may have been merged)
    lat = [r["latency_ms"] for _, r, _ in p.events]
    n = len(lat)
    byts = 0
    for _, r, _ in p.events:
        byts += r["bytes"]
    s = 0.0
    for x in lat:
        s += x
    first = min(range(n), key=lambda i: (p.events[i][0], i))
    last = max(range(n), key=lambda i: (p.events[i][0], i))
    mean = sum(lat) / n
    var = sum((x - mean) ** 2 for x in lat) / (n - 1) if n > 1 else None
    return {
        "count": n, "sum_bytes": byts, "min_latency_ms": min(lat), "max_latency_ms": max(lat),
        "avg_latency_ms": s / n, "distinct_count_user_id": len({r["user_id"] for _, r, _ in p.events}),
        "first_path": p.events[first][1]["path"], "last_path": p.events[last][1]["path"],
        "variance_latency_ms": var, "stddev_latency_ms": math.sqrt(var) if var is not None else None,
        "_lat": sorted(lat),
    }


def check(case, got, exp, errors):
    for k, e in exp.items():
        if k == "_lat":
            continue
        g = got.get(k)
        # Merged sessions add partial sums, in another order than one pass: the last bit of a
        # floating-point mean may differ there.
        if k in ("stddev_latency_ms", "variance_latency_ms") or (case == "session" and k == "avg_latency_ms"):
            ok = (g is None and e is None) or (g is not None and e is not None and
                                               abs(g - e) <= 1e-9 * max(1.0, abs(e)))
        else:
            ok = g == e
        if not ok:
            errors.append("%s: %s: %s = %r, expected %r" % (case, got.get("_key"), k, g, e))
    d = got["distinct_count_user_id"]
    a = got["approx_distinct_user_id"]
    if (d <= 256 and a != d) or abs(a - d) > 0.04 * d:
        errors.append("%s: %s: approx_distinct %r vs exact %r" % (case, got.get("_key"), a, d))
    lat = exp["_lat"]
    n = len(lat)
    for name, q in QUANTILES.items():
        v = got.get(name)
        # The t-digest puts the k-th smallest value (0-based) at rank (k + 0.5) / n and
        # interpolates between neighbours; allow 1% of rank either side of q.
        lo = lat[min(n - 1, max(0, math.floor((q - 0.01) * n - 0.5)))]
        hi = lat[min(n - 1, max(0, math.ceil((q + 0.01) * n - 0.5)))]
        if v is None or not (lo <= v <= hi):
            errors.append("%s: %s: %s = %r, not within ranks q±1%% [%r, %r]" % (case, got.get("_key"), name, v, lo, hi))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agg", required=True)
    ap.add_argument("--gen-events", required=True)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    text = subprocess.run([args.gen_events, "--lines", str(args.events), "--seed", str(args.seed)],
                          check=True, capture_output=True, text=True).stdout
    lines = text.splitlines()
    events = []
    for line in lines:
        r = json.loads(line)
        events.append((parse_ts(r["ts"]), r, len(events)))

    cases = [
        # name, window, sp-agg window, size ms, slide ms, max-delay ms, group-by, allowed lateness ms
        ("tumbling", "tumbling", "tumbling:10s", 10000, 10000, 3000, ["service", "status"], 0),
        ("tumbling-late", "tumbling", "tumbling:5s", 5000, 5000, 500, ["service"], 0),
        ("tumbling-lateness", "tumbling", "tumbling:2s", 2000, 2000, 0, ["service"], 1000),
        ("hopping", "hopping", "hopping:30s/10s", 30000, 10000, 1000, ["service"], 0),
        ("session", "session", "session:2s", 2000, 0, 3000, ["user_id"], 0),
        ("global", "global", "global", 0, 0, 0, ["country"], 0),
    ]
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "events.ndjson")
        with open(src, "w") as f:
            f.write(text)
        for name, kind, spec, size, slide, delay, group, lateness in cases:
            late_path = os.path.join(tmp, name + ".late")
            cmd = [args.agg, "--window", spec, "--time", "ts", "--max-delay", "%dms" % delay,
                   "--group-by", ",".join(group), "--agg", AGGS, "--late", late_path,
                   "--allowed-lateness", "%dms" % lateness, src]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                errors.append("%s: sp-agg exited %d: %s" % (name, out.returncode, out.stderr))
                continue
            exp, late = reference(events, kind, size, slide, delay, group, lateness)
            got = {}
            updates = 0
            for line in out.stdout.splitlines():
                r = json.loads(line)
                key = (r["window_start"], r["window_end"]) + tuple(json.dumps(r[f]) for f in group)
                r["_key"] = key
                # With allowed lateness a result is written again, complete, when a late record
                # updates it: the last one counts.
                if key in got and not lateness:
                    errors.append("%s: %s written twice" % (name, key))
                if key in got:
                    updates += 1
                got[key] = r
            if set(got) != set(exp):
                missing = sorted(set(exp) - set(got))[:3]
                extra = sorted(set(got) - set(exp))[:3]
                errors.append("%s: windows differ: missing %s, unexpected %s (%d vs %d)" %
                              (name, missing, extra, len(got), len(exp)))
            for k in set(got) & set(exp):
                check(name, got[k], expected(exp[k]), errors)
            late_lines = open(late_path).read().splitlines() if os.path.exists(late_path) else []
            want_late = [lines[i] for i in late]
            if late_lines != want_late:
                errors.append("%s: %d late records, expected %d" % (name, len(late_lines), len(want_late)))
            if lateness and not updates:
                errors.append("%s: no updated results: the case does not test allowed lateness" % name)
            print("%s: %d results (%d updates), %d late records compared" % (name, len(got), updates, len(late_lines)))
    for e in errors[:20]:
        print("FAIL", e)
    if errors:
        print("%d differences" % len(errors))
        return 1
    print("all results match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
