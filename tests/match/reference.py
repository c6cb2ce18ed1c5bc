#!/usr/bin/env python3
"""sp-match against a brute-force reference.

For random small streams (a few keys, events with fields v in a/b/c and n in 0..9) and random
patterns (sequences, * + ? {n} {n,} {n,m}, reluctant variants, alternation, groups, ^, a
trailing !X), with and without --skip-irrelevant, --within and both --after-match strategies,
the reference finds each match the way MATCH_RECOGNIZE defines it: a backtracking matcher
enumerates the matches at a start event in order of preference (greedy: more repetitions
first; reluctant: fewer; alternation: left first) and takes the first; the next start is the
event after the match's first (skip-to-next) or last (skip-past-last) event. sp-match must
report the same matches (key, variables and events).

    reference.py --match build/sp-match [--cases 300] [--seed 1]
"""
import argparse
import json
import random
import subprocess
import sys

VARS = ["A", "B", "C"]
DEFS = {"A": 'v = "a"', "B": 'v = "b"', "C": 'v = "c" or n > 6'}
DYNAMIC_C = 'n > avg(A.n)'


def ok_static(var, e):
    if var == "A":
        return e["v"] == "a"
    if var == "B":
        return e["v"] == "b"
    return e["v"] == "c" or e["n"] > 6


# ---- random patterns: (kind, ...) trees

def nullable(node):
    k = node[0]
    if k == "var":
        return False
    if k == "seq":
        return all(nullable(x) for x in node[1])
    if k == "alt":
        return any(nullable(x) for x in node[1])
    return node[2] == 0 or nullable(node[1])  # rep: body, min, max, greedy


def gen_node(rng, depth):
    r = rng.random()
    if depth <= 0 or r < 0.45:
        node = ("var", rng.choice(VARS))
    elif r < 0.75:
        node = ("seq", [gen_node(rng, depth - 1) for _ in range(rng.randint(2, 3))])
    else:
        node = ("alt", [gen_node(rng, depth - 1) for _ in range(2)])
    if rng.random() < 0.45 and not nullable(node):
        q = rng.choice(["*", "+", "?", "{n}", "{n,}", "{n,m}"])
        greedy = rng.random() < 0.7
        if q == "*":
            lo, hi = 0, None
        elif q == "+":
            lo, hi = 1, None
        elif q == "?":
            lo, hi = 0, 1
        elif q == "{n}":
            lo = rng.randint(1, 3)
            hi = lo
        elif q == "{n,}":
            lo, hi = rng.randint(1, 3), None
        else:
            lo = rng.randint(0, 2)
            hi = lo + rng.randint(1, 2)
        node = ("rep", node, lo, hi, greedy, q)
    return node


def render(node, top=False):
    k = node[0]
    if k == "var":
        return node[1]
    if k == "seq":
        return " ".join(render(x) for x in node[1])
    if k == "alt":
        s = " | ".join(render(x) for x in node[1])
        return s if top else "(" + s + ")"
    body, lo, hi, greedy, q = node[1:]
    b = render(body)
    if body[0] in ("seq", "alt"):
        b = "(" + render(body, True) + ")"
    if q in ("*", "+", "?"):
        qs = q
    elif q == "{n}":
        qs = "{%d}" % lo
    elif q == "{n,}":
        qs = "{%d,}" % lo
    else:
        qs = "{%d,%d}" % (lo, hi)
    return b + qs + ("" if greedy else "?")


# ---- the backtracking matcher

class Matcher:
    def __init__(self, events, skip, within, dynamic):
        self.ev = events
        self.skip = skip
        self.within = within
        self.dynamic = dynamic
        self.start = 0

    def ok(self, var, i, hist):
        e = self.ev[i]
        if var == "C" and self.dynamic:
            ns = [self.ev[j]["n"] for j, v in hist if v == "A"]
            return bool(ns) and e["n"] > sum(ns) / len(ns)
        return ok_static(var, e)

    def in_time(self, i):
        return self.within is None or self.ev[i]["t"] - self.ev[self.start]["t"] <= self.within

    def m(self, node, i, hist):
        k = node[0]
        if k == "var":
            var = node[1]
            j = i
            if self.skip and hist:
                while j < len(self.ev) and not self.ok(var, j, hist):
                    j += 1
            if j < len(self.ev) and self.in_time(j) and self.ok(var, j, hist):
                yield j + 1, hist + ((j, var),)
        elif k == "seq":
            yield from self.seq(node[1], 0, i, hist)
        elif k == "alt":
            for alt in node[1]:
                yield from self.m(alt, i, hist)
        else:
            yield from self.rep(node, 0, i, hist)

    def seq(self, items, x, i, hist):
        if x == len(items):
            yield i, hist
            return
        for j, h in self.m(items[x], i, hist):
            yield from self.seq(items, x + 1, j, h)

    def rep(self, node, count, i, hist):
        body, lo, hi, greedy = node[1], node[2], node[3], node[4]
        more = hi is None or count < hi
        if not greedy and count >= lo:
            yield i, hist
        if more:
            for j, h in self.m(body, i, hist):
                yield from self.rep(node, count + 1, j, h)
        if greedy and count >= lo:
            yield i, hist

    def match_at(self, s, root):
        self.start = s
        for j, hist in self.m(root, s, ()):
            if hist and hist[0][0] == s:
                return hist
            if hist:
                return None  # cannot happen: the first element takes the start event
        return None


def reference(events, root, anchored, skip, within, after, absent, dynamic):
    out = []
    keys = sorted({e["k"] for e in events})
    for key in keys:
        evs = [e for e in events if e["k"] == key]
        mt = Matcher(evs, skip, within, dynamic)
        s = 0
        while s < len(evs):
            hist = mt.match_at(s, root)
            if hist and absent:
                last = hist[-1][0]
                deadline = evs[s]["t"] + within
                if any(evs[x]["t"] <= deadline and mt.ok(absent, x, hist) for x in range(last + 1, len(evs))):
                    hist = None
            if hist:
                out.append((key, tuple((evs[j]["id"], v) for j, v in hist)))
                s = hist[-1][0] + 1 if after == "skip-past-last" else s + 1
            else:
                s += 1
            if anchored:
                break
    return sorted(out)


def run_case(sp_match, rng, case):
    nkeys = rng.randint(1, 3)
    n = rng.randint(5, 40)
    t = 0
    events = []
    for i in range(n):
        t += rng.randint(1, 3)
        events.append({"id": i, "k": "k%d" % rng.randrange(nkeys), "t": t,
                       "v": rng.choice("abc"), "n": rng.randrange(10)})
    root = gen_node(rng, 3)
    text = render(root, True)
    anchored = rng.random() < 0.1
    if anchored:
        text = "^" + text
    skip = rng.random() < 0.3
    within = rng.choice([None, None, 5, 12])
    after = rng.choice(["skip-past-last", "skip-to-next"])
    absent = None
    if within and rng.random() < 0.3 and root[0] != "alt":
        absent = rng.choice(VARS)
        text += " !" + absent
    used = [v for v in VARS if v in text]
    dynamic = "A" in used and "C" in used and rng.random() < 0.4
    cmd = [sp_match, "--key", "k", "--time", "t", "--pattern", text, "--with-events", "--emit", "count(*) as n",
           "--after-match", after]
    for v in used:
        cmd += ["--define", "%s: %s" % (v, DYNAMIC_C if (v == "C" and dynamic) else DEFS[v])]
    if skip:
        cmd.append("--skip-irrelevant")
    if within:
        cmd += ["--within", "%ds" % within]
    stream = "".join(json.dumps(e) + "\n" for e in events)
    p = subprocess.run(cmd, input=stream, capture_output=True, text=True)
    if p.returncode != 0:
        return "exit %d: %s" % (p.returncode, p.stderr), cmd, stream
    got = []
    for line in p.stdout.splitlines():
        r = json.loads(line)
        got.append((r["key"], tuple((x["record"]["id"], x["var"]) for x in r["events"])))
    got.sort()
    want = reference(events, root, anchored, skip, within, after, absent, dynamic)
    if got != want:
        return "got %s\nwant %s" % (got, want), cmd, stream
    return None, cmd, stream


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--match", required=True)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    failures = 0
    for seed in range(a.seed, a.seed + a.cases):
        rng = random.Random(seed)
        err, cmd, stream = run_case(a.match, rng, seed)
        if err:
            failures += 1
            print("case seed %d: %s" % (seed, " ".join(repr(c) for c in cmd)), file=sys.stderr)
            print(err, file=sys.stderr)
            print(stream, file=sys.stderr)
            if failures >= 3:
                break
    if failures:
        print("FAILED: %d case(s) differ" % failures, file=sys.stderr)
        return 1
    print("%d cases agree" % a.cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
