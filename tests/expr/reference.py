#!/usr/bin/env python3
"""reference.py: an independent python3 evaluator of the sp expression language.

Written from the language's documented semantics (lib/expr/*.h, man/sp-filter.1) for the
differential test: it parses expression text itself and evaluates it over NDJSON events, and
prints what tests/expr/sp-expr-eval prints, one line per expression:

    [result for event 1, result for event 2, ...] ERRORS

where each result is the value as JSON and ERRORS is the number of evaluation errors (type
errors and the like, each making a result null). Standard library only. It covers the whole
language except aggregates, pattern variables and now().

    reference.py --exprs FILE --events FILE
"""
import argparse
import hashlib
import ipaddress
import json
import math
import re
import struct
import sys

# ---------------------------------------------------------------- values
# null: None; boolean: bool; number: float, or Num (a number read from a record, which keeps
# its JSON text); string: str; time: Time; duration: Dur; array/object: Json (JSON text).


class Num(float):
    """A number read from a record: the float, and the JSON text it was written with."""

    def __new__(cls, text):
        v = float.__new__(cls, float(text))
        v.raw = text
        return v


class Time:
    __slots__ = ("ns",)

    def __init__(self, ns):
        self.ns = ns


class Dur:
    __slots__ = ("ns",)

    def __init__(self, ns):
        self.ns = ns


class Json:
    """An array or object, as JSON text."""
    __slots__ = ("text", "kind")

    def __init__(self, text, kind):
        self.text = text
        self.kind = kind  # "array" or "object"


INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)
NS = 1_000_000_000


def type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, Time):
        return "time"
    if isinstance(v, Dur):
        return "duration"
    return v.kind


def is_num(v):
    return isinstance(v, float) and not isinstance(v, bool)


def to_json_value(x):
    """A Python value parsed from JSON (json.loads with Num hooks) as a language value."""
    if isinstance(x, list):
        return Json(dump(x), "array")
    if isinstance(x, dict):
        return Json(dump(x), "object")
    return x


def dump(x):
    """Compact JSON text, numbers as lib/expr writes them."""
    if isinstance(x, dict):
        return "{" + ",".join(json_string(k) + ":" + dump(v) for k, v in x.items()) + "}"
    if isinstance(x, list):
        return "[" + ",".join(dump(v) for v in x) + "]"
    return render(x)


def load_json(text):
    return json.loads(text, parse_int=Num, parse_float=Num)


# ---------------------------------------------------------------- rendering

def shortest_parts(x):
    """Shortest round-trip digits and decimal exponent of x: x = 0.DIGITS * 10**exp."""
    r = repr(abs(x))
    if "e" in r:
        mant, e = r.split("e")
        e = int(e)
    else:
        mant, e = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    if fp == "0":
        fp = ""
    digits = (ip + fp).lstrip("0")
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip("0"))
    point = len(ip) - lead_zeros + e  # position of the decimal point within digits
    digits = digits.rstrip("0") or "0"
    return digits, point


def cpp_number(x):
    """Text of a double as lib/expr writes it (append_number)."""
    if x == math.trunc(x) and abs(x) < 9007199254740992.0:
        return str(int(x))
    # std::to_chars(double): the shorter of fixed and scientific, fixed on a tie; fixed
    # notation of an integral value prints its exact digits.
    neg = "-" if x < 0 else ""
    digits, point = shortest_parts(x)
    if x == math.trunc(x):
        fixed = str(int(abs(x)))
    elif point <= 0:
        fixed = "0." + "0" * (-point) + digits
    elif point >= len(digits):
        fixed = digits + "0" * (point - len(digits))
    else:
        fixed = digits[:point] + "." + digits[point:]
    exp = point - 1
    sci = digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + "e" + ("-" if exp < 0 else "+") + "%02d" % abs(exp)
    return neg + (fixed if len(fixed) <= len(sci) else sci)


def json_string(s):
    return json.dumps(s, ensure_ascii=False)


def floor_div(a, b):
    return a // b


def civil(ns):
    days = floor_div(ns, 86400 * NS)
    rem = ns - days * 86400 * NS
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    return days, y, m, d, rem


def days_from_civil(y, m, d):
    y -= 1 if m <= 2 else 0
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def format_time(ns, fmt):
    days, y, m, d, rem = civil(ns)
    secs = rem // NS
    sub = rem % NS
    hh, mi, ss = secs // 3600, secs // 60 % 60, secs % 60
    wday = (days + 4) % 7
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%" or i + 1 >= len(fmt):
            out.append(c)
            i += 1
            continue
        k = fmt[i + 1]
        i += 2
        if k == "Y":
            out.append("%04d" % y)
        elif k == "y":
            out.append("%02d" % (y % 100))
        elif k == "m":
            out.append("%02d" % m)
        elif k == "d":
            out.append("%02d" % d)
        elif k == "e":
            out.append("%2d" % d)
        elif k == "H":
            out.append("%02d" % hh)
        elif k == "I":
            out.append("%02d" % (12 if hh % 12 == 0 else hh % 12))
        elif k == "p":
            out.append("AM" if hh < 12 else "PM")
        elif k == "M":
            out.append("%02d" % mi)
        elif k == "S":
            out.append("%02d" % ss)
        elif k == "j":
            out.append("%03d" % (days - days_from_civil(y, 1, 1) + 1))
        elif k == "L":
            out.append("%03d" % (sub // 1_000_000))
        elif k == "f":
            out.append("%06d" % (sub // 1000))
        elif k == "N":
            out.append("%09d" % sub)
        elif k == "z":
            out.append("+0000")
        elif k == "Z":
            out.append("UTC")
        elif k in "bh":
            out.append(MONTHS[m - 1][:3])
        elif k == "B":
            out.append(MONTHS[m - 1])
        elif k == "a":
            out.append(DAYS[wday][:3])
        elif k == "A":
            out.append(DAYS[wday])
        elif k == "s":
            out.append(str(floor_div(ns, NS)))
        elif k == "T":
            out.append("%02d:%02d:%02d" % (hh, mi, ss))
        elif k == "F":
            out.append("%04d-%02d-%02d" % (y, m, d))
        elif k == "D":
            out.append("%02d/%02d/%02d" % (m, d, y % 100))
        elif k == "%":
            out.append("%")
        else:
            out.append("%" + k)
    return "".join(out)


def rfc3339(ns):
    return format_time(ns, "%Y-%m-%dT%H:%M:%S.%LZ")


def frac_text(num, den):
    if num == 0:
        return ""
    s = "."
    while num:
        den //= 10
        s += str(num // den)
        num %= den
    return s


def format_duration(ns):
    if ns == 0:
        return "0s"
    out = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 1000:
        return out + "%dns" % u
    if u < 1_000_000:
        return out + str(u // 1000) + frac_text(u % 1000, 1000) + "us"
    if u < NS:
        return out + str(u // 1_000_000) + frac_text(u % 1_000_000, 1_000_000) + "ms"
    s, frac = divmod(u, NS)
    dd, hh, mm, ss = s // 86400, s // 3600 % 24, s // 60 % 60, s % 60
    if dd:
        out += "%dd" % dd
    if hh:
        out += "%dh" % hh
    if mm:
        out += "%dm" % mm
    if ss or frac:
        out += str(ss) + frac_text(frac, NS) + "s"
    return out


def render(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, Num):
        return v.raw
    if isinstance(v, float):
        return cpp_number(v) if math.isfinite(v) else "null"
    if isinstance(v, str):
        return json_string(v)
    if isinstance(v, Time):
        return '"' + rfc3339(v.ns) + '"'
    if isinstance(v, Dur):
        return '"' + format_duration(v.ns) + '"'
    return v.text


def text_of(v):
    """to_string() / concat() text."""
    if isinstance(v, str):
        return v
    if isinstance(v, Time):
        return rfc3339(v.ns)
    if isinstance(v, Dur):
        return format_duration(v.ns)
    if isinstance(v, float) and not isinstance(v, bool):
        return cpp_number(v) if math.isfinite(v) else "null"
    return render(v)


# ---------------------------------------------------------------- time parsing

RFC_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
                    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?\Z")


def dim(y, m):
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    return [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]


def make_time(y, mo, d, h, mi, s, nanos, offset):
    if y < 1 or y > 9999 or mo < 1 or mo > 12 or d < 1 or d > dim(y, mo) or h > 23 or mi > 59 or s > 60:
        return None
    ns = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset) * NS + nanos
    if ns > INT64_MAX or ns < INT64_MIN:
        return None
    return ns


def frac_nanos(digits):
    return int((digits[:9]).ljust(9, "0"))


def parse_rfc3339(t):
    m = RFC_RE.match(t)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if m.group(4) is None:
        return make_time(y, mo, d, 0, 0, 0, 0, 0)
    h, mi, s = int(m.group(4)), int(m.group(5)), int(m.group(6))
    nanos = frac_nanos(m.group(7)) if m.group(7) else 0
    offset = 0
    if m.group(9):
        oh = int(m.group(10))
        om = int(m.group(11)) if m.group(11) else 0
        if oh > 23 or om > 59:
            return None
        offset = (oh * 3600 + om * 60) * (-1 if m.group(9) == "-" else 1)
    return make_time(y, mo, d, h, mi, s, nanos, offset)


def time_from_epoch(n):
    if not math.isfinite(n):
        return None
    unit = NS if abs(n) < 1e11 else 1_000_000
    ip = math.trunc(n)
    if abs(ip) > 9.2e18 / unit:
        return None
    return int(ip) * unit + llround((n - ip) * unit)


def llround(x):
    """C's llround: to nearest, halves away from zero (exact: x - floor(x) has no rounding)."""
    a = abs(x)
    f = math.floor(a)
    r = f + 1 if a - f >= 0.5 else f
    return int(r) if x >= 0 else -int(r)


def as_time(v):
    if isinstance(v, Time):
        return v.ns
    if isinstance(v, str):
        return parse_rfc3339(v)
    if is_num(v):
        return time_from_epoch(float(v))
    return None


def parse_time_format(text, fmt):
    """The directives of time.h's parse_time_format (the subset the tests use and more)."""
    f = dict(year=1970, month=1, day=1, hour=0, minute=0, second=0, nanos=0, offset=0)
    i = 0
    k = 0

    def num(maxd):
        nonlocal i
        j = i
        while j < len(text) and j - i < maxd and text[j].isdigit() and text[j] < "\x80":
            j += 1
        if j == i:
            raise ValueError
        v = int(text[i:j])
        i = j
        return v

    try:
        while k < len(fmt):
            c = fmt[k]
            if c in " \t":
                while i < len(text) and text[i] in " \t":
                    i += 1
                k += 1
                continue
            if c != "%":
                if i < len(text) and text[i] == c:
                    i += 1
                else:
                    return None
                k += 1
                continue
            d = fmt[k + 1]
            k += 2
            if d == "Y":
                f["year"] = num(4)
            elif d == "m":
                f["month"] = num(2)
            elif d == "d":
                f["day"] = num(2)
            elif d == "H":
                f["hour"] = num(2)
            elif d == "M":
                f["minute"] = num(2)
            elif d == "S":
                f["second"] = num(2)
            elif d == "f":
                j = i
                while j < len(text) and text[j].isdigit():
                    j += 1
                if j == i:
                    return None
                f["nanos"] = frac_nanos(text[i:j])
                i = j
            elif d == "z":
                if i < len(text) and text[i] in "Zz":
                    i += 1
                else:
                    m = re.compile(r"([+-])(\d{2}):?(\d{2})?").match(text, i)
                    if not m:
                        return None
                    oh, om = int(m.group(2)), int(m.group(3) or 0)
                    if oh > 23 or om > 59:
                        return None
                    f["offset"] = (oh * 3600 + om * 60) * (-1 if m.group(1) == "-" else 1)
                    i = m.end()
            elif d == "T":
                f["hour"] = num(2)
                if text[i:i + 1] != ":":
                    return None
                i += 1
                f["minute"] = num(2)
                if text[i:i + 1] != ":":
                    return None
                i += 1
                f["second"] = num(2)
            elif d == "F":
                f["year"] = num(4)
                if text[i:i + 1] != "-":
                    return None
                i += 1
                f["month"] = num(2)
                if text[i:i + 1] != "-":
                    return None
                i += 1
                f["day"] = num(2)
            elif d == "%":
                if text[i:i + 1] != "%":
                    return None
                i += 1
            else:
                raise NotImplementedError("reference.py: %" + d)
    except ValueError:
        return None
    if i != len(text):
        return None
    return make_time(f["year"], f["month"], f["day"], f["hour"], f["minute"], f["second"], f["nanos"], f["offset"])


UNITS = [("ns", 1), ("us", 1000), ("\u00b5s", 1000), ("ms", 1_000_000), ("s", NS), ("m", 60 * NS),
         ("h", 3600 * NS), ("d", 86400 * NS)]


def parse_duration(t):
    i = 0
    total = 0
    if not t:
        return None
    while i < len(t):
        m = re.compile(r"(\d+)(?:\.(\d+))?").match(t, i)
        if not m:
            return None
        i = m.end()
        for name, unit in UNITS:
            if t.startswith(name, i):
                i += len(name)
                break
        else:
            return None
        whole = int(m.group(1))
        fd = (m.group(2) or "")[:18]
        num, den = (int(fd), 10 ** len(fd)) if fd else (0, 1)
        total += whole * unit + (num * unit + den // 2) // den
        if total > INT64_MAX:
            return None
    return total


# ---------------------------------------------------------------- xxh64

P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
                      0x27D4EB2F165667C5)
M64 = (1 << 64) - 1


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def xxh64(data, seed=0):
    seed &= M64
    n = len(data)
    i = 0

    def rnd(acc, lane):
        acc = (acc + lane * P2) & M64
        return (rotl(acc, 31) * P1) & M64

    def merge(acc, v):
        acc ^= rnd(0, v)
        return (acc * P1 + P4) & M64

    if n >= 32:
        v1, v2, v3, v4 = (seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64
        while i + 32 <= n:
            a, b, c, d = struct.unpack_from("<4Q", data, i)
            v1, v2, v3, v4 = rnd(v1, a), rnd(v2, b), rnd(v3, c), rnd(v4, d)
            i += 32
        h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) & M64
        for v in (v1, v2, v3, v4):
            h = merge(h, v)
    else:
        h = (seed + P5) & M64
    h = (h + n) & M64
    while i + 8 <= n:
        (k,) = struct.unpack_from("<Q", data, i)
        h ^= rnd(0, k)
        h = (rotl(h, 27) * P1 + P4) & M64
        i += 8
    if i + 4 <= n:
        (k,) = struct.unpack_from("<I", data, i)
        h ^= (k * P1) & M64
        h = (rotl(h, 23) * P2 + P3) & M64
        i += 4
    while i < n:
        h ^= (data[i] * P5) & M64
        h = (rotl(h, 11) * P1) & M64
        i += 1
    h ^= h >> 33
    h = (h * P2) & M64
    h ^= h >> 29
    h = (h * P3) & M64
    h ^= h >> 32
    return h


# ---------------------------------------------------------------- lexer and parser

KEYWORDS = {"and", "or", "not", "in", "between", "like", "ilike", "is", "null", "true", "false", "case",
            "when", "then", "else", "end", "as"}

TOKEN_RE = re.compile(r"""
  (?P<ws>\s+)
| (?P<dur>(?:\d+(?:\.\d+)?(?:ns|us|\u00b5s|ms|s|m|h|d))+(?![\w@$]))
| (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
| (?P<sq>'(?:[^']|'')*')
| (?P<dq>"(?:[^"\\]|\\.)*")
| (?P<path>(?:[A-Za-z_@$\u0080-\U0010ffff][\w@$\u0080-\U0010ffff]*|`[^`]*`)
           (?:\[(?:\d+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\]
            |\.(?:[A-Za-z_@$\u0080-\U0010ffff][\w@$\u0080-\U0010ffff]*|`[^`]*`|\d+))*)
| (?P<op>==|!=|<>|<=|>=|=~|!~|&&|\|\||[-+*/%()\[\],=<>!])
""", re.X)


def unescape_dq(s):
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            e = s[i + 1]
            i += 2
            if e in '"\\/':
                out.append(e)
            elif e in "bfnrt":
                out.append({"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}[e])
            elif e == "u":
                cp = int(s[i:i + 4], 16)
                i += 4
                if 0xD800 <= cp < 0xDC00 and s[i:i + 2] == "\\u":
                    lo = int(s[i + 2:i + 6], 16)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    i += 6
                out.append(chr(cp))
            else:
                out.append("\\" + e)
            continue
        out.append(c)
        i += 1
    return "".join(out)


def tokenize(text):
    toks = []
    i = 0
    while i < len(text):
        m = TOKEN_RE.match(text, i)
        if not m:
            raise SyntaxError("bad token at %d" % i)
        i = m.end()
        kind = m.lastgroup
        s = m.group(kind)
        if kind == "ws":
            continue
        if kind == "sq":
            toks.append(("str", s[1:-1].replace("''", "'")))
        elif kind == "dq":
            toks.append(("str", unescape_dq(s[1:-1])))
        elif kind == "num":
            toks.append(("num", float(s)))
        elif kind == "dur":
            toks.append(("dur", parse_duration(s)))
        elif kind == "path":
            word = s.lower() if re.fullmatch(r"[A-Za-z_]\w*", s) else None
            toks.append(("word" if word in KEYWORDS else "path", word if word in KEYWORDS else s))
        else:
            toks.append(("op", s))
    toks.append(("end", None))
    return toks


def parse_path(s):
    """A field path as a list of (key, index, index_only) like json::FieldPath."""
    segs = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "`":
            j = s.index("`", i + 1)
            segs.append((s[i + 1:j], -1, False))
            i = j + 1
        elif c == "[":
            j = i + 1
            if s[j] in "\"'":
                q = s[j]
                k = j + 1
                key = ""
                while s[k] != q:
                    if s[k] == "\\":
                        k += 1
                    key += s[k]
                    k += 1
                segs.append((key, -1, False))
                i = k + 2
            else:
                k = s.index("]", j)
                segs.append((s[j:k], int(s[j:k]), True))
                i = k + 1
        elif c == ".":
            i += 1
        else:
            j = i
            while j < len(s) and s[j] not in ".[`":
                j += 1
            key = s[i:j]
            segs.append((key, int(key) if key.isdigit() else -1, False))
            i = j
    return segs


class Parser:
    def __init__(self, text):
        self.t = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.t[min(self.i + k, len(self.t) - 1)]

    def next(self):
        tok = self.t[self.i]
        self.i += 1
        return tok

    def word(self, w, k=0):
        return self.peek(k) == ("word", w)

    def op(self, o):
        return self.peek() == ("op", o)

    def expect_op(self, o):
        if not self.op(o):
            raise SyntaxError("expected " + o)
        self.next()

    def parse(self):
        e = self.p_or()
        if self.peek()[0] != "end":
            raise SyntaxError("trailing tokens")
        return e

    def p_or(self):
        left = self.p_and()
        while self.word("or") or self.op("||"):
            self.next()
            left = ("or", left, self.p_and())
        return left

    def p_and(self):
        left = self.p_not()
        while self.word("and") or self.op("&&"):
            self.next()
            left = ("and", left, self.p_not())
        return left

    def p_not(self):
        if self.word("not") or self.op("!"):
            self.next()
            return ("not", self.p_not())
        return self.p_cmp()

    def p_cmp(self):
        left = self.p_sum()
        t = self.peek()
        if t[0] == "op" and t[1] in ("=", "==", "!=", "<>", "<", "<=", ">", ">=", "=~", "!~"):
            self.next()
            o = {"==": "=", "<>": "!="}.get(t[1], t[1])
            return ("cmp", o, left, self.p_sum())
        neg = False
        if self.word("not") and (self.word("in", 1) or self.word("between", 1) or self.word("like", 1) or self.word("ilike", 1)):
            self.next()
            neg = True
        if self.word("is"):
            self.next()
            isnot = False
            if self.word("not"):
                self.next()
                isnot = True
            self.next()  # null
            return ("isnull", isnot, left)
        if self.word("in"):
            self.next()
            self.expect_op("(")
            items = [self.p_or()]
            while self.op(","):
                self.next()
                items.append(self.p_or())
            self.expect_op(")")
            return ("in", neg, left, items)
        if self.word("between"):
            self.next()
            lo = self.p_sum()
            self.next()  # and
            return ("between", neg, left, lo, self.p_sum())
        if self.word("like") or self.word("ilike"):
            ci = self.next()[1] == "ilike"
            return ("like", neg, ci, left, self.p_sum())
        return left

    def p_sum(self):
        left = self.p_product()
        while self.op("+") or self.op("-"):
            o = self.next()[1]
            left = ("arith", o, left, self.p_product())
        return left

    def p_product(self):
        left = self.p_unary()
        while self.op("*") or self.op("/") or self.op("%"):
            o = self.next()[1]
            left = ("arith", o, left, self.p_unary())
        return left

    def p_unary(self):
        if self.op("-"):
            self.next()
            return ("neg", self.p_unary())
        if self.op("+"):
            self.next()
            return self.p_unary()
        e = self.p_primary()
        while self.op("["):
            self.next()
            idx = self.p_or()
            self.expect_op("]")
            e = ("index", e, idx)
        return e

    def p_primary(self):
        t = self.next()
        if t[0] == "num":
            return ("lit", t[1])
        if t[0] == "dur":
            return ("lit", Dur(t[1]))
        if t[0] == "str":
            return ("lit", t[1])
        if t == ("op", "("):
            e = self.p_or()
            self.expect_op(")")
            return e
        if t[0] == "word":
            if t[1] in ("true", "false"):
                return ("lit", t[1] == "true")
            if t[1] == "null":
                return ("lit", None)
            if t[1] == "case":
                return self.p_case()
            raise SyntaxError("unexpected keyword " + t[1])
        if t[0] == "path":
            if self.op("("):
                self.next()
                args = []
                if not self.op(")"):
                    args.append(self.p_or())
                    while self.op(","):
                        self.next()
                        args.append(self.p_or())
                self.expect_op(")")
                return ("call", t[1].lower(), args)
            return ("field", parse_path(t[1]))
        raise SyntaxError("unexpected " + repr(t))

    def p_case(self):
        subject = None
        if not self.word("when"):
            subject = self.p_or()
        whens = []
        while self.word("when"):
            self.next()
            c = self.p_or()
            self.next()  # then
            whens.append((c, self.p_or()))
        other = None
        has_else = False
        if self.word("else"):
            self.next()
            has_else = True
            other = self.p_or()
        self.next()  # end
        return ("case", subject, whens, has_else, other)


# ---------------------------------------------------------------- evaluation

class TypeErr(Exception):
    pass


def compare(a, b):
    """-1/0/1, None for null, raises TypeErr for a type mismatch."""
    if a is None or b is None:
        return None
    ta, tb = type_name(a), type_name(b)
    if ta == tb:
        if ta == "number" or ta == "string" or ta == "boolean":
            x, y = (float(a), float(b)) if ta == "number" else (a, b)
            return (x > y) - (x < y)
        if ta in ("time", "duration"):
            return (a.ns > b.ns) - (a.ns < b.ns)
        raise TypeErr
    if ta == "time" or tb == "time":
        other = b if ta == "time" else a
        if type_name(other) not in ("string", "number"):
            raise TypeErr
        t = as_time(other)
        if t is None:
            raise TypeErr
        x, y = (a.ns, t) if ta == "time" else (t, b.ns)
        return (x > y) - (x < y)
    raise TypeErr


def arith(o, a, b):
    """Returns the value; raises TypeErr on any error (type, division by zero, range)."""
    if a is None or b is None:
        return None
    if is_num(a) and is_num(b):
        x, y = float(a), float(b)
        if o == "+":
            r = x + y
        elif o == "-":
            r = x - y
        elif o == "*":
            r = x * y
        elif o == "/":
            if y == 0:
                raise TypeErr
            r = x / y
        else:
            if y == 0:
                raise TypeErr
            r = math.fmod(x, y)
        if not math.isfinite(r):
            raise TypeErr
        return r
    temporal = any(isinstance(v, (Time, Dur)) for v in (a, b))
    if not temporal:
        raise TypeErr

    def coerce(v):
        if isinstance(v, str):
            t = parse_rfc3339(v)
            if t is None:
                raise TypeErr
            return Time(t)
        return v

    a, b = coerce(a), coerce(b)

    def chk(ns):
        if ns > INT64_MAX or ns < INT64_MIN:
            raise TypeErr
        return ns

    def dur_from(d):
        if not math.isfinite(d) or abs(d) >= 9.2e18:
            raise TypeErr
        return Dur(llround(d))

    A, B = type_name(a), type_name(b)
    if o == "-" and A == "time" and B == "time":
        return Dur(chk(a.ns - b.ns))
    if o in "+-" and A == "time" and B == "duration":
        return Time(chk(a.ns + b.ns if o == "+" else a.ns - b.ns))
    if o == "+" and A == "duration" and B == "time":
        return Time(chk(a.ns + b.ns))
    if A == "duration" and B == "duration":
        if o == "+":
            return Dur(chk(a.ns + b.ns))
        if o == "-":
            return Dur(chk(a.ns - b.ns))
        if o == "/":
            if b.ns == 0:
                raise TypeErr
            return float(a.ns) / float(b.ns)
        if o == "%":
            if b.ns == 0:
                raise TypeErr
            r = abs(a.ns) % abs(b.ns)
            return Dur(r if a.ns >= 0 else -r)
        raise TypeErr
    if o == "*" and A == "duration" and B == "number":
        return dur_from(float(a.ns) * float(b))
    if o == "*" and A == "number" and B == "duration":
        return dur_from(float(a) * float(b.ns))
    if o == "/" and A == "duration" and B == "number":
        if float(b) == 0:
            raise TypeErr
        return dur_from(float(a.ns) / float(b))
    raise TypeErr


def like_to_regex(p, ci):
    out = []
    i = 0
    while i < len(p):
        c = p[i]
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif c == "\\" and i + 1 < len(p):
            i += 1
            out.append(re.escape(p[i]))
        else:
            out.append(re.escape(c))
        i += 1
    flags = re.S
    if ci:
        flags |= re.ASCII | re.I
    return re.compile("".join(out) + r"\Z", flags)


def ascii_case(s, upper):
    if upper:
        return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in s)
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


class Evaluator:
    def __init__(self):
        self.errors = 0
        self.fields = {}

    def err(self):
        self.errors += 1
        return None

    def logic(self, v):
        if v is None or isinstance(v, bool):
            return v
        return self.err()

    def ev(self, n):
        k = n[0]
        if k == "lit":
            return n[1]
        if k == "field":
            return self.field(n[1])
        if k == "neg":
            a = self.ev(n[1])
            if is_num(a):
                return -float(a)
            if isinstance(a, Dur) and a.ns != INT64_MIN:
                return Dur(-a.ns)
            if a is None:
                return None
            return self.err()
        if k == "not":
            a = self.logic(self.ev(n[1]))
            return None if a is None else not a
        if k == "arith":
            try:
                return arith(n[1], self.ev(n[2]), self.ev(n[3]))
            except TypeErr:
                return self.err()
        if k == "cmp":
            o = n[1]
            if o in ("=~", "!~"):
                return self.regex(o == "!~", n[2], n[3])
            a, b = self.ev(n[2]), self.ev(n[3])
            try:
                c = compare(a, b)
            except TypeErr:
                return self.err()
            if c is None:
                return None
            return {"=": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[o]
        if k in ("and", "or"):
            decisive = k == "or"
            a = self.logic(self.ev(n[1]))
            if a is decisive:
                return a
            b = self.logic(self.ev(n[2]))
            if b is decisive:
                return b
            if a is None or b is None:
                return None
            return not decisive
        if k == "isnull":
            v = self.ev(n[2])
            return (v is not None) if n[1] else (v is None)
        if k == "in":
            neg, x = n[1], self.ev(n[2])
            if x is None:
                return None
            unknown = mismatch = False
            for item in n[3]:
                try:
                    c = compare(x, self.ev(item))
                except TypeErr:
                    mismatch = unknown = True
                    continue
                if c == 0:
                    return not neg
                if c is None:
                    unknown = True
            if mismatch:
                self.err()
            return None if unknown else neg
        if k == "between":
            neg = n[1]
            x, lo, hi = self.ev(n[2]), self.ev(n[3]), self.ev(n[4])
            try:
                c1, c2 = compare(lo, x), compare(x, hi)
            except TypeErr:
                return self.err()
            if c1 == 1 or c2 == 1:
                r = False
            elif c1 is None or c2 is None:
                return None
            else:
                r = True
            return (not r) if neg else r
        if k == "like":
            neg, ci = n[1], n[2]
            s = self.ev(n[3])
            if s is None:
                return None
            p = self.ev(n[4])
            if p is None:
                return None
            if not isinstance(s, str) or not isinstance(p, str):
                return self.err()
            return bool(like_to_regex(p, ci).match(s)) != neg
        if k == "case":
            subject, whens, has_else, other = n[1], n[2], n[3], n[4]
            sv = self.ev(subject) if subject is not None else None
            for c, r in whens:
                w = self.ev(c)
                if subject is not None:
                    try:
                        hit = compare(sv, w) == 0
                    except TypeErr:
                        self.err()
                        hit = False
                else:
                    hit = self.logic(w) is True
                if hit:
                    return self.ev(r)
            return self.ev(other) if has_else else None
        if k == "index":
            base, idx = self.ev(n[1]), self.ev(n[2])
            if base is None or idx is None:
                return None
            if isinstance(base, Json) and base.kind == "array" and is_num(idx):
                arr = load_json(base.text)
                i = int(float(idx))
                if i < 0:
                    i += len(arr)
                if i < 0 or i >= len(arr):
                    return None
                return to_json_value(arr[i])
            if isinstance(base, Json) and base.kind == "object" and isinstance(idx, str):
                obj = load_json(base.text)
                return to_json_value(obj[idx]) if idx in obj else None
            return self.err()
        if k == "call":
            return self.call(n[1], n[2])
        raise AssertionError(k)

    def regex(self, neg, sn, pn):
        s = self.ev(sn)
        if s is None:
            return None
        p = self.ev(pn)
        if p is None:
            return None
        if not isinstance(p, str):
            return self.err()
        if not isinstance(s, str):
            return self.err()
        return bool(re.search(p, s)) != neg

    def field(self, segs):
        cur = self.record
        for key, index, index_only in segs:
            if isinstance(cur, dict) and not index_only:
                if key not in cur:
                    return None
                cur = cur[key]
            elif isinstance(cur, list) and index >= 0:
                if index >= len(cur):
                    return None
                cur = cur[index]
            else:
                return None
        return to_json_value(cur)

    # ---- functions

    def call(self, name, argn):
        if name == "if":
            c = self.logic(self.ev(argn[0]))
            return self.ev(argn[1] if c is True else argn[2])
        if name == "coalesce":
            for a in argn:
                v = self.ev(a)
                if v is not None:
                    return v
            return None
        args = [self.ev(a) for a in argn]
        takes_nulls = name in ("concat", "min", "max", "type_of") or name.startswith("is_")
        if not takes_nulls and any(a is None for a in args):
            return None
        try:
            return getattr(self, "f_" + name)(*args)
        except TypeErr:
            return self.err()

    @staticmethod
    def s(v):
        if not isinstance(v, str):
            raise TypeErr
        return v

    @staticmethod
    def n(v):
        if not is_num(v):
            raise TypeErr
        return float(v)

    @staticmethod
    def i(v):
        if not is_num(v) or abs(float(v)) >= 9.2e18:
            raise TypeErr
        return int(float(v))

    @staticmethod
    def t(v):
        r = as_time(v)
        if r is None:
            raise TypeErr
        return r

    @staticmethod
    def d(v):
        if not isinstance(v, Dur):
            raise TypeErr
        return v.ns

    def f_lower(self, s):
        return ascii_case(self.s(s), False)

    def f_upper(self, s):
        return ascii_case(self.s(s), True)

    def f_length(self, v):
        if isinstance(v, str):
            return float(len(v))
        if isinstance(v, Json):
            return float(len(load_json(v.text)))
        raise TypeErr

    def f_substr(self, s, start, length=None):
        s = self.s(s)
        start = self.i(start)
        chars = len(s)
        if length is not None:
            count = self.i(length)
            if count < 0:
                raise TypeErr
        else:
            count = chars
        frm = start - 1 if start > 0 else max(0, chars + start) if start < 0 else 0
        if frm >= chars:
            return ""
        to = chars if count > chars - frm else frm + count
        return s[frm:to]

    def trim(self, s, chars, left, right):
        s = self.s(s)
        cs = " \t\n\r\f\v" if chars is None else self.s(chars)
        if left:
            s = s.lstrip(cs) if cs else s
        if right:
            s = s.rstrip(cs) if cs else s
        return s

    def f_trim(self, s, chars=None):
        return self.trim(s, chars, True, True)

    def f_ltrim(self, s, chars=None):
        return self.trim(s, chars, True, False)

    def f_rtrim(self, s, chars=None):
        return self.trim(s, chars, False, True)

    def f_split(self, s, sep):
        s, sep = self.s(s), self.s(sep)
        if not sep:
            raise TypeErr
        return Json(dump(s.split(sep)), "array")

    def f_concat(self, *args):
        return "".join(text_of(a) for a in args if a is not None)

    def f_replace(self, s, a, b):
        s, a, b = self.s(s), self.s(a), self.s(b)
        return s.replace(a, b) if a else s

    def f_starts_with(self, s, p):
        return self.s(s).startswith(self.s(p))

    def f_ends_with(self, s, p):
        return self.s(s).endswith(self.s(p))

    def f_contains(self, s, p):
        if isinstance(s, Json) and s.kind == "array":
            for x in load_json(s.text):
                try:
                    if compare(to_json_value(x), p) == 0:
                        return True
                except TypeErr:
                    pass
            return False
        return self.s(p) in self.s(s)

    def f_abs(self, x):
        if isinstance(x, Dur) and x.ns != INT64_MIN:
            return Dur(abs(x.ns))
        return abs(self.n(x))

    @staticmethod
    def c_round(x):
        f = math.floor(abs(x))
        r = f + 1 if abs(x) - f >= 0.5 else f
        return math.copysign(r, x)

    def finite(self, r):
        if not math.isfinite(r):
            raise TypeErr
        return r

    def f_round(self, x, digits=None):
        x = self.n(x)
        if digits is None:
            return self.c_round(x)
        d = self.i(digits)
        if d > 300 or d < -300:
            raise TypeErr
        p = math.pow(10.0, d)
        scaled = x * p
        if not math.isfinite(scaled):
            return x
        return self.finite(self.c_round(scaled) / p)

    def f_floor(self, x):
        return self.finite(float(math.floor(self.n(x))))

    def f_ceil(self, x):
        return self.finite(float(math.ceil(self.n(x))))

    def f_exp(self, x):
        try:
            return self.finite(math.exp(self.n(x)))
        except OverflowError:
            raise TypeErr

    def f_log(self, x):
        x = self.n(x)
        if x <= 0:
            raise TypeErr
        return math.log(x)

    def f_log10(self, x):
        x = self.n(x)
        if x <= 0:
            raise TypeErr
        return math.log10(x)

    def f_sqrt(self, x):
        x = self.n(x)
        if x < 0:
            raise TypeErr
        return math.sqrt(x)

    def f_pow(self, x, y):
        x, y = self.n(x), self.n(y)
        try:
            return self.finite(math.pow(x, y))
        except (OverflowError, ValueError):
            raise TypeErr

    def extreme(self, args, sign):
        best = None
        for a in args:
            if a is None:
                continue
            if best is None:
                best = a
                continue
            if compare(a, best) == sign:
                best = a
        return best

    def f_min(self, *args):
        return self.extreme(args, -1)

    def f_max(self, *args):
        return self.extreme(args, 1)

    def f_parse_time(self, v, fmt=None):
        if fmt is None:
            if not isinstance(v, (str, Time)) and not is_num(v):
                raise TypeErr
            return Time(self.t(v))
        r = parse_time_format(self.s(v), self.s(fmt))
        if r is None:
            raise TypeErr
        return Time(r)

    f_to_time = f_parse_time

    def f_format_time(self, t, fmt="%Y-%m-%dT%H:%M:%S.%LZ"):
        return format_time(self.t(t), self.s(fmt))

    def f_time_floor(self, t, d):
        t, d = self.t(t), self.d(d)
        if d <= 0:
            raise TypeErr
        return Time(floor_div(t, d) * d)

    def f_epoch_ms(self, t):
        return float(floor_div(self.t(t), 1_000_000))

    @staticmethod
    def hash_input(v):
        return (v if isinstance(v, str) else text_of(v)).encode()

    def f_sha256(self, v):
        return hashlib.sha256(self.hash_input(v)).hexdigest()

    def f_xxh64(self, v, seed=None):
        s = self.i(seed) if seed is not None else 0
        return "%016x" % xxh64(self.hash_input(v), s)

    def f_sample(self, key, rate):
        rate = self.n(rate)
        return (xxh64(self.hash_input(key), 0) >> 11) * 2.0 ** -53 < rate

    def f_cidr_match(self, ip, cidr):
        ip = self.s(ip)
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise TypeErr
        net = ipaddress.ip_network(self.s(cidr), strict=False)
        if addr.version != net.version:
            if addr.version == 6 and addr.ipv4_mapped is not None:
                addr = addr.ipv4_mapped
            elif addr.version == 4:
                addr = ipaddress.IPv6Address("::ffff:" + str(addr))
            else:
                return False
            if addr.version != net.version:
                return False
        return addr in net

    def f_type_of(self, v):
        return type_name(v)

    def f_to_number(self, v):
        if is_num(v):
            return v
        if isinstance(v, bool):
            return 1.0 if v else 0.0
        if isinstance(v, (Dur, Time)):
            return v.ns / 1e9
        if isinstance(v, str):
            s = v.strip(" \t")
            if s.startswith("+"):
                s = s[1:]
            if not re.fullmatch(r"-?\d+(\.\d*)?([eE][+-]?\d+)?", s):
                raise TypeErr
            r = float(s)
            if not math.isfinite(r):
                raise TypeErr
            return r
        raise TypeErr

    def f_to_string(self, v):
        return text_of(v)

    def f_is_number(self, v):
        return is_num(v)

    def f_is_string(self, v):
        return isinstance(v, str)

    def f_is_bool(self, v):
        return isinstance(v, bool)

    def f_is_null(self, v):
        return v is None

    def f_is_array(self, v):
        return isinstance(v, Json) and v.kind == "array"

    def f_is_object(self, v):
        return isinstance(v, Json) and v.kind == "object"

    def f_is_time(self, v):
        return isinstance(v, Time)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exprs", required=True)
    ap.add_argument("--events", required=True)
    args = ap.parse_args()
    with open(args.events, encoding="utf-8") as f:
        events = [load_json(line) for line in f if line.strip()]
    out = sys.stdout
    with open(args.exprs, encoding="utf-8") as f:
        for text in f:
            text = text.rstrip("\n")
            tree = Parser(text).parse()
            ev = Evaluator()
            results = []
            for rec in events:
                ev.record = rec
                results.append(render(ev.ev(tree)))
            out.write("[" + ",".join(results) + "] " + str(ev.errors) + "\n")


if __name__ == "__main__":
    main()
