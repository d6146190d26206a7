#!/usr/bin/env python3
"""bench/run - every benchmark of bench/ in turn, each with its same-run reference, then one summary table at
the top of docs/benchmarks.md (docs/benchmarks.md, "bench/run"). Python 3 stdlib only.

  bench/run [--quick] [--only proxy,fleet,pay,webhooks,flow,gateway] [--label L] [--output docs/benchmarks.md|-]
  bench/run --from-results [--output docs/benchmarks.md|-]      # no run: the table from the sections there
  bench/run --dry-run [--quick]                                  # print the plan and the commands only

Each bench runs with its own documented command (and short options with --quick) and writes its section
under --label (default "run", "run-quick" with --quick). bench/proxy needs no stack. The others share one
stack: a running one with the benches' settings is used as it is; with none running, bench/run starts it
(`bin/stack up` with RATE_LIMIT_PER_MINUTE=1000000 and 2,000 simulated modems, as bench/flow and bench/pay
would) and stops what it started at the end. The stack uses ports every checkout shares: run it as
  flock /tmp/pv-stack.lock bash -c 'PV_SKIP_BUILD=1 bench/run --quick; bin/stack down'
Everything goes to 127.0.0.1 and stops by itself; a bench that fails is reported and the next one runs.
"""

import argparse
import datetime
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STACK = REPO / ".stack"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "flow"))
import summary  # noqa: E402

STACK_MODEMS = 2000       # bench/pay's most (its default and --quick); bench/flow needs fewer
# The order they run in: bench/webhooks after bench/flow's purchases (whose webhooks go through the same
# dispatcher) meets warmer JVMs than right after bin/stack up.
# bench/fleet right after bench/proxy: it runs its own fleet on PostgreSQL and Kafka only (bin/stack infra, started
# and stopped by it when none runs), before bench/run starts the stack whose idle services would share its CPU.
BENCHES = ["proxy", "fleet", "flow", "webhooks", "gateway", "pay"]
NEEDS_STACK = {"webhooks", "flow", "gateway", "pay"}

# Short runs (--quick): each bench's own options, the fewest that still give every figure of the table.
QUICK = {
    "proxy": ["--duration", "3", "--rounds", "1", "--warmup", "1", "--agent-warmup", "3"],
    "webhooks": ["--events", "1000", "--endpoints", "2", "--seconds", "10"],
    "flow": ["--rate", "5", "--duration", "10", "--warmup", "20", "--idle-seconds", "5", "--quiet-wait", "30"],
    "gateway": ["--duration", "5", "--rounds", "1", "--max-warmup", "30"],
    "pay": ["--quick"],
    "fleet": ["--quick"],
}


def log(msg):
    print("[bench/run] %s" % msg, file=sys.stderr, flush=True)


def commands(benches, quick, label, output):
    """[(bench, argv)] in run order: each bench's own run script with --label and --output."""
    out = []
    for b in BENCHES:
        if b in benches:
            out.append((b, ["bench/%s/run" % b, "--label", label, "--output", output] + (QUICK[b] if quick else [])))
    return out


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="each bench's short form (minutes, not tens of minutes)")
    ap.add_argument("--only", default=",".join(BENCHES),
                    help="comma-separated benches to run (default all: %s)" % ",".join(BENCHES))
    ap.add_argument("--label", help="section label each bench writes (default run, --quick: run-quick)")
    ap.add_argument("--output", default="docs/benchmarks.md",
                    help="document to write the sections and the table to ('-': print the table only, the benches "
                         "write into a scratch copy)")
    ap.add_argument("--from-results", action="store_true",
                    help="run nothing: build the table from the sections already in the document")
    ap.add_argument("--dry-run", action="store_true", help="print what would run, run nothing")
    ap.add_argument("--restart-stack", action="store_true",
                    help="restart running services that lack the benches' settings (else refuse)")
    ap.add_argument("--keep-stack", action="store_true", help="leave a stack bench/run started running")
    args = ap.parse_args(argv)
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in args.only if b not in BENCHES]
    if unknown:
        ap.error("unknown bench %s (known: %s)" % (", ".join(unknown), ", ".join(BENCHES)))
    args.label = args.label or ("run-quick" if args.quick else "run")
    return args


def doc_path(output):
    p = Path("docs/benchmarks.md" if output == "-" else output)
    return p if p.is_absolute() else REPO / p


def table(doc_text, only=None):
    return summary.render(summary.collect(doc_text, only))


def publish(path, to_stdout):
    """The table from the sections of `path`: printed, or written into its summary block."""
    text = path.read_text()
    block = table(text)
    if to_stdout:
        print(block, end="")
    else:
        path.write_text(summary.write_summary(text, block))
        log("wrote the summary table of %s" % path)


def from_results(args):
    publish(doc_path(args.output), args.output == "-")
    return 0


# ---------------------------------------------------------------------------------------------------
# the stack

def stack_quiet(*a):
    return subprocess.run([str(REPO / "bin" / "stack")] + list(a), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def stack(*a, env=None):
    log("running bin/stack %s" % " ".join(a))
    return subprocess.run([str(REPO / "bin" / "stack")] + list(a), env=env, stdout=sys.stderr,
                          stderr=sys.stderr).returncode


def stack_env():
    import flow  # bench/flow/flow.py: the settings bench/flow and bench/pay check a running stack for
    env = dict(os.environ)
    env.update(flow.bench_env(STACK_MODEMS))
    env.setdefault("PV_HEALTH_TIMEOUT", "240")  # the agent registers every modem with the fleet before it is ready
    return env


def ensure_stack(args):
    """(started_apps, started_infra), or raises SystemExit when a running stack lacks the settings."""
    import flow
    if stack_quiet("running", "apps") == 0:
        problems = flow.settings_problems(STACK, STACK_MODEMS)
        if not problems:
            log("using the running stack (it has the benches' settings)")
            return False, False
        if not args.restart_stack:
            raise SystemExit("[bench/run] the running stack lacks the benches' settings:\n  - %s\nrerun with "
                             "--restart-stack, or bin/stack down apps first" % "\n  - ".join(problems))
        stack("down", "apps")
        if stack("up", env=stack_env()) != 0:
            raise SystemExit("[bench/run] bin/stack up failed")
        return True, False
    started_infra = stack_quiet("running", "infra") != 0
    if stack("up", env=stack_env()) != 0:
        stack("down", *([] if started_infra else ["apps"]))
        raise SystemExit("[bench/run] bin/stack up failed")
    problems = flow.settings_problems(STACK, STACK_MODEMS)
    if problems:
        log("WARNING: the stack it started still lacks: %s" % "; ".join(problems))
    return True, started_infra


# ---------------------------------------------------------------------------------------------------

class Interrupted(Exception):
    pass


def run_one(bench, argv):
    log("=== %s: %s" % (bench, " ".join(shlex.quote(a) for a in argv)))
    t0 = time.monotonic()
    proc = subprocess.Popen([str(REPO / argv[0])] + argv[1:], cwd=REPO)
    try:
        rc = proc.wait()
    except BaseException:
        # Ctrl-C reaches the bench too (same process group); SIGTERM only us: pass it on, let it clean up
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        raise
    secs = time.monotonic() - t0
    log("=== %s: exit %d after %.0f s" % (bench, rc, secs))
    return {"bench": bench, "command": argv, "rc": rc, "seconds": round(secs, 1)}


def main(argv):
    args = parse_args(argv)
    if args.from_results:
        return from_results(args)
    target = doc_path(args.output)
    scratch = None
    if args.output == "-":  # the benches write into a copy; the document stays as it is
        scratch = Path(tempfile.mkdtemp(prefix="bench-run-")) / "benchmarks.md"
        scratch.write_text(target.read_text())
        target = scratch
    plan = commands(args.only, args.quick, args.label, str(target))
    if args.dry_run:
        print("\n".join(("[stack] " if b in NEEDS_STACK else "[no stack] ") + " ".join(shlex.quote(a) for a in c)
                        for b, c in plan))
        return 0

    def interrupted(signum, frame):
        raise Interrupted("signal %d" % signum)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    runs, started_apps, started_infra = [], False, False
    stack_state = None  # None: not needed yet; "ok"; or why the stack benches were skipped
    code = 0
    try:
        for bench, cmd in plan:
            if bench in NEEDS_STACK and stack_state is None:
                try:
                    started_apps, started_infra = ensure_stack(args)
                    stack_state = "ok"
                except SystemExit as e:
                    stack_state = str(e)
                    log("skipping the benches that need the stack: %s" % e)
            if bench in NEEDS_STACK and stack_state != "ok":
                runs.append({"bench": bench, "command": cmd, "rc": None, "seconds": 0, "skipped": stack_state})
                continue
            runs.append(run_one(bench, cmd))
            text = target.read_text()
            target.write_text(summary.relocate(text, bench, args.label))
    except (KeyboardInterrupt, Interrupted) as e:
        log("interrupted (%s): stopping" % e)
        code = 130
    finally:
        if started_apps and not args.keep_stack:
            stack("down", *([] if started_infra else ["apps"]))
    publish(target, args.output == "-")
    record = {"started": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "seconds": round(time.monotonic() - t0, 1),
              "quick": args.quick, "label": args.label, "runs": runs}
    rec_path = STACK / "bench-run" / (started.strftime("%Y%m%dT%H%M%SZ") + ".json")
    rec_path.parent.mkdir(parents=True, exist_ok=True)
    rec_path.write_text(json.dumps(record, indent=1))
    for r in runs:
        log("%-9s %s, %4.0f s" % (r["bench"], "skipped" if r["rc"] is None else "exit %d" % r["rc"], r["seconds"]))
    log("all done in %.0f s (record: %s)" % (record["seconds"], rec_path))
    if code:
        return code
    return 0 if all(r["rc"] == 0 for r in runs) and len(runs) == len(plan) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
