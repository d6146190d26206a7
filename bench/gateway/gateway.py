#!/usr/bin/env python3
"""bench/gateway - the api-gateway against plain nginx in front of the same billing-service.

Both targets serve GET /v1/reseller/balance from the billing-service of the running local stack:
  - gateway: a second api-gateway JVM started by this bench (the stack's own gateway on 8080 is not
    touched), with the environment bin/stack gives the gateway plus RATE_LIMIT_PER_MINUTE=1000000000,
    so the limiter is consulted on every request but never refuses; called with the demo reseller's
    rv_ API key (key lookup, rate limit, internal JWT, forwarding);
  - nginx: a private nginx doing nothing but proxy_pass to billing (upstream keepalive), called with
    an internal JWT minted by the bench (what the gateway would forward).
Measured with wrk on 127.0.0.1 only:
  1. throughput: closed loop (-t/-c) for --duration s, gateway/nginx alternating for --rounds rounds
     after a warm-up of each;
  2. latency at load: both paced at --paced-fraction (0.7) of nginx's median throughput (wrk.lua's
     delay(): a paced closed loop, not an open loop), alternating again.
Per run: req/s, latency percentiles from wrk's histogram, CPU per request of the proxy (gateway or
nginx), billing-service, PostgreSQL and wrk (/proc/<pid>/stat), and how much CPU everything else on
the machine used. Writes a section of docs/benchmarks.md (see there) and a raw JSON file. Everything it
starts (nginx, the gateway JVM) is stopped at the end, also on Ctrl-C, SIGTERM or the bench's death
(PR_SET_PDEATHSIG). Python 3 standard library only; installs nginx and wrk with apt-get if missing.
"""

import argparse
import base64
import ctypes
import datetime
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import machine  # noqa: E402  (bench/machine.py, shared by the benchmarks)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STACK = REPO / ".stack"
WORK = STACK / "bench-gateway"
LUA = HERE / "wrk.lua"
DEV_KEYS = REPO / "bin" / "dev-keys"
PATH = "/v1/reseller/balance"
BENCH_RATE_LIMIT = 1_000_000_000
AIM_RATIO = 0.8          # gateway req/s >= 0.8 x nginx req/s
AIM_P99_DIFF_MS = 2.0    # gateway p99 <= nginx p99 + 2 ms at 70 % of nginx's peak
PACED_SHORTFALL = 0.95   # a paced run that achieved less than 95 % of its target rate did not keep up
BUSY_OTHERS = 0.5        # cores used by other processes (the stack's idle work is ~0.3) above which runs are flagged
WRK_TIMEOUT_S = 5
JIT_SETTLED = 0.10       # the gateway's warm-up ends once its JIT compiler threads use < 10 % of its CPU
MARKER = "-Dproxyvault.bench=bench-gateway"
CLK_TCK = os.sysconf("SC_CLK_TCK")
DOC_MARK = "bench/gateway"

now = time.monotonic


def log(msg):
    print("[bench/gateway] %s" % msg, file=sys.stderr, flush=True)


class Abort(Exception):
    pass


def die(msg):
    raise Abort(msg)


# ---------------------------------------------------------------------------------------------------
# processes

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    """In the child between fork and exec: get SIGTERM when the bench dies, however it dies."""
    _libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def spawn(cmd, log_path, env=None, cwd=None):
    out = open(log_path, "ab")
    try:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=cwd, start_new_session=True, preexec_fn=_die_with_parent)
    finally:
        out.close()


def stop(proc, name, timeout):
    """SIGTERM (the JVM's shutdown, nginx's fast shutdown), then SIGKILL for it and its children."""
    if proc is None or proc.poll() is not None:
        return
    log("stopping %s (pid %d)" % (name, proc.pid))
    kids = children(proc.pid)
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log("%s did not stop within %d s: killing it" % (name, timeout))
        proc.kill()
        proc.wait(10)
        for k in kids:  # nginx workers outlive a killed master
            try:
                os.kill(k, signal.SIGKILL)
            except OSError:
                pass


def stop_leftovers():
    """A run killed with SIGKILL leaves nothing behind (PDEATHSIG), but a pid file might survive: stop
    what it names if that process is still one of ours."""
    for f in WORK.glob("*.pid"):
        try:
            pid = int(f.read_text().strip())
            cmd = Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            f.unlink(missing_ok=True)
            continue
        if MARKER in cmd or str(WORK / "nginx") in cmd:
            log("stopping pid %d left over by an earlier run (%s)" % (pid, cmd[:80]))
            try:
                os.kill(pid, signal.SIGTERM)
                for _ in range(150):
                    if not Path("/proc/%d" % pid).exists():
                        break
                    time.sleep(0.2)
            except ProcessLookupError:
                pass
        f.unlink(missing_ok=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def listener_pid(port):
    """The pid listening on a TCP port (ss -ltnpH), or None."""
    out = subprocess.run(["ss", "-ltnpH", "sport = :%d" % port], capture_output=True, text=True).stdout
    m = re.search(r"pid=(\d+)", out)
    return int(m.group(1)) if m else None


def ensure_tools():
    missing = [pkg for cmd, pkg in (("nginx", "nginx"), ("wrk", "wrk")) if not shutil.which(cmd)]
    if missing:
        if os.geteuid() != 0:
            die("need root to apt-get install %s" % " ".join(missing))
        log("installing %s with apt-get" % " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q"] + missing, env=env, check=True, stdout=subprocess.DEVNULL)
    for cmd in ("java", "openssl", "ss"):
        if not shutil.which(cmd):
            die("%s not found" % cmd)


# ---------------------------------------------------------------------------------------------------
# CPU accounting (/proc)

def stat_fields(pid, tid=None):
    """Fields after the command name of /proc/<pid>/stat (or of one thread): [state, ppid, ...];
    utime [11], stime [12], cutime [13], cstime [14]."""
    path = "/proc/%d/stat" % pid if tid is None else "/proc/%d/task/%d/stat" % (pid, tid)
    with open(path) as f:
        text = f.read()
    return text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()


def cpu_seconds(pid, children_too=False):
    f = stat_fields(pid)[1]
    ticks = int(f[11]) + int(f[12])
    if children_too:
        ticks += int(f[13]) + int(f[14])
    return ticks / CLK_TCK


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(stat_fields(int(entry))[1][1]) == pid:
                    out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def sys_seconds(pid, tree=False):
    """Kernel time (stime) of a process, or of it and its live children."""
    total = int(stat_fields(pid)[1][12]) / CLK_TCK
    if tree:
        for c in children(pid):
            try:
                total += int(stat_fields(c)[1][12]) / CLK_TCK
            except (OSError, ValueError, IndexError):
                pass
    return total


def tree_cpu(pid):
    """A process (with its reaped children) plus its live children: nginx's master and workers, the
    postmaster and its backends."""
    total = cpu_seconds(pid, children_too=True)
    for c in children(pid):
        try:
            total += cpu_seconds(c)
        except OSError:
            pass  # exited meanwhile: now in the parent's cutime
    return total


def machine_busy_seconds():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


def thread_group(name):
    """Thread names without their running numbers: 'vert.x-eventloop-thread-1' -> 'vert.x-eventloop-thread-#'
    (the kernel keeps 15 characters of a name)."""
    return re.sub(r"\d+", "#", name)


def threads_cpu(pid):
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            name, f = stat_fields(pid, int(tid))
            out[tid] = (name, (int(f[11]) + int(f[12])) / CLK_TCK)
        except (OSError, ValueError, IndexError):
            pass
    return out


class Processes:
    """The pids whose CPU a run reports."""

    def __init__(self, gateway, nginx, billing, postgres):
        self.gateway, self.nginx, self.billing, self.postgres = gateway, nginx, billing, postgres

    def snapshot(self):
        s = {"t": now(), "machine": machine_busy_seconds(), "loadavg": os.getloadavg()[0]}
        for name, pid, fn in (("gateway", self.gateway, cpu_seconds), ("nginx", self.nginx, tree_cpu),
                              ("billing", self.billing, cpu_seconds), ("postgres", self.postgres, tree_cpu)):
            if pid:
                try:
                    s[name] = fn(pid)
                except OSError:
                    pass
        for name, pid, tree in (("gateway", self.gateway, False), ("nginx", self.nginx, True)):
            if pid:
                try:
                    s[name + "_sys"] = sys_seconds(pid, tree)
                except OSError:
                    pass
        s["gateway_threads"] = threads_cpu(self.gateway) if self.gateway else {}
        s["billing_threads"] = threads_cpu(self.billing) if self.billing else {}
        return s


# ---------------------------------------------------------------------------------------------------
# the internal JWT for the nginx path

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_internal_jwt(reseller_id, key_path, ttl=60, at=None):
    """RS256, as the gateway signs it (InternalJwt): iss proxyvault-gateway, aud billing-service,
    reseller_id, groups [reseller]; at most 60 s of life (services refuse longer ones)."""
    iat = int(time.time() if at is None else at)
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iss": "proxyvault-gateway", "sub": str(reseller_id), "aud": ["billing-service"],
              "reseller_id": reseller_id, "groups": ["reseller"], "iat": iat, "exp": iat + ttl}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(key_path), "-binary"],
                         input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


# ---------------------------------------------------------------------------------------------------
# nginx and the gateway

NGINX_CONF = """# written by bench/gateway (gateway.py); a plain reverse proxy, the reference for the api-gateway
daemon off;
master_process on;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/client_body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    upstream billing {{
        server {upstream};
        keepalive 64;
        keepalive_requests 1000000;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://billing;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def start_nginx(port, upstream, workers):
    prefix = WORK / "nginx"
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, upstream=upstream, workers=workers))
    base = ["nginx", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    t = subprocess.run(base + ["-t"], capture_output=True, text=True)
    if t.returncode != 0:
        die("nginx -t failed:\n" + t.stderr)
    proc = spawn(base, prefix / "nginx.out")
    (WORK / "nginx.pid").write_text(str(proc.pid))
    for _ in range(100):
        if proc.poll() is not None:
            die("nginx exited at once:\n" + (prefix / "error.log").read_text()[-2000:])
        if port_open(port):
            return proc
        time.sleep(0.1)
    die("nginx does not listen on 127.0.0.1:%d" % port)


def gateway_env(http_port, mgmt_port, pg_port, kafka_port, billing_url):
    """What bin/stack's app_env gives api-gateway (read it there), with this bench's ports, plus the
    rate limit that never refuses."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "JAVA_HOME")}
    env.update({
        "TZ": "UTC",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:%d" % kafka_port,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(http_port),
        "DB_REACTIVE_URL": "postgresql://127.0.0.1:%d/gateway" % pg_port,
        "DB_JDBC_URL": "jdbc:postgresql://127.0.0.1:%d/gateway" % pg_port,
        "DB_USER": "proxyvault",
        "DB_PASSWORD": "proxyvault",
        "MANAGEMENT_HOST": "127.0.0.1",
        "MANAGEMENT_PORT": str(mgmt_port),
        "INTERNAL_JWT_PRIVATE_KEY_LOCATION": "file:%s" % (DEV_KEYS / "internal-jwt-private.pem"),
        "OPERATOR_JWT_PUBLIC_KEY_LOCATION": "file:%s" % (DEV_KEYS / "operator-public.pem"),
        "BILLING_URL": billing_url,
        "FAILED_AUTH_BURST": os.environ.get("PV_FAILED_AUTH_BURST", "20"),
        "RATE_LIMIT_PER_MINUTE": str(BENCH_RATE_LIMIT),
    })
    # passed through when set: the other upstreams (not on the measured path), and the Redis-backed
    # limiter (RATE_LIMIT_STORE=redis REDIS_HOSTS=redis://127.0.0.1:6379, as bin/stack up --redis gives)
    for var in ("ORDERS_URL", "FLEET_URL", "WEBHOOKS_URL", "RATE_LIMIT_STORE", "REDIS_HOSTS"):
        if var in os.environ:
            env[var] = os.environ[var]
    return env


def start_gateway(app_dir, env, jvm_opts, start_timeout):
    run = WORK / "gateway"
    (run / "tmp").mkdir(parents=True, exist_ok=True)
    log_path = WORK / "gateway.log"
    if log_path.exists():
        log_path.replace(WORK / "gateway.log.1")
    cmd = (["java", "-Xmx256m", "-Duser.timezone=UTC", "-Djava.io.tmpdir=%s" % (run / "tmp"), MARKER] + jvm_opts
           + ["-jar", str(app_dir / "quarkus-run.jar")])
    proc = spawn(cmd, log_path, env=env, cwd=run)
    (WORK / "gateway.pid").write_text(str(proc.pid))
    url_port = int(env["MANAGEMENT_PORT"])
    deadline = now() + start_timeout
    while now() < deadline:
        if proc.poll() is not None:
            die("the bench gateway exited during startup (%s):\n%s" % (log_path, tail(log_path, 40)))
        if http_get(url_port, "/q/health/ready")[0] == 200:
            return proc, cmd
        time.sleep(0.5)
    die("the bench gateway is not ready after %d s (%s):\n%s" % (start_timeout, log_path, tail(log_path, 40)))


def tail(path, n):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def http_get(port, path, token=None, host="127.0.0.1"):
    try:
        c = http.client.HTTPConnection(host, port, timeout=5)
        c.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body
    except OSError:
        return 0, b""


# ---------------------------------------------------------------------------------------------------
# wrk

def run_wrk(args, port, token, seconds, rate=None):
    """One wrk run; returns its PVJSON summary plus req/s, wrk's printed percentiles and its own CPU."""
    cmd = ["wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % seconds,
           "--timeout", "%ds" % WRK_TIMEOUT_S, "--latency", "-s", str(LUA),
           "-H", "Authorization: Bearer " + token, "http://127.0.0.1:%d%s" % (port, PATH)]
    env = dict(os.environ)
    env.pop("PV_WRK_RATE", None)
    if rate:
        env["PV_WRK_RATE"] = "%.6f" % (rate / args.threads)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate(timeout=seconds + 60)
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    if p.returncode != 0:
        die("wrk failed (%d): %s %s" % (p.returncode, out[-1000:], err[-1000:]))
    m = re.search(r"^PVJSON (.*)$", out, re.M)
    if not m:
        die("no PVJSON line in wrk's output:\n" + out[-2000:])
    res = json.loads(m.group(1))
    res["printed"] = {k: v for k, v in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", out, re.M)}
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    res["printed_rps"] = float(rps.group(1)) if rps else None
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6) if res["duration_us"] else 0.0
    res["wrk_stdout"] = out
    return res


def children_cpu():
    r = os.times()
    return r.children_user + r.children_system


def measure(args, procs, target, port, token, seconds, rate=None, kind="throughput", index=None):
    before, wrk_before = procs.snapshot(), children_cpu()
    res = run_wrk(args, port, token, seconds, rate)
    after, wrk_after = procs.snapshot(), children_cpu()
    window = after["t"] - before["t"]
    run = {"kind": kind, "target": target, "index": index, "seconds": seconds, "target_rate": rate,
           "requests": res["requests"], "rps": res["rps"], "printed_rps": res["printed_rps"],
           "errors": res["errors"], "latency_us": res["latency_us"], "printed_percentiles": res["printed"],
           "window_s": window, "loadavg_start": before["loadavg"], "loadavg_end": after["loadavg"],
           "wrk_stdout": res["wrk_stdout"]}
    cpu = {"wrk": wrk_after - wrk_before}
    for name in ("gateway", "nginx", "billing", "postgres"):
        if name in before and name in after:
            cpu[name] = after[name] - before[name]
    if target + "_sys" in before and target + "_sys" in after and cpu.get(target):
        run["proxy_sys_share"] = (after[target + "_sys"] - before[target + "_sys"]) / cpu[target]
    machine = after["machine"] - before["machine"]
    run["cpu_s"] = cpu
    run["machine_busy_s"] = machine
    run["other_cores"] = (machine - sum(cpu.values())) / window if window > 0 else None
    if target == "gateway":
        run["gateway_threads_s"] = thread_groups_delta(before["gateway_threads"], after["gateway_threads"])
        run["jit_share"] = jit_share(run["gateway_threads_s"])
    run["billing_jit_share"] = jit_share(thread_groups_delta(before["billing_threads"], after["billing_threads"]))
    return run


def thread_groups_delta(t0, t1):
    groups = {}
    for tid, (name, secs) in t1.items():
        d = secs - (t0[tid][1] if tid in t0 else 0.0)
        if d > 0:
            g = thread_group(name)
            groups[g] = groups.get(g, 0.0) + d
    return groups


def jit_share(groups):
    """Share of a JVM's CPU in its JIT compiler threads ('C1 CompilerThre', 'C2 CompilerThre')."""
    total = sum(groups.values())
    return sum(v for k, v in groups.items() if "Compiler" in k) / total if total else None


# ---------------------------------------------------------------------------------------------------
# facts

def machine_info():
    info = machine.machine_info({"nginx": ["nginx", "-v"], "wrk": ["wrk", "-v"]})
    info["wrk"] = info["wrk"].split(" Copyright")[0].strip()
    return info


def git_info(app_dir):
    def git(*a):
        return subprocess.run(["git", "-C", str(REPO)] + list(a), capture_output=True, text=True).stdout.strip("\n")
    dirty = [line[3:] for line in git("status", "--porcelain").splitlines()
             if line[3:].startswith(("api-gateway/", "platform/", "contracts/"))]
    jar_mtime = max((p.stat().st_mtime for p in app_dir.rglob("*.jar")), default=0)
    # the newest commit that changed the gateway's code (or what it is built from)
    code = git("log", "-1", "--format=%h %ct", "--", "api-gateway", "platform", "contracts", "pom.xml").split()
    return {"commit": git("rev-parse", "HEAD"), "short": git("rev-parse", "--short", "HEAD"),
            "subject": git("log", "-1", "--format=%s"), "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
            "gateway_dirty": dirty, "code_commit": code[0] if code else "?",
            "jar_built": datetime.datetime.fromtimestamp(jar_mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "jar_older_than_code": bool(code) and jar_mtime < int(code[1])}


def pg_port_hint():
    try:
        return (STACK / "pg" / "data" / "postmaster.pid").read_text().splitlines()[3].strip()
    except (OSError, IndexError):
        return None


# ---------------------------------------------------------------------------------------------------
# analysis

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pct_ms(run, p):
    lat = run["latency_us"]
    if not lat:
        return None
    if p == "max":
        return lat["max"] / 1000.0
    return lat["percentiles"][p] / 1000.0


def per_request_us(run, name):
    s = run["cpu_s"].get(name)
    return s / run["requests"] * 1e6 if s is not None and run["requests"] else None


def busy_cores(run):
    return run["machine_busy_s"] / run["window_s"] if run["window_s"] else None


def analyse(runs):
    def of(kind, target):
        return [r for r in runs if r["kind"] == kind and r["target"] == target]

    res = {}
    tg, tn = of("throughput", "gateway"), of("throughput", "nginx")
    res["throughput"] = {
        "gateway_rps": median([r["rps"] for r in tg]), "nginx_rps": median([r["rps"] for r in tn]),
        "gateway_p50_ms": median([pct_ms(r, "50") for r in tg]), "nginx_p50_ms": median([pct_ms(r, "50") for r in tn]),
        "gateway_p99_ms": median([pct_ms(r, "99") for r in tg]), "nginx_p99_ms": median([pct_ms(r, "99") for r in tn]),
        "gateway_cpu_us": median([per_request_us(r, "gateway") for r in tg]),
        "nginx_cpu_us": median([per_request_us(r, "nginx") for r in tn]),
        "paired_ratios": [g["rps"] / n["rps"] for g, n in zip(tg, tn) if n["rps"]],
        "gateway_sys_share": median([r.get("proxy_sys_share") for r in tg]),
        "nginx_sys_share": median([r.get("proxy_sys_share") for r in tn]),
        "billing_cpu_us": median([per_request_us(r, "billing") for r in tg + tn]),
        "postgres_cpu_us": median([per_request_us(r, "postgres") for r in tg + tn]),
        "busy_cores": median([busy_cores(r) for r in tg + tn]),
        "others_cores": median([r["other_cores"] for r in tg + tn]),
    }
    t = res["throughput"]
    t["ratio"] = t["gateway_rps"] / t["nginx_rps"] if t["gateway_rps"] and t["nginx_rps"] else None
    t["met"] = t["ratio"] is not None and t["ratio"] >= AIM_RATIO
    pg, pn = of("paced", "gateway"), of("paced", "nginx")
    if pg and pn:
        p = {"target_rate": pg[0]["target_rate"],
             "gateway_rps": median([r["rps"] for r in pg]), "nginx_rps": median([r["rps"] for r in pn]),
             "gateway_p50_ms": median([pct_ms(r, "50") for r in pg]), "nginx_p50_ms": median([pct_ms(r, "50") for r in pn]),
             "gateway_p99_ms": median([pct_ms(r, "99") for r in pg]), "nginx_p99_ms": median([pct_ms(r, "99") for r in pn]),
             "gateway_cpu_us": median([per_request_us(r, "gateway") for r in pg]),
             "nginx_cpu_us": median([per_request_us(r, "nginx") for r in pn]),
             "paired_p99_diffs_ms": [pct_ms(g, "99") - pct_ms(n, "99") for g, n in zip(pg, pn)
                                     if g["latency_us"] and n["latency_us"]],
             "short_runs": sorted(r["index"] for r in pg + pn if r["rps"] < PACED_SHORTFALL * r["target_rate"])}
        p["p99_diff_ms"] = (p["gateway_p99_ms"] - p["nginx_p99_ms"]
                            if p["gateway_p99_ms"] is not None and p["nginx_p99_ms"] is not None else None)
        # met / not met only when every paced run was served at (nearly) the offered rate; otherwise the p99s
        # include queueing at saturation and the comparison is inconclusive
        if p["p99_diff_ms"] is None:
            p["verdict"] = "no data"
        elif p["short_runs"]:
            p["verdict"] = "inconclusive"
        else:
            p["verdict"] = "met" if p["p99_diff_ms"] <= AIM_P99_DIFF_MS else "not met"
        p["met"] = p["verdict"] == "met"
        res["paced"] = p
    # thread groups of the gateway over its throughput runs
    groups, total_req = {}, 0
    for r in tg:
        total_req += r["requests"]
        for g, s in r.get("gateway_threads_s", {}).items():
            groups[g] = groups.get(g, 0.0) + s
    total = sum(groups.values())
    res["gateway_threads"] = [{"group": g, "share": s / total if total else 0, "us_per_request": s / total_req * 1e6 if total_req else None}
                              for g, s in sorted(groups.items(), key=lambda kv: -kv[1])]
    res["errors"] = sum(sum(r["errors"].values()) for r in runs if r["kind"] != "warmup")
    res["max_other_cores"] = max((r["other_cores"] or 0) for r in runs if r["kind"] != "warmup")
    return res


# ---------------------------------------------------------------------------------------------------
# report

def f1(x):
    return "-" if x is None else "%.1f" % x


def f2(x):
    return "-" if x is None else "%.2f" % x


def f0(x):
    return "-" if x is None else "%.0f" % x


def pct(x):
    return "-" if x is None else "%.0f %%" % (x * 100)


def render_section(label, meta, runs, res):
    a, m, g = meta["args"], meta["machine"], meta["git"]
    L = []
    L.append("### %s — %s, commit `%s`" % (label, meta["date"], g["short"]))
    L.append("")
    dirty = (", **with uncommitted changes in %s** (the jar may or may not contain them)" % ", ".join(
        "`%s`" % d for d in g["gateway_dirty"][:6]) + (" and %d more" % (len(g["gateway_dirty"]) - 6) if len(g["gateway_dirty"]) > 6 else "")) if g["gateway_dirty"] else ""
    L.append("- **Code measured**: the gateway jar `%s` built %s (%s the newest commit changing api-gateway/, "
             "platform/, contracts/ or pom.xml, `%s`); checkout at `%s` (%s) on branch `%s`%s." % (
                 meta["app_dir_shown"], g["jar_built"], "**older than**" if g["jar_older_than_code"] else "after",
                 g["code_commit"], g["commit"][:10], g["subject"], g["branch"], dirty))
    L.append("- **Machine**: nproc %d, %s, %s RAM, Linux %s; %s; %s; %s; Python %s. wrk, the proxy, billing-service, "
             "PostgreSQL and the rest of the stack share these cores; load average %s at the start, %s at the end." % (
                 m["nproc"], m["cpu"], m["memory"], m["kernel"], m["java"], m["nginx"], m["wrk"], m["python"],
                 meta["loadavg_start"], meta["loadavg_end"]))
    L.append("- **Command**: `%s`" % meta["command"])
    L.append("- **Targets**: `GET %s`, answer `%s` (%d bytes) from billing-service `%s`. *gateway* = a second "
             "api-gateway JVM started by the bench (bin/stack's environment for the gateway, `-Xmx256m`, "
             "`RATE_LIMIT_PER_MINUTE=%d`: the %s limiter runs on every request and never refuses), "
             "called with the demo reseller's `rv_` key; *nginx* = `%s` with %s worker(s), `proxy_pass` to the "
             "same billing-service (upstream `keepalive 64`, HTTP/1.1, `keepalive_requests 1000000`, no access "
             "log), called with an internal RS256 JWT minted by the bench for each run (60 s of life)." % (
                 PATH, meta["body"], len(meta["body"]), a["billing_url"], BENCH_RATE_LIMIT,
                 "Redis-backed" if meta.get("rate_limit_store") == "redis" else "in-memory", m["nginx"],
                 a["nginx_workers"]))
    warm = [r for r in runs if r["kind"] == "warmup" and r["target"] == "gateway"]
    settled = bool(warm) and (warm[-1].get("jit_share") or 0) < JIT_SETTLED and (warm[-1].get("billing_jit_share") or 0) < JIT_SETTLED
    L.append("- **Load**: wrk `-t%d -c%d` on 127.0.0.1, `--timeout %ds`. Warm-up (closed loop, not counted, rows *w*): "
             "the gateway in chunks of %d s until the JIT compiler threads of the gateway and billing-service use "
             "less than %.0f %% of their JVM's CPU, here %d s (%s), then nginx %d s. Then %d rounds of %d s "
             "gateway/nginx alternating (closed loop: as fast as %d connections "
             "go), then %d rounds of %d s alternating, paced at %.0f %% of nginx's median throughput = **%.0f req/s** "
             "(`wrk.lua` `delay()`: %d connections share a per-thread schedule; a **paced closed loop, not an open "
             "loop**: at most %d requests in flight; send slots more than 50 ms late are dropped, so the "
             "achieved rate shows whether the target kept up)." % (
                 a["threads"], a["connections"], WRK_TIMEOUT_S, a["warmup"], JIT_SETTLED * 100,
                 sum(r["seconds"] for r in warm), "settled" if settled else "**not settled: --max-warmup reached**",
                 a["warmup"], a["rounds"], a["duration"],
                 a["connections"], a["paced_rounds"], a["paced_duration"], a["paced_fraction"] * 100,
                 meta["paced_rate"] or 0, a["connections"], a["connections"]))
    L.append("- **Latency** = wrk's histogram (1 µs buckets, the one `wrk --latency` prints), from the moment a "
             "request is written to the moment its answer is read. wrk 4 corrects it for coordinated omission: "
             "for every answer slower than twice the mean interval between a connection's requests it adds the "
             "requests that connection would have sent meanwhile. **CPU** = utime+stime from `/proc/<pid>/stat` "
             "(nginx: master and workers; PostgreSQL: the postmaster and all its backends, i.e. the whole "
             "stack's database) over the run, per request; *others* = the machine's busy time (`/proc/stat`) "
             "minus all of these and wrk, in cores: other processes (other checkouts' builds and tests, and the rest of "
             "the stack's own background work, ≈ 0.3 cores when idle). *(kernel n %)* = share of the proxy's CPU "
             "spent in the kernel (stime: sockets); *(JIT n %)* = share of that JVM's CPU spent in its JIT compiler "
             "threads during the run.")
    L.append("")

    t = res["throughput"]
    L.append("**Throughput** (closed loop, -c%d): gateway **%s req/s**, nginx **%s req/s** (medians), ratio "
             "gateway/nginx **%s** (aim ≥ %.1f: %s; per round %s). Latency at full load, p50 / p99: gateway %s / %s "
             "ms, nginx %s / %s ms. CPU per request of the proxy: gateway %s µs (%s in the kernel), nginx %s µs (%s in the kernel); the gateway costs %s µs more; behind both, billing-service %s µs and PostgreSQL %s µs." % (
                 a["connections"], f0(t["gateway_rps"]), f0(t["nginx_rps"]), f2(t["ratio"]), AIM_RATIO,
                 "**met**" if t["met"] else "**not met**", ", ".join("%.2f" % x for x in t["paired_ratios"]),
                 f2(t["gateway_p50_ms"]), f2(t["gateway_p99_ms"]), f2(t["nginx_p50_ms"]), f2(t["nginx_p99_ms"]),
                 f0(t["gateway_cpu_us"]), pct(t["gateway_sys_share"]), f0(t["nginx_cpu_us"]), pct(t["nginx_sys_share"]),
                 f0(t["gateway_cpu_us"] - t["nginx_cpu_us"]) if t["gateway_cpu_us"] is not None and t["nginx_cpu_us"] is not None else "-",
                 f0(t["billing_cpu_us"]), f0(t["postgres_cpu_us"])))
    L.append("")
    p = res.get("paced")
    if p:
        L.append("**Latency at %.0f req/s** (%.0f %% of nginx's peak, paced closed loop): p50 / p99 gateway %s / %s "
                 "ms, nginx %s / %s ms (medians of the runs); gateway p99 − nginx p99 = **%s ms** (aim ≤ %.0f ms: %s; "
                 "per round %s ms). Achieved rate: gateway %s, nginx %s req/s%s. CPU per request: gateway %s µs, "
                 "nginx %s µs." % (
                     p["target_rate"], a["paced_fraction"] * 100, f2(p["gateway_p50_ms"]), f2(p["gateway_p99_ms"]),
                     f2(p["nginx_p50_ms"]), f2(p["nginx_p99_ms"]), f2(p["p99_diff_ms"]), AIM_P99_DIFF_MS,
                     "**%s**" % p["verdict"] + (" (runs that did not keep up, below)" if p["verdict"] == "inconclusive" else ""),
                     ", ".join("%+.2f" % x for x in p["paired_p99_diffs_ms"]), f0(p["gateway_rps"]), f0(p["nginx_rps"]),
                     (" (**runs %s did not reach %.0f %% of the target rate**)" % (
                         ", ".join(str(i) for i in p["short_runs"]), PACED_SHORTFALL * 100)) if p["short_runs"] else "",
                     f0(p["gateway_cpu_us"]), f0(p["nginx_cpu_us"])))
        L.append("")
    L.append("| run | target | load | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | proxy CPU µs/req "
             "| billing µs/req | PostgreSQL µs/req | wrk µs/req | machine busy (cores) | others (cores) | load avg |")
    L.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        errs = sum(r["errors"].values())
        err_txt = "0" if not errs else "**%s**" % ", ".join("%s %d" % (k, v) for k, v in r["errors"].items() if v)
        load = "warm-up" if r["kind"] == "warmup" else ("closed" if r["kind"] == "throughput" else "%.0f/s" % r["target_rate"])
        proxy = f0(per_request_us(r, r["target"]))
        extra = []
        if r.get("proxy_sys_share") is not None:
            extra.append("kernel %.0f %%" % (r["proxy_sys_share"] * 100))
        if r.get("jit_share") is not None and r["jit_share"] >= 0.01:
            extra.append("JIT %.0f %%" % (r["jit_share"] * 100))
        if extra:
            proxy += " (%s)" % ", ".join(extra)
        billing = f0(per_request_us(r, "billing"))
        if r.get("billing_jit_share") is not None and r["billing_jit_share"] >= 0.01:
            billing += " (JIT %.0f %%)" % (r["billing_jit_share"] * 100)
        L.append("| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f→%.1f |" % (
            r["index"] if r["index"] is not None else "w", r["target"], load, r["rps"],
            f2(pct_ms(r, "50")), f2(pct_ms(r, "90")), f2(pct_ms(r, "99")), f2(pct_ms(r, "99.9")), f1(pct_ms(r, "max")),
            err_txt, proxy, billing, f0(per_request_us(r, "postgres")),
            f0(per_request_us(r, "wrk")), f2(busy_cores(r)), f2(r["other_cores"]), r["loadavg_start"], r["loadavg_end"]))
    L.append("")
    if res["gateway_threads"]:
        top = [x for x in res["gateway_threads"] if x["share"] >= 0.01]
        L.append("Gateway CPU by thread (its closed-loop runs; `/proc/<pid>/task/*/stat`, numbers in names as #): " +
                 "; ".join("`%s` %.0f %% (%.0f µs/req)" % (x["group"], x["share"] * 100, x["us_per_request"] or 0)
                           for x in top) + ".")
        L.append("")
    notes = []
    if res["errors"]:
        notes.append("**Errors**: %d requests failed (status ≥ 400, socket errors or > %d s): the numbers are not "
                     "valid." % (res["errors"], WRK_TIMEOUT_S))
    if res["max_other_cores"] > BUSY_OTHERS:
        notes.append("**Busy machine**: other processes used up to %.2f cores during a run (more than %.2f): the "
                     "targets competed for CPU with them, and runs are comparable only with each other (alternating "
                     "A/B). Rerun on a quiet machine for absolute numbers." % (res["max_other_cores"], BUSY_OTHERS))
    if p and p["short_runs"]:
        notes.append("**Paced runs that did not keep up** (%s: below %.0f %% of %.0f req/s): the target, or wrk "
                     "itself on a busy machine, did not keep up with the offered rate at that moment, so their "
                     "latencies include queueing at saturation and the p99 aim is *inconclusive* for this run, not met or missed."
                     % (", ".join(str(i) for i in p["short_runs"]), PACED_SHORTFALL * 100, p["target_rate"]))
    if t["busy_cores"] is not None and t["busy_cores"] >= 0.9 * m["nproc"]:
        notes.append("**CPU-bound**: during the closed-loop runs the machine was busy on %.2f of its %d cores (others "
                     "%.2f). The proxy, billing-service, PostgreSQL and wrk then share a fixed amount of CPU, so the "
                     "throughput ratio is about (CPU per request of nginx + billing + PostgreSQL) / (that of the "
                     "gateway + billing + PostgreSQL): it compares the gateway's CPU cost with billing-service's, "
                     "not with nginx's alone. With the proxy on its own cores the ratio would be higher." % (
                         t["busy_cores"], m["nproc"], t["others_cores"] or 0))
    if meta.get("jvm_opts"):
        notes.append("Gateway JVM options added: `%s`." % " ".join(meta["jvm_opts"]))
    for n in notes:
        L.append(n)
        L.append("")
    return "\n".join(L)


DOC_SECTION_HEAD = """## Gateway vs nginx (bench/gateway)

How the api-gateway compares with plain nginx proxying to the same billing-service: see
`bench/gateway/gateway.py`. Results are written between `<!-- bench/gateway:<label> -->` markers.

### Results (bench/gateway)

"""
END_MARK = "<!-- %s:end -->" % DOC_MARK


def write_doc(path, label, section):
    """Replaces this label's block, or adds it at the end of the gateway section (before its end marker);
    creates the section (before "## bench/flow", else at the end) when the file has none. Nothing else
    of the file changes."""
    begin, end = "<!-- %s:%s -->" % (DOC_MARK, label), "<!-- /%s:%s -->" % (DOC_MARK, label)
    block = begin + "\n" + section.rstrip("\n") + "\n" + end + "\n"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block.rstrip("\n") + rest.split(end, 1)[1]
    elif END_MARK in text:
        head, tail = text.split(END_MARK, 1)
        text = head.rstrip("\n") + "\n\n" + block + "\n" + END_MARK + tail
    else:
        new = DOC_SECTION_HEAD + block + "\n" + END_MARK + "\n\n"
        anchor = text.find("\n## bench/flow")
        if anchor >= 0:
            text = text[:anchor + 1] + new + text[anchor + 1:]
        else:
            text = text.rstrip("\n") + "\n\n" + new
    path.write_text(text)


def print_summary(runs, res):
    print()
    print("run target   load        req/s    p50 ms   p99 ms  p99.9 ms   max ms  errors  proxy µs/req  others")
    for r in runs:
        load = "warm-up" if r["kind"] == "warmup" else ("closed" if r["kind"] == "throughput" else "%.0f/s" % r["target_rate"])
        print("%3s %-8s %-9s %8.0f %8s %8s %9s %8s %7d %13s %7s" % (
            r["index"] if r["index"] is not None else "w", r["target"], load, r["rps"], f2(pct_ms(r, "50")),
            f2(pct_ms(r, "99")), f2(pct_ms(r, "99.9")), f1(pct_ms(r, "max")), sum(r["errors"].values()),
            f0(per_request_us(r, r["target"])), f2(r["other_cores"])))
    t = res["throughput"]
    print("throughput: gateway %s req/s, nginx %s req/s, ratio %s (aim >= %.1f: %s)" % (
        f0(t["gateway_rps"]), f0(t["nginx_rps"]), f2(t["ratio"]), AIM_RATIO, "met" if t["met"] else "NOT met"))
    p = res.get("paced")
    if p:
        print("at %.0f req/s: p99 gateway %s ms, nginx %s ms, diff %s ms (aim <= %.0f: %s)" % (
            p["target_rate"], f2(p["gateway_p99_ms"]), f2(p["nginx_p99_ms"]), f2(p["p99_diff_ms"]), AIM_P99_DIFF_MS,
            p["verdict"]))
    if res["gateway_threads"]:
        print("gateway CPU by thread: " + ", ".join("%s %.0f%%" % (x["group"], x["share"] * 100)
                                                   for x in res["gateway_threads"][:8]))


# ---------------------------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/gateway/run",
        description="api-gateway vs plain nginx in front of the same billing-service (GET /v1/reseller/balance); "
                    "writes a section of docs/benchmarks.md. Environment: PV_PG_PORT (default 5432), "
                    "PV_KAFKA_PORT (default 9092) as for bin/stack.")
    ap.add_argument("--duration", type=int, default=10, help="seconds per measured closed-loop run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="closed-loop rounds, gateway then nginx each (default 3)")
    ap.add_argument("--warmup", type=int, default=10,
                    help="seconds of uncounted load on each target first (default 10); the gateway's is repeated "
                         "while its or billing-service's JIT compiler threads use >= 10%% of their CPU, up to --max-warmup")
    ap.add_argument("--max-warmup", type=int, default=90, help="longest warm-up of the gateway in seconds (default 90)")
    ap.add_argument("--connections", "-c", type=int, default=16, help="wrk connections (default 16)")
    ap.add_argument("--threads", "-t", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--paced-fraction", type=float, default=0.7,
                    help="paced runs at this fraction of nginx's median closed-loop req/s (default 0.7)")
    ap.add_argument("--paced-rate", type=float, default=None, help="paced runs at this req/s instead")
    ap.add_argument("--paced-rounds", type=int, default=None, help="paced rounds (default: --rounds; 0 = none)")
    ap.add_argument("--paced-duration", type=int, default=None, help="seconds per paced run (default: --duration)")
    ap.add_argument("--billing-url", default=os.environ.get("BILLING_URL", "http://127.0.0.1:8081"),
                    help="billing-service for both targets (default $BILLING_URL or http://127.0.0.1:8081)")
    ap.add_argument("--reseller-file", default=str(STACK / "demo-reseller.json"),
                    help="JSON with the reseller's id and api_key.key (default .stack/demo-reseller.json)")
    ap.add_argument("--gateway-app", default=str(REPO / "api-gateway" / "target" / "quarkus-app"),
                    help="the gateway's quarkus-app directory (default api-gateway/target/quarkus-app)")
    ap.add_argument("--no-copy", action="store_true",
                    help="run the jar in place instead of from a copy in .stack/bench-gateway (a rebuild "
                         "during the run would then replace classes under the running JVM)")
    ap.add_argument("--jvm-opt", action="append", default=[], help="extra JVM option for the bench gateway (repeatable)")
    ap.add_argument("--jfr", action="store_true",
                    help="record a JFR profile of the bench gateway (.stack/bench-gateway/gateway.jfr; adds overhead)")
    ap.add_argument("--nginx-workers", default="auto", help="nginx worker_processes (default auto = one per core)")
    ap.add_argument("--start-timeout", type=int, default=180, help="seconds to wait for the gateway's readiness")
    ap.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"),
                    help="file whose bench/gateway section to write ('-': print only)")
    ap.add_argument("--label", default="latest", help="name of that section (replaced when it exists; default latest)")
    ap.add_argument("--json", default=None, help="raw results file (default .stack/bench-gateway/<UTC time>.json)")
    ap.add_argument("--rerender", metavar="RAW_JSON", help="rewrite the section from a raw results file; no load")
    args = ap.parse_args(argv)
    if args.paced_rounds is None:
        args.paced_rounds = args.rounds
    if args.paced_duration is None:
        args.paced_duration = args.duration
    return args


def main(argv):
    args = parse_args(argv)
    if args.rerender:
        raw = json.loads(Path(args.rerender).read_text())
        res = analyse(raw["runs"])
        print_summary(raw["runs"], res)
        if args.output != "-":
            write_doc(Path(args.output), args.label, render_section(args.label, raw["meta"], raw["runs"], res))
            log("wrote section '%s' of %s" % (args.label, args.output))
        return 0
    for name in ("duration", "rounds", "connections", "threads"):
        if getattr(args, name) <= 0:
            die("--%s must be positive" % name)
    if args.connections < args.threads:
        die("--connections must be at least --threads")
    if max(args.duration, args.paced_duration, args.warmup) > 50:
        die("runs of the nginx path are limited to 50 s: the internal JWT lives at most 60 s")

    pg_port = int(os.environ.get("PV_PG_PORT", "5432"))
    kafka_port = int(os.environ.get("PV_KAFKA_PORT", "9092"))
    billing = urllib.parse.urlsplit(args.billing_url)
    if billing.scheme != "http" or not billing.hostname:
        die("--billing-url must be http://host:port")
    billing_port = billing.port or 80
    billing_upstream = "%s:%d" % (billing.hostname, billing_port)

    WORK.mkdir(parents=True, exist_ok=True)
    stop_leftovers()
    ensure_tools()
    reseller = json.loads(Path(args.reseller_file).read_text())
    reseller_id, api_key = int(reseller["id"]), reseller["api_key"]["key"]
    priv = DEV_KEYS / "internal-jwt-private.pem"

    if not port_open(pg_port):
        hint = pg_port_hint()
        die("nothing listens on PostgreSQL's 127.0.0.1:%d%s" % (
            pg_port, " (the stack's cluster runs on %s: PV_PG_PORT=%s)" % (hint, hint) if hint else " (set PV_PG_PORT)"))
    status, body = http_get(billing_port, PATH, mint_internal_jwt(reseller_id, priv), host=billing.hostname)
    if status != 200:
        die("billing-service %s answered %s to GET %s with a fresh internal JWT: %s" % (
            args.billing_url, status, PATH, body[:300]))

    app_src = Path(args.gateway_app)
    if not (app_src / "quarkus-run.jar").is_file():
        die("%s/quarkus-run.jar missing: build the gateway first (not done by this bench)" % app_src)
    if args.no_copy:
        app_dir = app_src
    else:
        app_dir = WORK / "quarkus-app"
        shutil.rmtree(app_dir, ignore_errors=True)
        shutil.copytree(app_src, app_dir)
        log("copied %s to %s (a rebuild during the run cannot change the measured code)" % (app_src, app_dir))

    def interrupted(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    nginx = gateway = None
    try:
        nginx_port = free_port()
        nginx = start_nginx(nginx_port, billing_upstream, args.nginx_workers)
        log("nginx (pid %d) on 127.0.0.1:%d -> %s" % (nginx.pid, nginx_port, billing_upstream))

        gw_port, mgmt_port = free_port(), free_port()
        while mgmt_port == gw_port:
            mgmt_port = free_port()
        jvm_opts = list(args.jvm_opt)
        if args.jfr:
            jvm_opts.append("-XX:StartFlightRecording=filename=%s,settings=profile,dumponexit=true" % (WORK / "gateway.jfr"))
        env = gateway_env(gw_port, mgmt_port, pg_port, kafka_port, args.billing_url)
        log("starting the bench gateway on 127.0.0.1:%d (management %d)" % (gw_port, mgmt_port))
        t_start = now()
        gateway, gw_cmd = start_gateway(app_dir, env, jvm_opts, args.start_timeout)
        log("gateway (pid %d) ready after %.1f s" % (gateway.pid, now() - t_start))

        gs, gbody = http_get(gw_port, PATH, api_key)
        ns, nbody = http_get(nginx_port, PATH, mint_internal_jwt(reseller_id, priv))
        if gs != 200 or ns != 200 or gbody != nbody:
            die("the two paths do not answer alike: gateway %s %r, nginx %s %r" % (gs, gbody[:200], ns, nbody[:200]))
        log("both answer 200 %s" % gbody.decode(errors="replace"))

        procs = Processes(gateway.pid, nginx.pid, listener_pid(billing_port), listener_pid(pg_port))
        ports = {"gateway": gw_port, "nginx": nginx_port}

        def token(target):
            return api_key if target == "gateway" else mint_internal_jwt(reseller_id, priv)

        meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "machine": machine_info(), "git": git_info(app_src),
                "app_dir_shown": os.path.relpath(app_src, REPO) if str(app_src).startswith(str(REPO)) else str(app_src),
                "command": " ".join(["%s=%s" % (k, shlex.quote(os.environ[k])) for k in ("PV_PG_PORT", "PV_KAFKA_PORT")
                                     if k in os.environ] + ["bench/gateway/run"] + [shlex.quote(x) for x in argv]),
                "args": vars(args), "body": gbody.decode(errors="replace"), "jvm_opts": jvm_opts,
                "gateway_cmd": gw_cmd, "loadavg_start": "%.2f" % os.getloadavg()[0],
                "rate_limit_store": env.get("RATE_LIMIT_STORE", "memory")}
        runs = []
        index = 0
        if args.warmup > 0:
            # The gateway JVM has just started (and billing-service's balance path may never have run):
            # load the gateway until the JIT compiler threads of both use less than JIT_SETTLED of their
            # CPU over a chunk, or --max-warmup s passed; nginx (no JIT) gets one chunk.
            spent = 0
            while True:
                r = measure(args, procs, "gateway", gw_port, api_key, args.warmup, kind="warmup")
                runs.append(r)
                spent += args.warmup
                log("warm-up: gateway %d s: %.0f req/s; JIT compiler threads: %.0f %% of the gateway's CPU, "
                    "%.0f %% of billing's" % (args.warmup, r["rps"], (r["jit_share"] or 0) * 100,
                                              (r["billing_jit_share"] or 0) * 100))
                settled = (r["jit_share"] or 0) < JIT_SETTLED and (r["billing_jit_share"] or 0) < JIT_SETTLED
                if settled or spent + args.warmup > max(args.max_warmup, args.warmup):
                    if not settled:
                        log("warm-up: the JIT has not settled after %d s; measuring anyway (see the JIT shares)" % spent)
                    break
            r = measure(args, procs, "nginx", nginx_port, token("nginx"), args.warmup, kind="warmup")
            runs.append(r)
            log("warm-up: nginx %d s: %.0f req/s" % (args.warmup, r["rps"]))
        for rnd in range(args.rounds):
            for target in ("gateway", "nginx"):
                index += 1
                r = measure(args, procs, target, ports[target], token(target), args.duration, kind="throughput", index=index)
                log("round %d %-7s closed loop: %.0f req/s, p99 %s ms, errors %d" % (
                    rnd + 1, target, r["rps"], f2(pct_ms(r, "99")), sum(r["errors"].values())))
                runs.append(r)
        nginx_peak = median([r["rps"] for r in runs if r["kind"] == "throughput" and r["target"] == "nginx"])
        rate = args.paced_rate or (args.paced_fraction * nginx_peak)
        meta["paced_rate"] = rate
        if args.paced_rounds > 0:
            for rnd in range(args.paced_rounds):
                for target in ("gateway", "nginx"):
                    index += 1
                    r = measure(args, procs, target, ports[target], token(target), args.paced_duration, rate=rate,
                                kind="paced", index=index)
                    log("round %d %-7s paced at %.0f/s: %.0f req/s, p99 %s ms, errors %d" % (
                        rnd + 1, target, rate, r["rps"], f2(pct_ms(r, "99")), sum(r["errors"].values())))
                    runs.append(r)
        meta["loadavg_end"] = "%.2f" % os.getloadavg()[0]
        res = analyse(runs)
        print_summary(runs, res)
        raw = Path(args.json) if args.json else WORK / (datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + ".json")
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps({"meta": meta, "runs": runs, "results": res}, indent=1))
        log("raw results: %s" % raw)
        if args.output != "-":
            write_doc(Path(args.output), args.label, render_section(args.label, meta, runs, res))
            log("wrote section '%s' of %s" % (args.label, args.output))
        return 0 if not res["errors"] else 1
    finally:
        stop(gateway, "the bench gateway", 30)
        stop(nginx, "nginx", 15)
        for f in ("gateway.pid", "nginx.pid"):
            (WORK / f).unlink(missing_ok=True)
        if args.jfr and (WORK / "gateway.jfr").exists():
            log("JFR recording: %s (jfr print --events jdk.ExecutionSample ...)" % (WORK / "gateway.jfr"))


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Abort as e:
        log("ERROR: %s" % e)
        sys.exit(2)
    except KeyboardInterrupt:
        log("interrupted; everything it started is stopped")
        sys.exit(130)
