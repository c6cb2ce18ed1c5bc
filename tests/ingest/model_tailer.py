#!/usr/bin/env python3
"""Model-based test of sp-ingest's tailer (in the spirit of Vector's file-source model tests).

A driver writes numbered lines into a log directory and, chosen by a seeded random generator,
rotates the log in every way logrotate and applications do while `sp-ingest --follow
--checkpoint` runs, and stops and restarts sp-ingest (clean SIGTERM) in between, sometimes
rotating while it is stopped. At the end the multiset of lines sp-ingest wrote must equal
the multiset of lines written: nothing lost, nothing repeated.

Operations: append, rename+create (optionally with the old writer still writing to the
rotated file), copytruncate, truncation in place and delete+recreate (these two only once
sp-ingest has read everything: lines truncated away before anyone read them are lost by
definition), deleting the oldest rotated file (also only once caught up), restarts.

    model_tailer.py --bin build/sp-ingest --seeds 1,2,3 [--ops 250] [--time-limit 120]
Exit status 0 when every seed passes (seeds left out by --time-limit fail).
"""
import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class Run:
    def __init__(self, binary, seed, ops, workdir, verbose):
        self.bin = binary
        self.seed = seed
        self.ops = ops
        self.rng = random.Random(seed)
        self.dir = os.path.join(workdir, "logs")
        os.makedirs(self.dir)
        self.log = os.path.join(self.dir, "app.log")
        self.out_path = os.path.join(workdir, "out.ndjson")
        self.err_path = os.path.join(workdir, "err.txt")
        self.ckpt = os.path.join(workdir, "ckpt.json")
        self.glob = self.rng.random() < 0.6  # else the exact path: rotated files are found by the tailer
        self.pattern = self.log + "*" if self.glob else self.log
        self.no_inotify = self.rng.random() < 0.25
        self.written = collections.Counter()
        self.n = 0
        self.proc = None
        self.fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.verbose = verbose
        self.history = []
        self.rotations_while_down = 0
        self.log_empty_at_stop = False
        self.starts = 0

    def mark(self, what):
        # Timestamped markers in err.txt, to tell which run of sp-ingest said what.
        with open(self.err_path, "a") as f:
            f.write("== %.3f %s n=%d\n" % (time.time(), what, self.n))

    def snapshot(self):
        # --verbose: the checkpoint and the directory (inode, size, name) as each start finds them.
        snap = os.path.join(os.path.dirname(self.dir), "starts", "%02d" % self.starts)
        os.makedirs(snap)
        if os.path.exists(self.ckpt):
            shutil.copyfile(self.ckpt, os.path.join(snap, "ckpt.json"))
        with open(os.path.join(snap, "ls.txt"), "w") as f:
            for name in sorted(os.listdir(self.dir)):
                st = os.stat(os.path.join(self.dir, name))
                f.write("%d %d %s\n" % (st.st_ino, st.st_size, name))

    # ---- the writer
    def append(self, count, fd=None):
        for _ in range(count):
            self.n += 1
            line = '{"seed":%d,"n":%d}\n' % (self.seed, self.n)
            os.write(self.fd if fd is None else fd, line.encode())
            self.written[line.rstrip("\n")] += 1

    def reopen(self):
        os.close(self.fd)
        self.fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def rotated(self):
        names = [f for f in os.listdir(self.dir) if f.startswith("app.log.")]
        return sorted(names, key=lambda f: int(f.split(".")[-1]), reverse=True)

    def shift(self):
        for name in self.rotated():
            i = int(name.split(".")[-1])
            os.rename(os.path.join(self.dir, name), os.path.join(self.dir, "app.log.%d" % (i + 1)))

    # ---- sp-ingest
    def start(self):
        args = [self.bin, self.pattern, "--follow", "--checkpoint", self.ckpt, "--checkpoint-interval", "300ms",
                "--rotate-wait", "500ms", "--poll-interval", "200ms" if self.no_inotify else "1s", "-v"]
        if self.no_inotify:
            args.append("--no-inotify")
        self.starts += 1
        if self.verbose:
            self.snapshot()
        self.mark("start %d" % self.starts)
        out = open(self.out_path, "ab")
        err = open(self.err_path, "ab")
        self.proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        out.close()
        err.close()
        # A SIGTERM before its signal handler is installed would kill it: wait for the handler.
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with open("/proc/%d/status" % self.proc.pid) as f:
                    caught = [l for l in f if l.startswith("SigCgt:")]
                if caught and int(caught[0].split()[1], 16) & (1 << (signal.SIGTERM - 1)):
                    break
            except OSError:
                break
            time.sleep(0.01)

    def stop(self):
        # (what sp-ingest has read of app.log: all of it, see step())
        self.log_empty_at_stop = os.path.getsize(self.log) == 0
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        self.proc = None
        self.mark("stopped")
        if rc != 0:
            raise AssertionError("sp-ingest exited with %d" % rc)

    def output_lines(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode().splitlines()

    def opened_log(self, timeout=20.0):
        # Whether sp-ingest holds app.log (the file it names now) open.
        st = os.stat(self.log)
        fds = "/proc/%d/fd" % self.proc.pid
        deadline = time.time() + timeout
        while time.time() < deadline:
            for fd in os.listdir(fds):
                try:
                    o = os.stat(os.path.join(fds, fd))
                except OSError:
                    continue
                if (o.st_dev, o.st_ino) == (st.st_dev, st.st_ino):
                    return True
            time.sleep(0.02)
        return False

    def caught_up(self, timeout=20.0):
        total = sum(self.written.values())
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.output_lines()) >= total:
                return True
            time.sleep(0.02)
        return False

    # ---- the model
    def step(self):
        r = self.rng.random()
        running = self.proc is not None
        if r < 0.55:
            self.append(self.rng.randint(1, 40))
            op = "append"
        elif r < 0.73 and not running and not self.glob and self.rotations_while_down >= 1:
            # With an exact path, a file created and rotated away entirely while sp-ingest is
            # stopped is out of its sight (only a glob would name it): one rotation at most.
            op = "skip"
        elif 0.65 <= r < 0.73 and not running and not self.glob and self.log_empty_at_stop:
            # With an exact path, a copytruncate while stopped is followed by recognising the copy
            # as holding the bytes before the checkpoint's position in app.log (fingerprints of
            # its first bytes and of those before the position). When app.log was empty at the
            # stop, the checkpoint holds position 0 and no fingerprint: the copy (a new inode,
            # not named by the path) cannot be told from any other file, and its lines are out
            # of sight (a glob would name it). Not a rotation the tailer can follow.
            op = "skip"
        elif r < 0.73 and running and not self.glob and not self.caught_up():
            # With an exact path, lines written and rotated away (or copied and truncated) before
            # sp-ingest read them are out of its sight (a glob would name the rotated file):
            # rotate only once it has kept up, as real rotations (daily, hourly) are.
            raise AssertionError("sp-ingest did not catch up before a rotation")
        elif r < 0.65:
            if running and not self.glob and not self.opened_log():
                # With an exact path, a file renamed away before sp-ingest ever opened it (it
                # was created since its last look: a poll interval, or an inotify event not
                # handled yet) is out of its sight, and so are the lines the old writer still
                # adds to it: rotate only a file it has seen, as real rotations (daily, hourly) do.
                raise AssertionError("sp-ingest did not open app.log before a rotation")
            self.rotations_while_down += 0 if running else 1
            self.shift()
            os.rename(self.log, self.log + ".1")
            if self.rng.random() < 0.5:
                self.append(self.rng.randint(1, 5))  # the application still writes to the rotated file
            self.reopen()
            op = "rename"
        elif r < 0.73:
            self.rotations_while_down += 0 if running else 1
            self.shift()
            shutil.copyfile(self.log, self.log + ".1")
            os.truncate(self.log, 0)
            op = "copytruncate"
        elif r < 0.77 and running:
            if not self.caught_up():
                raise AssertionError("sp-ingest did not catch up before a truncation")
            os.truncate(self.log, 0)
            op = "truncate"
        elif r < 0.81 and running:
            if not self.caught_up():
                raise AssertionError("sp-ingest did not catch up before a delete")
            os.unlink(self.log)
            self.reopen()
            op = "delete+recreate"
        elif r < 0.84 and running:
            names = self.rotated()
            if len(names) > 3 and self.caught_up():
                os.unlink(os.path.join(self.dir, names[0]))
            op = "expire"
        elif r < 0.92:
            if running:
                if not self.glob and not self.caught_up():
                    # (exact path: a file it has not seen yet cannot be followed through a rotation
                    # made while it is stopped)
                    raise AssertionError("sp-ingest did not catch up before a stop")
                self.stop()
                op = "stop"
            else:
                self.start()
                self.rotations_while_down = 0
                op = "start"
        else:
            time.sleep(self.rng.random() * 0.05)
            op = "sleep"
        self.history.append(op)
        with open(os.path.join(os.path.dirname(self.dir), "ops.txt"), "a") as f:
            f.write("%.3f %s n=%d\n" % (time.time(), op, self.n))
        if self.rng.random() < 0.3:
            time.sleep(self.rng.random() * 0.02)

    def run(self):
        self.start()
        for _ in range(self.ops):
            self.step()
        if self.proc is None:
            self.start()
        ok = self.caught_up(timeout=30)
        time.sleep(0.3)  # anything extra (a duplicate) would show up now
        self.stop()
        got = collections.Counter(self.output_lines())
        missing = self.written - got
        extra = got - self.written
        summary = "seed %d (%s%s): %d lines written, %d read, %d missing, %d repeated or unknown; ops: %s" % (
            self.seed, "glob" if self.glob else "exact path", ", polling" if self.no_inotify else "",
            sum(self.written.values()), sum(got.values()), sum(missing.values()), sum(extra.values()),
            dict(collections.Counter(self.history)))
        if missing or extra or not ok:
            sys.stderr.write("FAIL " + summary + "\n")
            for line in list(missing)[:10]:
                sys.stderr.write("  missing: %s\n" % line)
            for line in list(extra)[:10]:
                sys.stderr.write("  extra: %s x%d\n" % (line, extra[line]))
            with open(self.err_path) as f:
                sys.stderr.write("  sp-ingest stderr (tail):\n" + "".join(f.readlines()[-30:]))
            return False
        print("ok " + summary)
        return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--ops", type=int, default=250)
    ap.add_argument("--time-limit", type=float, default=150, help="seconds for all seeds together; seeds not begun by then fail")
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="keep the checkpoint and a directory listing as each start finds them (WORK/starts/N/)")
    args = ap.parse_args()
    start = time.time()
    failed = 0
    for seed in [int(s) for s in args.seeds.split(",")]:
        if time.time() - start > args.time_limit:
            # Seeds not run are not passed: a slow tailer (or machine) must not look like a pass.
            print("FAIL time limit reached; seed %d and those after it not run" % seed, file=sys.stderr)
            failed += 1
            break
        work = tempfile.mkdtemp(prefix="sp-ingest-model-%d-" % seed)
        run = None
        try:
            run = Run(args.bin, seed, args.ops, work, args.verbose)
            if not run.run():
                failed += 1
                print("work directory kept: " + work, file=sys.stderr)
                continue
        except Exception as e:  # a hang, a crash, a bad exit status
            if run is not None and run.proc is not None:  # not left running
                run.proc.kill()
                run.proc.wait()
            failed += 1
            print("FAIL seed %d: %s (work directory %s)" % (seed, e, work), file=sys.stderr)
            continue
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
