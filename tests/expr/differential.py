#!/usr/bin/env python3
"""differential.py: random expressions, evaluated by the C++ evaluator and by reference.py.

Generates events with gen-events and a few hundred random, mostly well-typed expressions over
their fields (with some deliberate type errors, missing fields and every operator and
function), writes them with random spelling (keyword case, && or 'and', quote styles,
backticks, redundant parentheses), and checks that sp-expr-eval (On-Demand and DOM) and
reference.py agree on every value and on the number of evaluation errors.

    differential.py --eval build/tests/expr/sp-expr-eval --gen-events ../shared/bench/gen-events
                    [--count 300] [--events 2000] [--seed 1] [--keep DIR]
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference  # noqa: E402

OR, AND, NOT, CMP, ADD, MUL, UNARY, ATOM = range(1, 9)

NUM_FIELDS = ["status", "bytes", "latency_ms"] * 3 + ["nope", "ua.nope"]
STR_FIELDS = ["host", "service", "user_id", "ip", "method", "path", "country", "ua.browser", "ua.os",
              "tags[0]", "tags[1]", "ts", "nope"]
STR_LITS = ["GET", "POST", "api", "web", "Chrome", "Firefox", "", "x y", "/api/", "US", "DE", "é", "it's",
            'say "hi"', "u00", "200", "12.5", "2026-11-24T00:00:05Z", "/"]
LIKE_PATS = ["/api/%", "%search%", "_E_", "G%", "%", "%s", "/%/%", "u0%1", "a\\%", "%_", "__", "%o%e%"]
REGEXES = ["^/api", "\\d{3}", "^[A-Z]{2}$", "(?i)chrome", "GET|POST", "^u0[0-2]", "o$", "^$", "[aeiou]{2}"]
CIDRS = ["1.0.0.0/2", "10.0.0.0/8", "0.0.0.0/0", "77.0.0.0/8", "128.0.0.0/1", "192.168.0.0/16", "2001:db8::/32",
         "::ffff:0.0.0.0/96", "100.64.0.0/10"]
DURS = ["5m", "1h30m", "250ms", "1.5s", "2d", "90s", "1us", "10ms", "1h"]
TIME_FMTS = ["%Y-%m-%d", "%H:%M:%S.%L", "%d/%b/%Y:%H:%M:%S %z", "%a %j %y %I%p", "%s", "%F %T.%f", "%B %e"]


class Gen:
    def __init__(self, rng):
        self.r = rng

    def chance(self, p):
        return self.r.random() < p

    def pick(self, xs):
        return self.r.choice(xs)

    # ---- spelling

    def kw(self, w):
        return w.upper() if self.chance(0.2) else w

    def sp(self):
        return " "

    def quote(self, s):
        if self.chance(0.5) or "\\" in s:
            return "'" + s.replace("'", "''") + "'"
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def field(self, name):
        if self.chance(0.1) and "." not in name and "[" not in name:
            return ("`" + name + "`", ATOM)
        return (name, ATOM)

    def wrap(self, e, need):
        text, prec = e
        if prec < need or (self.chance(0.05) and prec < ATOM):
            return "(" + text + ")"
        return text

    def call(self, name, *args):
        return (name + "(" + ", ".join(self.wrap(a, OR) for a in args) + ")", ATOM)

    def binary(self, op, prec, a, b):
        return (self.wrap(a, prec) + " " + op + " " + self.wrap(b, prec + 1), prec)

    # ---- typed generators

    def gen(self, t, d):
        return getattr(self, "g_" + t)(d)

    def g_any(self, d):
        return self.gen(self.pick(["num", "str", "bool", "time", "dur", "num", "str"]), d)

    def num_lit(self):
        k = self.r.randrange(6)
        if k == 0:
            return (str(self.r.randrange(0, 1000)), ATOM)
        if k == 1:
            return (self.pick(["0.5", "12.25", "1e2", "3.75", "0.1", "2.5", "1e-3"]), ATOM)
        if k == 2:
            v = self.r.randrange(1, 600)
            return ("-" + str(v), UNARY)
        return (str(self.pick([0, 1, 2, 3, 10, 100, 200, 404, 500])), ATOM)

    def g_num(self, d):
        if d <= 0 or self.chance(0.25):
            return self.field(self.pick(NUM_FIELDS)) if self.chance(0.6) else self.num_lit()
        k = self.r.randrange(24)
        n = lambda: self.g_num(d - 1)  # noqa: E731
        if k < 5:
            op, prec = self.pick([("+", ADD), ("-", ADD), ("*", MUL), ("/", MUL), ("%", MUL)])
            return self.binary(op, prec, n(), n())
        if k == 5:
            return ("-" + self.wrap(n(), UNARY), UNARY)
        if k == 6:
            return self.call(self.pick(["abs", "floor", "ceil", "round", "sqrt", "log", "log10"]), n())
        if k == 7:
            return self.call("round", n(), (str(self.r.randrange(-2, 4)), ATOM))
        if k == 8:
            return self.call(self.pick(["min", "max"]), *[n() for _ in range(self.r.randrange(2, 4))])
        if k == 9:
            return self.call("pow", n(), (self.pick(["2", "0.5", "3", "-1"]), ATOM))
        if k == 10:
            return self.call("length", self.g_str(d - 1))
        if k == 11:
            return self.call("epoch_ms", self.g_time(d - 1))
        if k == 12:
            return self.call("if", self.g_bool(d - 1), n(), n())
        if k == 13:
            return self.call("coalesce", n(), n())
        if k == 14:
            return self.case("num", d)
        if k == 15:
            return self.call("to_number", self.pick([self.g_str(d - 1), self.field("status"),
                                                    self.call("to_string", n())]))
        if k == 16:
            return self.binary("/", MUL, self.g_dur(d - 1), self.g_dur(d - 1))
        if k == 17:
            return self.call("exp", (self.pick(["0", "1", "2.5", "-1"]), ATOM))
        if k == 18 and self.chance(0.3):  # a deliberate type error
            return self.binary(self.pick(["+", "*"]), ADD, n(), self.g_str(d - 1))
        if k == 19:
            return self.call("length", self.pick([self.field("tags"), self.call("split", self.g_str(d - 1), (self.quote("/"), ATOM))]))
        return self.field(self.pick(NUM_FIELDS))

    def g_str(self, d):
        if d <= 0 or self.chance(0.25):
            return self.field(self.pick(STR_FIELDS)) if self.chance(0.6) else (self.quote(self.pick(STR_LITS)), ATOM)
        k = self.r.randrange(22)
        s = lambda: self.g_str(d - 1)  # noqa: E731
        if k < 2:
            return self.call(self.pick(["lower", "upper"]), s())
        if k == 2:
            args = [s(), self.num_lit()]
            if self.chance(0.6):
                args.append((str(self.r.randrange(-1, 6)), ATOM))
            return self.call("substr", *args)
        if k == 3:
            return self.call(self.pick(["trim", "ltrim", "rtrim"]), self.call("concat", (self.quote("  "), ATOM), s(), (self.quote(" "), ATOM)))
        if k == 4:
            return self.call("concat", *[self.g_any(d - 1) for _ in range(self.r.randrange(1, 4))])
        if k == 5:
            return self.call("replace", s(), (self.quote(self.pick(["/", "a", "e", ".", ""])), ATOM), (self.quote(self.pick(["_", "", "XY"])), ATOM))
        if k == 6:
            return self.call("to_string", self.g_any(d - 1))
        if k == 7:
            return self.call("format_time", self.g_time(d - 1), (self.quote(self.pick(TIME_FMTS)), ATOM))
        if k == 8:
            return self.call(self.pick(["sha256", "xxh64"]), self.pick([s(), self.g_num(d - 1)]))
        if k == 9:
            base = self.call("split", s(), (self.quote(self.pick(["/", ".", "-", "e"])), ATOM))
            return (self.wrap(base, ATOM) + "[" + str(self.r.randrange(-2, 4)) + "]", ATOM)
        if k == 10:
            return self.call("if", self.g_bool(d - 1), s(), s())
        if k == 11:
            return self.call("coalesce", s(), s())
        if k == 12:
            return self.case("str", d)
        if k == 13:
            return self.call("type_of", self.g_any(d - 1))
        if k == 14:
            return self.call("trim", s(), (self.quote(self.pick(["/", "u0", "ae"])), ATOM))
        if k == 15:
            return self.call("xxh64", s(), (str(self.r.randrange(0, 5)), ATOM))
        if k == 16 and self.chance(0.3):  # a deliberate type error
            return self.call(self.pick(["lower", "trim"]), self.g_num(d - 1))
        if k == 17:
            return self.call("format_time", self.g_time(d - 1))
        return self.field(self.pick(STR_FIELDS))

    def g_bool(self, d):
        if d <= 0 or self.chance(0.1):
            return (self.kw(self.pick(["true", "false", "null"])), ATOM)
        k = self.r.randrange(26)
        b = lambda: self.g_bool(d - 1)  # noqa: E731
        cmp_ops = ["=", "==", "!=", "<>", "<", "<=", ">", ">="]
        if k < 3:
            return self.cmp(self.pick(cmp_ops), self.g_num(d - 1), self.g_num(d - 1))
        if k < 5:
            return self.cmp(self.pick(cmp_ops), self.g_str(d - 1), self.g_str(d - 1))
        if k == 5:
            return self.cmp(self.pick(cmp_ops), self.g_time(d - 1), self.pick([self.g_time(d - 1), self.field("ts"), (self.quote("2026-11-24T00:00:05Z"), ATOM)]))
        if k < 8:
            op = self.pick([self.kw("and"), "&&"])
            return self.binary(op, AND, b(), b()) if True else None
        if k < 10:
            op = self.pick([self.kw("or"), "||"])
            return self.binary(op, OR, b(), b())
        if k == 10:
            if self.chance(0.5):
                return ("!" + self.wrap(b(), NOT), NOT)
            return (self.kw("not") + " " + self.wrap(b(), NOT), NOT)
        if k == 11:
            neg = self.kw("not") + " " if self.chance(0.3) else ""
            if self.chance(0.5):
                items = [self.num_lit() for _ in range(self.r.randrange(1, 5))]
                x = self.g_num(d - 1)
            else:
                items = [(self.quote(self.pick(STR_LITS + ["api", "GET", "search", "Safari"])), ATOM) for _ in range(self.r.randrange(1, 5))]
                x = self.g_str(d - 1)
            if self.chance(0.15):
                items.append((self.kw("null"), ATOM))
            if self.chance(0.2):
                items.append(self.g_any(d - 1))
            return (self.wrap(x, ADD) + " " + neg + self.kw("in") + " (" + ", ".join(self.wrap(i, OR) for i in items) + ")", CMP)
        if k == 12:
            neg = self.kw("not") + " " if self.chance(0.3) else ""
            t = self.pick(["num", "num", "str", "time"])
            x, lo, hi = self.gen(t, d - 1), self.gen(t, d - 1), self.gen(t, d - 1)
            return (self.wrap(x, ADD) + " " + neg + self.kw("between") + " " + self.wrap(lo, ADD) + " " + self.kw("and") + " " + self.wrap(hi, ADD), CMP)
        if k == 13:
            neg = self.kw("not") + " " if self.chance(0.3) else ""
            op = self.kw(self.pick(["like", "like", "ilike"]))
            pat = (self.quote(self.pick(LIKE_PATS)), ATOM) if self.chance(0.8) else self.g_str(d - 1)
            return (self.wrap(self.g_str(d - 1), ADD) + " " + neg + op + " " + self.wrap(pat, ADD), CMP)
        if k == 14:
            op = self.pick(["=~", "!~"])
            return (self.wrap(self.g_str(d - 1), ADD) + " " + op + " " + self.wrap((self.quote(self.pick(REGEXES)), ATOM), ADD), CMP)
        if k == 15:
            return (self.wrap(self.g_any(d - 1), ADD) + " " + self.kw("is") + " " + (self.kw("not") + " " if self.chance(0.5) else "") + self.kw("null"), CMP)
        if k == 16:
            return self.call(self.pick(["starts_with", "ends_with", "contains"]), self.g_str(d - 1), self.g_str(d - 1))
        if k == 17:
            return self.call("contains", self.field("tags"), (self.quote(self.pick(["h2", "mobile", "gzip", "x"])), ATOM))
        if k == 18:
            return self.call("cidr_match", self.field("ip"), (self.quote(self.pick(CIDRS)), ATOM))
        if k == 19:
            return self.call("sample", self.field(self.pick(["user_id", "ip", "status"])), (self.pick(["0.1", "0.5", "0", "1"]), ATOM))
        if k == 20:
            return self.call(self.pick(["is_number", "is_string", "is_bool", "is_null", "is_array", "is_object", "is_time"]), self.g_any(d - 1))
        if k == 21:
            return self.call("if", b(), b(), b())
        if k == 22 and self.chance(0.3):  # deliberate type errors
            return self.pick([self.cmp(">", self.g_num(d - 1), self.g_str(d - 1)),
                              self.binary(self.kw("and"), AND, self.g_num(d - 1), b()),
                              ("not " + self.wrap(self.g_str(d - 1), NOT), NOT)])
        if k == 23:
            return self.cmp(self.pick(cmp_ops), self.g_dur(d - 1), self.g_dur(d - 1))
        return self.cmp(self.pick(cmp_ops), self.g_num(d - 1), self.g_num(d - 1))

    def cmp(self, op, a, b):
        return (self.wrap(a, ADD) + " " + op + " " + self.wrap(b, ADD), CMP)

    def g_time(self, d):
        k = self.r.randrange(7)
        if d <= 0 or k == 0:
            return self.call("to_time", self.field("ts"))
        if k == 1:
            return self.call("parse_time", self.field("ts"))
        if k == 2:
            return self.call("time_floor", self.pick([self.field("ts"), self.g_time(d - 1)]), (self.pick(DURS), ATOM))
        if k == 3:
            return self.binary(self.pick(["+", "-"]), ADD, self.field("ts"), self.g_dur(d - 1))
        if k == 4:
            return self.call("parse_time", self.field("ts"), (self.quote("%Y-%m-%dT%H:%M:%S.%f%z"), ATOM))
        if k == 5:
            return self.call("to_time", self.pick([self.field("bytes"), self.num_lit()]))
        return self.binary("+", ADD, self.g_time(d - 1), self.g_dur(d - 1))

    def g_dur(self, d):
        k = self.r.randrange(6)
        if d <= 0 or k == 0:
            return (self.pick(DURS), ATOM)
        if k == 1:
            return self.binary("-", ADD, self.g_time(d - 1), self.call("to_time", (self.quote("2026-11-24T00:00:00Z"), ATOM)))
        if k == 2:
            return self.binary(self.pick(["+", "-"]), ADD, self.g_dur(d - 1), self.g_dur(d - 1))
        if k == 3:
            return self.binary(self.pick(["*", "/"]), MUL, self.g_dur(d - 1), self.pick([(self.pick(["2", "0.5", "3"]), ATOM), self.g_num(d - 1)]))
        if k == 4:
            return self.call("abs", ("-" + self.pick(DURS), UNARY))
        return self.binary("%", MUL, self.g_dur(d - 1), (self.pick(DURS), ATOM))

    def case(self, t, d):
        parts = [self.kw("case")]
        simple = self.chance(0.3)
        if simple:
            parts.append(self.wrap(self.g_num(d - 1), OR))
        for _ in range(self.r.randrange(1, 4)):
            cond = self.num_lit() if simple else self.g_bool(d - 1)
            parts += [self.kw("when"), self.wrap(cond, OR), self.kw("then"), self.wrap(self.gen(t, d - 1), OR)]
        if self.chance(0.7):
            parts += [self.kw("else"), self.wrap(self.gen(t, d - 1), OR)]
        parts.append(self.kw("end"))
        return (" ".join(parts), ATOM)


def same_values(a, b):
    try:
        av, ae = a.rsplit(" ", 1)
        bv, be = b.rsplit(" ", 1)
        return ae == be and reference.json.loads(av) == reference.json.loads(bv)
    except ValueError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", required=True, help="the sp-expr-eval binary")
    ap.add_argument("--gen-events", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write the inputs and outputs to this directory")
    args = ap.parse_args()

    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        return run(args, args.keep)
    with tempfile.TemporaryDirectory(prefix="sp-expr-diff-") as work:
        return run(args, work)


def run(args, work):
    events = os.path.join(work, "events.ndjson")
    exprs = os.path.join(work, "exprs.txt")
    with open(events, "wb") as f:
        subprocess.run([sys.executable, args.gen_events, "--lines", str(args.events), "--seed", str(args.seed)],
                       stdout=f, check=True)
    rng = random.Random(args.seed)
    gen = Gen(rng)
    texts = []
    for i in range(args.count):
        top = gen.pick(["bool"] * 8 + ["num"] * 4 + ["str"] * 5 + ["time", "dur", "any"])
        texts.append(gen.wrap(gen.gen(top, rng.randrange(2, 6)), OR))
    with open(exprs, "w", encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")

    ref_out = os.path.join(work, "reference.out")
    with open(ref_out, "w", encoding="utf-8") as f:
        subprocess.run([sys.executable, os.path.join(HERE, "reference.py"), "--exprs", exprs, "--events", events],
                       stdout=f, check=True)
    outputs = {}
    for mode in ("ondemand", "dom"):
        cmd = [args.eval, "--exprs", exprs, "--events", events, "--errors"] + (["--dom"] if mode == "dom" else [])
        outputs[mode] = subprocess.run(cmd, stdout=subprocess.PIPE, check=True).stdout.decode().splitlines()
        with open(os.path.join(work, mode + ".out"), "w", encoding="utf-8") as f:
            f.write("\n".join(outputs[mode]) + "\n")
    with open(ref_out, encoding="utf-8") as f:
        ref = f.read().splitlines()
    with open(events, encoding="utf-8") as f:
        event_lines = [line.rstrip("\n") for line in f if line.strip()]

    failures = 0
    varying = with_errors = 0
    for i, text in enumerate(texts):
        want = ref[i]
        for mode, lines in outputs.items():
            got = lines[i] if i < len(lines) else "<missing>"
            if got == want:
                continue
            if mode == "dom" and same_values(got, want):
                continue  # DOM does not keep the text numbers were read with (7.0 -> 7)
            failures += 1
            if failures > 10:
                continue
            print("MISMATCH (%s) expression %d: %s" % (mode, i + 1, text))
            try:
                wv, we = want.rsplit(" ", 1)
                gv, ge = got.rsplit(" ", 1)
                wl = reference.json.loads(wv)
                gl = reference.json.loads(gv)
                for j, (a, b) in enumerate(zip(wl, gl)):
                    if a != b:
                        print("  event %d: %s" % (j + 1, event_lines[j]))
                        print("  reference: %r\n  c++:       %r" % (a, b))
                        break
                else:
                    print("  errors: reference %s, c++ %s" % (we, ge))
            except Exception:  # the C++ side failed to compile the expression, for example
                print("  reference: %s\n  c++:       %s" % (want[:300], got[:300]))
        values, errors = want.rsplit(" ", 1)
        varying += len({reference.json.dumps(v) for v in reference.json.loads(values)}) > 1
        with_errors += errors != "0"
    print("%d expressions x %d events: %d vary across events, %d count evaluation errors; %d mismatches"
          % (len(texts), len(event_lines), varying, with_errors, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
