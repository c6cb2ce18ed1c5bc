#!/usr/bin/env python3
"""Writes N numbered records at a steady rate, for the acknowledgement crash tests.

    ack_feed.py PATH|- COUNT PER_SECOND

Record i is {"id":i,"v":i,"service":"s{i%3}","ts":T} with T = 2026-11-24T00:00:00Z + 10 ms * i,
so that 100 consecutive ids share one second of event time. Lines are appended (PATH) or
written to stdout (-) in chunks of 1/100 s, each flushed.
"""
import sys
import time
from datetime import datetime, timedelta, timezone

path, count, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
out = sys.stdout if path == "-" else open(path, "a")
base = datetime(2026, 11, 24, tzinfo=timezone.utc)
chunk = max(1, int(rate / 100))
start = time.monotonic()
for first in range(0, count, chunk):
    lines = []
    for i in range(first, min(count, first + chunk)):
        ts = (base + timedelta(milliseconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        lines.append('{"id":%d,"v":%d,"service":"s%d","ts":"%s"}\n' % (i, i, i % 3, ts))
    out.write("".join(lines))
    out.flush()
    delay = start + (first + chunk) / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
