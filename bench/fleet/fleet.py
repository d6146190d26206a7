#!/usr/bin/env python3
"""bench/fleet - 10,000 device-agent gRPC streams on ONE proxy-fleet-service (issue 8 "10k agents", issue 10
item 9; docs/benchmarks.md, "bench/fleet"). Python 3 stdlib + the JDK.

  flock /tmp/pv-stack.lock bench/fleet/run [--agents 10000] [--rounds 2] [--channels per-agent|shared:100]
                                           [--warmup 40] [--steady 60] [--commands 300] [--label L] [--output F|-]

What it does, all on 127.0.0.1, stopping by itself:
 1. PostgreSQL and Kafka: the checkout's `bin/stack infra` (PV_PG_PORT, PV_KAFKA_PORT, PV_KAFKA_CONTROLLER_PORT as
    for bin/stack); started and stopped by the bench when not already running.
 2. A scratch database `fleet_bench` (dropped and made again), one fleet from proxy-fleet-service's built jar on
    its own ports (HTTP 18083, gRPC 19090; topic prefix bench-fleet-<ts>.), the heap of a prod pod (1 GiB × 60 %),
    the agents' tokens in a config file the fleet reads (QUARKUS_CONFIG_LOCATIONS: too long for an environment
    variable at this count, docs/benchmarks.md "bench/fleet").
 3. The agents, their modems and served proxies seeded in the database (as after a fleet restart), and the
    reference: FleetBench's minimal grpc-java bidi server on 19190.
 4. --rounds rounds, each the same load generator (FleetBench load) against the fleet and against the reference
    in alternating order (fleet/echo, echo/fleet, ...): connect all agents, warm up, steady window, commands.
 5. The section of docs/benchmarks.md between <!-- bench/fleet:<label> --> markers.
"""

import argparse
import datetime
import hashlib
import hmac
import json
import os
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STACK = REPO / ".stack"
WORK = STACK / "bench-fleet"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "flow"))
import machine  # noqa: E402
import flow  # noqa: E402  (bench/flow/flow.py: the stale-jar check)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
QUARKUS_APP = REPO / "proxy-fleet-service" / "target" / "quarkus-app"
FLEET_HTTP, FLEET_GRPC, ECHO_PORT, ECHO_HTTP = 18083, 19090, 19190, 19191
DB = "fleet_bench"
PREFIX = "bench-agent-"
LOCATIONS = ["LAX", "NYC", "MIA"]
# prod: memory limit 1 Gi × MaxRAMPercentage 60 (deploy/k8s overlays/prod, the fleet's configmap); 70 % (717m) until
# "after-phases": with 10,000 streams the fleet's memory outside the heap is ~280 MiB (NMT), so a full 717 MiB heap
# left the pod ~30 MiB below its limit (docs/capacity.md section 7)
HEAP = "-Xmx614m"
# The load generator's own pauses must not show in what it measures: with ParallelGC (before) its 2 GB heap of
# 10,000 channels paused 0.5-3.3 s at a time on this machine, once (a metaspace-threshold full GC as the command
# phase loaded the HTTP client's classes) right in the command round trips (docs/benchmarks.md "bench/fleet").
# The fleet's collector as deployed (deploy/k8s/base/proxy-fleet-service/configmap.yaml): Shenandoah; --fleet-gc
# measures another. G1 (this machine's default, which the runs before "after-p99" had) paused the fleet 20-120 ms
# every few seconds with 10,000 streams, inside command round trips.
# -ExplicitGCInvokesConcurrent: the bench's `jcmd GC.run` then collects fully before the heap is read, as with G1
# (Shenandoah's default starts a concurrent cycle and returns, and "after-p99" read its heap mid-cycle); the
# fleet itself never asks for a collection.
FLEET_GC = {"shenandoah": ["-XX:+UseShenandoahGC", "-XX:-ExplicitGCInvokesConcurrent"], "g1": ["-XX:+UseG1GC"], "serial": ["-XX:+UseSerialGC"],
            "default": []}
LOADGEN_JVM = ["-Xms1g", "-Xmx2g", "-XX:+UseShenandoahGC", "-XX:MetaspaceSize=128m"]
DOC_MARK = "bench/fleet"


def log(msg):
    print("[bench/fleet] %s" % msg, file=sys.stderr, flush=True)


class Abort(Exception):
    pass


# ---------------------------------------------------------------------------------------------------
# pure helpers (bench/fleet/test_fleet.py)

def agent_id(i, prefix=PREFIX):
    """The i-th agent's id; FleetBench.agentId makes the same."""
    return "%s%05d" % (prefix, i)


def agent_token(secret, aid):
    """HMAC-SHA256(secret, agent id), hex, first 32 characters; FleetBench.token makes the same."""
    return hmac.new(secret.encode(), aid.encode(), hashlib.sha256).hexdigest()[:32]


def tokens_value(n, secret, prefix=PREFIX):
    """The fleet's agent-tokens format: id=token pairs, comma separated."""
    return ",".join("%s=%s" % (agent_id(i, prefix), agent_token(secret, agent_id(i, prefix))) for i in range(n))


def seed_sql(n, modems, proxies, prefix=PREFIX):
    """Agents (disconnected), their modems and their served proxies (active, one per modem in turn), the way
    the load generator's Hello announces them: proxy ids i*P+k+1 on port 20000+k, modem m of agent i in
    LOCATIONS[(i+m) % 3]."""
    return """
insert into agents (id, public_host, port_range_start, port_range_end, agent_version, connected, last_seen_at)
select '{p}' || lpad(i::text, 5, '0'), '127.0.0.1', 20000, 20999, 'bench-fleet', false, now() at time zone 'utc'
from generate_series(0, {n} - 1) i;
insert into modems (id, agent_id, modem_id, location_id, is_5g, exit_ip, online, updated_at)
select '{p}' || lpad(i::text, 5, '0') || '/m' || m, '{p}' || lpad(i::text, 5, '0'), 'm' || m,
       (array['LAX','NYC','MIA'])[((i + m) % 3) + 1], m % 2 = 0, '198.18.' || ((i * 7 + m) % 250) || '.' || (1 + (i + m) % 250),
       true, now() at time zone 'utc'
from generate_series(0, {n} - 1) i, generate_series(0, {m} - 1) m;
insert into proxies (id, reseller_id, order_id, name, modem_id, agent_id, location_id, ip, port, username, password,
                     status, period_type, period_duration, created_at, activated_at, expires_at, updated_at)
select i * {pp} + k + 1, i + 1, i * {pp} + k + 1, 'bench-' || (i * {pp} + k + 1),
       '{p}' || lpad(i::text, 5, '0') || '/m' || (k % {m}), '{p}' || lpad(i::text, 5, '0'),
       (array['LAX','NYC','MIA'])[((i + (k % {m})) % 3) + 1], '127.0.0.1', 20000 + k, 'u' || (i * {pp} + k + 1), 'pw',
       'active', 'month', 1, now() at time zone 'utc', now() at time zone 'utc',
       now() at time zone 'utc' + interval '365 days', now() at time zone 'utc'
from generate_series(0, {n} - 1) i, generate_series(0, {pp} - 1) k;
select setval('proxies_id_seq', greatest((select max(id) from proxies), 1));
vacuum analyze agents; vacuum analyze modems; vacuum analyze proxies;
""".format(p=prefix, n=n, m=modems, pp=proxies)


def order(rounds):
    """Targets per round, alternating which goes first: fleet/echo, echo/fleet, ..."""
    return [["fleet", "echo"] if r % 2 == 0 else ["echo", "fleet"] for r in range(rounds)]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(results):
    """{target: {figure: median over rounds}} of the load generator's JSON lines."""
    out = {}
    for target in ("fleet", "echo"):
        rs = [r for r in results if r["target_name"] == target]
        if not rs:
            continue
        keys = [k for k, v in rs[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        out[target] = {k: median([r.get(k) for r in rs]) for k in keys}
        out[target]["rounds"] = len(rs)
        out[target]["all_welcomed"] = all(r.get("all_welcomed") for r in rs)
    return out


def ratio(a, b):
    return a / b if a is not None and b else None


# ---------------------------------------------------------------------------------------------------
# processes

def pg_port():
    try:
        return int((STACK / "pg" / "data" / "postmaster.pid").read_text().split("\n")[3])
    except (OSError, ValueError, IndexError):
        return None


def pg_pid():
    try:
        return int((STACK / "pg" / "data" / "postmaster.pid").read_text().split("\n")[0])
    except (OSError, ValueError, IndexError):
        return None


def psql(port, db, sql):
    cmd = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db,
           "-v", "ON_ERROR_STOP=1", "-X", "-A", "-t", "-q"]
    r = subprocess.run(cmd, input=sql, capture_output=True, text=True)
    if r.returncode != 0:
        raise Abort("psql on %s failed: %s" % (db, (r.stderr or r.stdout).strip()[-2000:]))
    return r.stdout.strip()


def stack_running(what):
    return subprocess.run([str(REPO / "bin" / "stack"), "running", what], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except Exception:
        return False


def port_free(port):
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def classpath():
    """The load generator's: grpc-java, Netty and protobuf from the fleet's build, agent.proto's classes from its app jar."""
    return "%s/app/*:%s/lib/main/*" % (QUARKUS_APP, QUARKUS_APP)


def compile_bench():
    out = WORK / "classes"
    out.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["javac", "-nowarn", "-d", str(out), "-cp", classpath(), str(HERE / "FleetBench.java")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Abort("javac FleetBench.java failed:\n" + r.stderr[-3000:])
    return "%s:%s" % (out, classpath())


def start(name, argv, env=None, cwd=None):
    logf = open(WORK / ("%s.log" % name), "w")
    p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
    log("started %s (pid %d, log %s)" % (name, p.pid, WORK / ("%s.log" % name)))
    return p


def stop(p, name):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(45)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    log("stopped %s" % name)


def fleet_env(args, secret, kafka_port, pgp, tokens_file):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(("QUARKUS_", "FLEET_", "MP_", "SMALLRYE_")):
            del env[k]
    env.update({
        "TZ": "UTC", "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(FLEET_HTTP), "GRPC_HOST": "127.0.0.1",
        "GRPC_PORT": str(FLEET_GRPC), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:%d" % kafka_port,
        "DB_REACTIVE_URL": "postgresql://127.0.0.1:%d/%s" % (pgp, DB),
        "DB_JDBC_URL": "jdbc:postgresql://127.0.0.1:%d/%s" % (pgp, DB),
        "DB_USER": "proxyvault", "DB_PASSWORD": "proxyvault",
        "INTERNAL_JWT_PUBLIC_KEY_LOCATION": "file:%s/bin/dev-keys/internal-jwt-public.pem" % REPO,
        # 10,000 id=token pairs are ~500 KB: past Linux's 128 KiB limit for one environment string, so
        # FLEET_AGENT_TOKENS comes from a properties file (mode 0600) named by QUARKUS_CONFIG_LOCATIONS.
        "QUARKUS_CONFIG_LOCATIONS": "file:%s" % tokens_file,
        "FLEET_REPLICA_ID": "bench-fleet", "FLEET_REPLICA_URL": "http://127.0.0.1:%d" % FLEET_HTTP,
        "TOPIC_PREFIX": "bench-fleet-%d." % int(time.time()),
        # The agents leave between rounds (the reference's turn): with the 30 s default every proxy would go
        # offline and back (60,000 events) inside the measurement. The sweep's query runs every second all
        # the same; the window instead checks that no agent fell silent for 30 s (silent_agents_30s).
        "FLEET_HEARTBEAT_TIMEOUT": args.heartbeat_timeout,
    })
    return env


def load(args, cp, target_name, pgp, extra, tag="r1"):
    port = FLEET_GRPC if target_name == "fleet" else ECHO_PORT
    argv = ["java"] + LOADGEN_JVM + [
            "-Xlog:gc,safepoint:file=%s:utctime,uptime" % (WORK / ("load-%s-%s-gc.log" % (target_name, tag))), "-cp", cp, "FleetBench", "load",
            "--target", "127.0.0.1:%d" % port, "--agents", str(args.agents), "--prefix", PREFIX, "--secret", args.secret,
            "--modems", str(args.modems), "--proxies", str(args.proxies), "--channels", args.channels,
            "--inflight", str(args.inflight), "--warmup", str(args.warmup), "--steady", str(args.steady),
            "--connect-timeout", str(args.connect_timeout)] + extra
    if target_name == "fleet":
        argv += ["--pg-pid", str(pg_pid() or 0),
                 "--pg-commits", "%s -h 127.0.0.1 -p %d -U postgres -d postgres -XAtq -c \"select xact_commit from "
                                 "pg_stat_database where datname = '%s'\"" % (PG_BIN / "psql", pgp, DB)]
    # the same fingerprint calls against both: the fleet's REST API, and the reference's minimal command path
    argv += ["--http", "http://127.0.0.1:%d" % (FLEET_HTTP if target_name == "fleet" else ECHO_HTTP),
             "--jwt-key", str(REPO / "bin/dev-keys/internal-jwt-private.pem"),
             "--commands", str(args.commands), "--command-rate", str(args.command_rate),
             "--command-warmup", str(args.command_warmup),
             "--trace", str(WORK / ("commands-%s-%s.txt" % (target_name, tag)))]
    log("round: %s" % " ".join(shlex.quote(a) for a in argv[len(LOADGEN_JVM) + 4:]))
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=sys.stderr, text=True,
                       timeout=args.connect_timeout + args.warmup + args.steady + 600)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        raise Abort("load generator against %s failed (exit %d)" % (target_name, r.returncode))
    res = json.loads(lines[-1])
    res["target_name"] = target_name
    return res


def run(args):
    WORK.mkdir(parents=True, exist_ok=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(4 * args.agents + 10000, 65536)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))
    except (ValueError, OSError):
        pass
    log("open files limit: %s" % (resource.getrlimit(resource.RLIMIT_NOFILE),))
    jar = Path(args.app).resolve() / "quarkus-run.jar" if args.app else QUARKUS_APP / "quarkus-run.jar"
    if args.build or (not args.app and not jar.exists()):
        log("building proxy-fleet-service")
        r = subprocess.run(["nice", "-n", "19", str(REPO / "mvnw"), "-q", "-B", "-DskipTests", "install", "-pl",
                            "proxy-fleet-service", "-am"], cwd=REPO)
        if r.returncode != 0:
            raise Abort("build failed")
    for port in (FLEET_HTTP, FLEET_GRPC, ECHO_PORT, ECHO_HTTP):
        if not port_free(port):
            raise Abort("port %d is taken" % port)
    started_infra = False
    fleet = echo = None
    results = []
    meta = {}
    try:
        if not stack_running("infra"):
            log("starting PostgreSQL and Kafka (bin/stack infra)")
            if subprocess.run([str(REPO / "bin" / "stack"), "infra"], stdout=sys.stderr).returncode != 0:
                raise Abort("bin/stack infra failed")
            started_infra = True
        pgp = pg_port()
        kafka_port = int(os.environ.get("PV_KAFKA_PORT", "9092"))
        psql(pgp, "postgres", "drop database if exists %s with (force);" % DB)
        psql(pgp, "postgres", "create database %s owner proxyvault;" % DB)
        if args.pg_log_slow is not None:  # diagnosis: PostgreSQL logs the fleet's statements slower than this
            psql(pgp, "postgres", "alter database %s set log_min_duration_statement = %d;" % (DB, args.pg_log_slow))
        cp = compile_bench()
        tokens_file = WORK / "agent-tokens.properties"
        tokens_file.write_text("FLEET_AGENT_TOKENS=%s\n" % tokens_value(args.agents, args.secret))
        tokens_file.chmod(0o600)
        workdir = WORK / "fleet"
        (workdir / "tmp").mkdir(parents=True, exist_ok=True)
        jfr = ["-XX:StartFlightRecording=dumponexit=true,filename=%s,settings=profile" % (WORK / "fleet.jfr")] if args.jfr else []
        gclog = ["-Xlog:gc,safepoint:file=%s:utctime,uptime" % (WORK / "fleet-gc.log")]
        fleet = start("fleet", ["java", HEAP] + FLEET_GC[args.fleet_gc] + shlex.split(args.fleet_jvm) +
                               ["-Duser.timezone=UTC", "-Djava.io.tmpdir=%s/tmp" % workdir] + jfr + gclog +
                               ["-jar", str(jar)], env=fleet_env(args, args.secret, kafka_port, pgp, tokens_file), cwd=workdir)
        deadline = time.time() + 180
        while not http_ok("http://127.0.0.1:%d/q/health/ready" % FLEET_HTTP):
            if fleet.poll() is not None or time.time() > deadline:
                raise Abort("the fleet did not get ready (log %s)" % (WORK / "fleet.log"))
            time.sleep(1)
        log("fleet ready; seeding %d agents, %d modems and %d proxies" % (
            args.agents, args.agents * args.modems, args.agents * args.proxies))
        psql(pgp, DB, seed_sql(args.agents, args.modems, args.proxies))
        echo = start("echo", ["java", HEAP, "-cp", cp, "FleetBench", "echo", str(ECHO_PORT), "10", str(ECHO_HTTP),
                                str(args.proxies), PREFIX])
        time.sleep(3)
        meta = {"label": args.label, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "machine": machine.machine_info(), "git": git_info(), "loadavg_start": os.getloadavg()[0],
                "command": "bench/fleet/run " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
                "app": str(jar.parent.relative_to(REPO)) if jar.parent.is_relative_to(REPO) else str(jar.parent)}
        meta["channels"] = args.channels
        meta["fleet_jvm"] = " ".join([HEAP] + FLEET_GC[args.fleet_gc] + shlex.split(args.fleet_jvm))
        if args.app:  # the code measured is that build's, not the checkout's
            meta["git"] = {"short": args.app_commit or "unknown (--app)", "subject": "", "dirty": False}
        pids = {"fleet": fleet.pid, "echo": echo.pid}
        for rnd, targets in enumerate(order(args.rounds), 1):
            for t in targets:
                if args.no_reference and t == "echo":
                    continue
                res = load(args, cp, t, pgp, ["--pid", str(pids[t])], "r%d" % rnd)
                res["round"] = rnd
                res["loadavg"] = os.getloadavg()[0]
                if t == "fleet":
                    res["silent_agents_30s"] = int(psql(pgp, DB, "select count(*) from agents where id like '%s%%' and "
                                                         "last_seen_at < (now() at time zone 'utc') - interval '30 s'" % PREFIX))
                    res["offline_proxies"] = int(psql(pgp, DB, "select count(*) from proxies where status = 'offline'"))
                results.append(res)
                log("%s round %d: %s" % (t, rnd, json.dumps(res)))
                time.sleep(args.pause)
    finally:
        stop(echo, "echo")
        stop(fleet, "fleet")
        if started_infra:
            subprocess.run([str(REPO / "bin" / "stack"), "down"], stdout=sys.stderr)
    return meta, results


def git_info():
    def git(*a):
        return subprocess.run(["git", "-C", str(REPO)] + list(a), capture_output=True, text=True).stdout.strip("\n")
    code = git("log", "-1", "--format=%H", "--", ".", ":(exclude)bench", ":(exclude)docs")
    dirty = [ln for ln in git("status", "--porcelain", "--untracked-files=no").splitlines()
             if not ln[3:].startswith(("bench/", "docs/"))]
    # only the fleet's jar runs here (bench/flow's check, narrowed to it)
    stale = [s for s in flow.stale_jars(git, REPO) if s[0] == "proxy-fleet-service"]
    return {"short": git("rev-parse", "--short", code), "subject": git("log", "-1", "--format=%s", code), "dirty": bool(dirty),
            "stale_jars": stale}


# ---------------------------------------------------------------------------------------------------
# the section

def f(x, digits=0):
    if x is None:
        return "–"
    if digits == 0 and abs(x) >= 1000:
        return "{:,.0f}".format(x)
    return "%.*f" % (digits, x)


def render(meta, results, args_text):
    s = summarize(results)
    fl, ec = s.get("fleet", {}), s.get("echo", {})
    m = meta["machine"]
    hb_ratio = ratio(fl.get("target_cpu_us_per_heartbeat"), ec.get("target_cpu_us_per_heartbeat"))
    mem_f = (fl.get("heap_after_mb") or 0) - (fl.get("heap_before_mb") or 0)
    mem_e = (ec.get("heap_after_mb") or 0) - (ec.get("heap_before_mb") or 0)
    n = fl.get("agents") or ec.get("agents")
    lines = [
        "### bench/fleet: %s (%s, commit %s%s)" % (meta["label"], meta["date"], meta["git"]["short"],
                                                  (", uncommitted changes" if meta["git"]["dirty"] else "")
                                                  + flow.stale_note(meta["git"])),
        "",
        "`%s`. Machine: nproc %d, %s, %s, load average **%.2f** at the start. One proxy-fleet-service (`%s`, the "
        "prod pod's heap; from `%s`) and the reference, FleetBench's minimal grpc-java bidi server (Hello → Welcome, "
        "heartbeats counted; a fingerprint call answered by the command down the stream and the agent's result), each met by the same load generator in turn (rounds alternate which "
        "goes first); medians over %d rounds."
        % (meta["command"], m["nproc"], m["cpu"], m["memory"], meta["loadavg_start"], meta.get("fleet_jvm", HEAP), meta.get("app", "?"),
           fl.get("rounds", 0)),
        "",
        "**%s agents held** (%s). **Fleet CPU per heartbeat %s µs** vs the minimal gRPC server's %s µs: **%s×** "
        "(steady %s heartbeats/s, %s modems and %s proxies per agent). Connect all: fleet %s s, reference %s s. "
        "Heap per stream (after full GC): fleet %s KB, reference %s KB. Command round trip (fingerprint through the "
        "fleet's REST API to a random agent, all connected): p50 **%s ms**, p99 **%s ms** (the reference's minimal "
        "command path, no token check and no database: p50 %s ms, p99 %s ms). Database commits per heartbeat **%s**."
        % (f(n), ("all welcomed in every round" if fl.get("all_welcomed") and ec.get("all_welcomed") else "NOT all welcomed")
           + "; " + connections(meta.get("channels", "per-agent")),
           f(fl.get("target_cpu_us_per_heartbeat"), 1), f(ec.get("target_cpu_us_per_heartbeat"), 1),
           f(hb_ratio, 2), f(fl.get("heartbeats_per_second")), f(fl.get("modems_per_agent")), f(fl.get("proxies_per_agent")),
           f(fl.get("connect_seconds"), 1), f(ec.get("connect_seconds"), 1),
           f(mem_f * 1024 / n if n else None, 1), f(mem_e * 1024 / n if n else None, 1),
           f(fl.get("command_p50_ms"), 1), f(fl.get("command_p99_ms"), 1), f(ec.get("command_p50_ms"), 1),
           f(ec.get("command_p99_ms"), 1), f(fl.get("db_commits_per_heartbeat"), 3)),
        "",
        "| figure (median of rounds) | fleet | minimal gRPC server | fleet / reference |",
        "|---|---:|---:|---:|",
    ]
    rows = [
        ("agents welcomed (of %s)" % f(n), "welcomed", 0),
        ("all welcomed: seconds from the first Hello", "connect_seconds", 1),
        ("Hello → Welcome p50, ms (at most --inflight Hellos unanswered)", "hello_welcome_p50_ms", 1),
        ("Hello → Welcome p99, ms", "hello_welcome_p99_ms", 1),
        ("target CPU while connecting, ms", "target_cpu_ms_connect", 0),
        ("heartbeats/s in the steady window", "heartbeats_per_second", 0),
        ("**target CPU, ms per s** (steady)", "target_cpu_ms_per_s", 1),
        ("**target CPU per heartbeat, µs**", "target_cpu_us_per_heartbeat", 1),
        ("PostgreSQL CPU, ms per s", "pg_cpu_ms_per_s", 1),
        ("PostgreSQL CPU per heartbeat, µs", "pg_cpu_us_per_heartbeat", 1),
        ("database commits per heartbeat (pg_stat_database)", "db_commits_per_heartbeat", 3),
        ("target threads", "target_threads", 0),
        ("RSS before connecting, MB", "rss_before_mb", 0),
        ("RSS with all connected, MB", "rss_connected_mb", 0),
        ("RSS at the end, MB", "rss_after_mb", 0),
        ("heap after full GC before connecting, MB", "heap_before_mb", 1),
        ("heap after full GC at the end, MB", "heap_after_mb", 1),
        ("load generator CPU, ms per s", "loadgen_cpu_ms_per_s", 1),
        ("stream errors (reconnects) in the steady window", "stream_errors_steady", 0),
        ("fingerprint calls ok (paced at %s/s)" % f(fl.get("command_rate")), "commands_ok", 0),
        ("**command round trip p50, ms**", "command_p50_ms", 1),
        ("**command round trip p99, ms**", "command_p99_ms", 1),
        ("command round trip max, ms", "command_max_ms", 1),
        ("first call after the steady window, ms (cold; not counted)", "command_first_ms", 1),
        ("slowest of the %s warm-up calls, ms (not counted)" % f(fl.get("command_warmup")), "command_warmup_max_ms", 1),
        ("agents silent > 30 s at the end of the window (would be offline)", "silent_agents_30s", 0),
    ]
    for name, key, d in rows:
        a, b = fl.get(key), ec.get(key)
        if a is None and b is None:
            continue
        r = ratio(a, b)
        lines.append("| %s | %s | %s | %s |" % (name, f(a, d), f(b, d), "–" if r is None else "%.2f×" % r))
    lines += ["", "Every round:", "", "| round | target | welcomed | connect s | heartbeats/s | CPU ms/s | µs/heartbeat | "
              "commits/heartbeat | command p50 / p99 ms | stream errors | load |", "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for r in results:
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |" % (
            r["round"], r["target_name"], f(r.get("welcomed")), f(r.get("connect_seconds"), 1),
            f(r.get("heartbeats_per_second")), f(r.get("target_cpu_ms_per_s"), 1), f(r.get("target_cpu_us_per_heartbeat"), 1),
            f(r.get("db_commits_per_heartbeat"), 3),
            "–" if r.get("command_p50_ms") is None else "%s / %s" % (f(r["command_p50_ms"], 1), f(r["command_p99_ms"], 1)),
            f(r.get("stream_errors_total")), r.get("loadavg", 0)))
    lines.append("")
    lines.append("Raw: `%s`." % args_text)
    return "\n".join(lines) + "\n"


def connections(channels):
    """How the agents' streams were spread over TCP connections, in the section's words (bench/summary reads it)."""
    if channels.startswith("shared:"):
        return "%s agents' streams per TCP connection" % channels.split(":", 1)[1]
    return "one TCP connection per agent"


def write_doc(path, label, section):
    """Replaces this label's block, or appends it after the last bench/fleet block (else at the end)."""
    begin, end = "<!-- %s:%s -->" % (DOC_MARK, label), "<!-- /%s:%s -->" % (DOC_MARK, label)
    block = begin + "\n" + section.rstrip("\n") + "\n" + end
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bench/fleet/run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=10000)
    ap.add_argument("--modems", type=int, default=3, help="modems per agent")
    ap.add_argument("--proxies", type=int, default=3, help="served proxies per agent (one per modem in turn)")
    ap.add_argument("--channels", default="per-agent", help="per-agent (one TCP connection each, as real agents) "
                                                            "or shared:N (N agents' streams per connection)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds; each measures the fleet and the reference")
    ap.add_argument("--inflight", type=int, default=500, help="Hellos unanswered at most while connecting")
    ap.add_argument("--warmup", type=int, default=40, help="seconds after all are welcomed, before the window")
    ap.add_argument("--steady", type=int, default=60, help="the steady window, seconds")
    ap.add_argument("--commands", type=int, default=300, help="fingerprint calls after the window (the reference answers them "
                                                                   "the minimal way: command down the stream, result back)")
    ap.add_argument("--command-rate", type=float, default=10.0, help="their pace, per second")
    # 200, not 20: the heartbeats warm only the stream's code, and 20 calls leave the REST handler, the SQL client's
    # statements and the command's completion interpreted or C1-compiled (C2 wants thousands of invocations; the
    # runs up to `quiet-second` measured that code mid-compilation). A fleet in service gets a steady trickle of
    # commands, so the counted calls should meet warm code. Both targets get the same warm-up.
    ap.add_argument("--command-warmup", type=int, default=200,
                    help="fingerprint calls before the counted ones (the command path's code is cold after the steady "
                         "window); reported apart as the first call and the warm-up's slowest")
    ap.add_argument("--no-reference", action="store_true", help="measure the fleet only (diagnosis; no section "
                                                                  "worth keeping)")
    ap.add_argument("--pg-log-slow", type=int, help="diagnosis: log_min_duration_statement (ms) of the bench's database")
    ap.add_argument("--fleet-gc", default="shenandoah", choices=sorted(FLEET_GC),
                    help="the fleet's collector (shenandoah: as deployed; default: the JVM's own choice)")
    ap.add_argument("--fleet-jvm", default="", help="extra JVM options for the fleet (diagnosis, e.g. another GC)")
    ap.add_argument("--connect-timeout", type=int, default=300)
    ap.add_argument("--pause", type=int, default=10, help="seconds between turns (disconnects settle)")
    ap.add_argument("--heartbeat-timeout", default="1h", help="FLEET_HEARTBEAT_TIMEOUT of the bench's fleet")
    ap.add_argument("--secret", default="bench-fleet-secret", help="the run's token secret")
    ap.add_argument("--build", action="store_true", help="build proxy-fleet-service first (else only when missing)")
    ap.add_argument("--app", help="run the fleet from this quarkus-app directory (a copy of an older build, to measure "
                                  "before a change) instead of proxy-fleet-service/target/quarkus-app")
    ap.add_argument("--app-commit", help="with --app: the commit that build was made from (the section's heading)")
    ap.add_argument("--jfr", action="store_true", help="record the fleet with JFR (profile settings) into "
                                                        ".stack/bench-fleet/fleet.jfr, written when it stops")
    ap.add_argument("--label", default="latest")
    ap.add_argument("--output", default="docs/benchmarks.md")
    ap.add_argument("--quick", action="store_true", help="2,000 agents, 1 round, short windows")
    args = ap.parse_args(argv)
    if args.quick:
        args.agents, args.rounds, args.warmup, args.steady, args.commands = 2000, 1, 20, 30, 100
    return args


def main(argv):
    args = parse_args(argv)
    try:
        meta, results = run(args)
    except Abort as e:
        log("ERROR: %s" % e)
        return 2
    raw = WORK / ("%s-%s.json" % (args.label, datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")))
    raw.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    log("raw results: %s" % raw)
    section = render(meta, results, raw.relative_to(REPO))
    print(section)
    if args.output != "-":
        write_doc(REPO / args.output if not Path(args.output).is_absolute() else Path(args.output), args.label, section)
        log("wrote section '%s' of %s" % (args.label, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
