#!/usr/bin/env python3
"""bench/flow - the purchase flow's latency and CPU cost against the running local stack.

Open loop: purchase i starts at t0 + i/rate whether or not earlier purchases finished. A purchase is
POST /v1/reseller/orders then POST /v1/reseller/orders/{id}/pay. From the moment the pay answered 200
it measures
  - order active      : the first GET /v1/reseller/orders/{id} that answers status "active"
                        (--active-signal webhook: reads start when the proxy.provisioned webhook
                        arrives; --active-signal poll: reads every --poll-interval-ms from the pay on)
  - order.paid        : arrival of the signed order.paid webhook for that order
  - proxy.provisioned : arrival of the signed proxy.provisioned webhook for that order
and each component's CPU time (/proc/<pid>/stat utime+stime) per completed purchase.
Everything goes to 127.0.0.1 only. See docs/benchmarks.md. Python 3.11 stdlib only.
"""

import argparse
import datetime
import decimal
import hashlib
import heapq
import hmac
import http.client
import http.server
import json
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import machine  # noqa: E402  (bench/machine.py, shared by the benchmarks)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stats  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
GATEWAY_HOST = "127.0.0.1"
GATEWAY_PORT = 8080
APPS = ["billing-service", "order-service", "proxy-fleet-service", "webhook-service", "api-gateway", "device-agent"]
AIMS_MS = {"active": 300, "order.paid": 150, "proxy.provisioned": 400}
BENCH_RATE_LIMIT = 1_000_000
# bin/stack's first agent's modems (AGENT1_MODEMS there; the agent's %dev/%test list) stay first in the list, so
# the demo reseller's proxies keep their modems when the bench restarts the agent.
DEFAULT_MODEMS = ["lax-1:LAX:false:203.0.113.11", "lax-2:LAX:false:203.0.113.12", "nyc-1:NYC:false:203.0.113.21",
                  "nyc-2:NYC:false:203.0.113.22", "mia-1:MIA:false:203.0.113.31", "mia-2:MIA:false:203.0.113.32"]
LOCATIONS = ["LAX", "NYC", "MIA"]
CLK_TCK = os.sysconf("SC_CLK_TCK")

now = time.monotonic  # every latency is a difference of this one clock (CLOCK_MONOTONIC)


def log(msg):
    print("[bench/flow] %s" % msg, file=sys.stderr, flush=True)


def die(msg, code=2):
    log("ERROR: " + msg)
    sys.exit(code)


# ---------------------------------------------------------------------------------------------------
# The stack: settings, pids, CPU

def generate_modems(count):
    """AGENT_MODEMS with the 6 defaults plus bench modems: unique exit IPs from the documentation ranges
    (192.0.2/24, 198.51.100/24, 203.0.113/24), then from 198.18/15 (RFC 2544 benchmarking) if more are
    needed. Modems are labels in the simulated agent; the addresses are never dialed."""
    used = {m.split(":")[3] for m in DEFAULT_MODEMS}
    ips = []
    for prefix in ("203.0.113.", "198.51.100.", "192.0.2."):
        ips += [prefix + str(i) for i in range(1, 255) if prefix + str(i) not in used]
    extra = count - len(ips)
    for i in range(max(extra, 0)):
        ips.append("198.%d.%d.%d" % (18 + (i // 64516), (i // 254) % 254 + 1, i % 254 + 1))
    modems = list(DEFAULT_MODEMS)
    for i in range(count):
        modems.append("bench-%04d:%s:false:%s" % (i + 1, LOCATIONS[i % 3], ips[i]))
    return ",".join(modems)


def bench_env(modem_count):
    ports_needed = modem_count + len(DEFAULT_MODEMS)
    env = {"RATE_LIMIT_PER_MINUTE": str(BENCH_RATE_LIMIT), "AGENT_MODEMS": generate_modems(modem_count)}
    if ports_needed > 1000:  # the default range 20000-20999 holds 1000 proxies
        env["AGENT_PORT_RANGE_START"] = "20000"
        env["AGENT_PORT_RANGE_END"] = str(20000 + ports_needed - 1)
    return env


def read_pid(stack, name):
    """The pid of a component bin/stack started, checked the way bin/stack checks it; None if not running."""
    try:
        pid = int((stack / "pids" / (name + ".pid")).read_text().strip())
        cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError):
        return None
    marker = "-Dproxyvault.component=%s -Dproxyvault.stack=%s " % (name, stack)
    return pid if marker in cmdline else None


def postgres_pid(stack):
    try:
        pid = int((stack / "pg" / "data" / "postmaster.pid").read_text().split("\n")[0])
        cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if b"postgres" in cmdline else None


def proc_environ(pid):
    try:
        raw = (Path("/proc") / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    env = {}
    for item in raw.split(b"\0"):
        if b"=" in item:
            k, v = item.split(b"=", 1)
            env[k.decode(errors="replace")] = v.decode(errors="replace")
    return env


def stat_fields(pid):
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]; utime is [11], stime [12],
    cutime [13], cstime [14] (fields 14-17 of proc(5))."""
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pid, children_too=False):
    f = stat_fields(pid)
    ticks = int(f[11]) + int(f[12])
    if children_too:  # children already reaped by this process
        ticks += int(f[13]) + int(f[14])
    return ticks / CLK_TCK


def postgres_cpu(pm):
    """The postmaster (with its reaped children) plus every live backend/helper process under it."""
    total = cpu_seconds(pm, children_too=True)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            f = stat_fields(int(entry))
            if int(f[1]) == pm:
                total += (int(f[11]) + int(f[12])) / CLK_TCK
        except (OSError, ValueError, IndexError):
            continue  # exited meanwhile: its time is now in the postmaster's cutime/cstime
    return total


def machine_busy_seconds():
    """CPU time all cores spent not idle (user+nice+system+irq+softirq+steal) since boot, /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


def cpu_snapshot(stack):
    snap = {"machine (all processes)": machine_busy_seconds()}
    for name in APPS + ["kafka"]:
        pid = read_pid(stack, name)
        if pid:
            try:
                snap[name] = cpu_seconds(pid)
            except OSError:
                pass
    pm = postgres_pid(stack)
    if pm:
        try:
            snap["postgresql"] = postgres_cpu(pm)
        except OSError:
            pass
    t = os.times()
    snap["bench/flow itself"] = t.user + t.system
    return snap


def other_cores(stack, seconds):
    """Cores used over `seconds` by processes that are neither the stack nor this bench."""
    before, t = cpu_snapshot(stack), now()
    time.sleep(seconds)
    delta = stats.ticks_delta(before, cpu_snapshot(stack))
    machine = delta.pop("machine (all processes)")
    return (machine - sum(delta.values())) / (now() - t)


def wait_for_quiet(stack, max_cores, max_wait):
    """Other checkouts' builds and tests share these cores; wait (up to max_wait s) until they use at most
    max_cores over 5 s, so they disturb the measurement less. Proceeds anyway afterwards (the report shows
    how busy the machine was)."""
    if max_wait <= 0:
        return
    deadline = now() + max_wait
    while True:
        busy = other_cores(stack, 5.0)
        if busy <= max_cores:
            log("machine quiet enough: other processes use %.2f cores" % busy)
            return
        if now() >= deadline:
            log("WARNING: other processes still use %.2f cores after %g s of waiting; measuring anyway"
                % (busy, max_wait))
            return
        log("other processes use %.2f cores (> %.2f): waiting for a quieter machine" % (busy, max_cores))


def stack_cmd(*args, env=None, check=True):
    cmd = [str(REPO / "bin" / "stack")] + list(args)
    log("running " + " ".join(["bin/stack"] + list(args)))
    proc = subprocess.run(cmd, env=env, stdout=sys.stderr, stderr=sys.stderr)
    if check and proc.returncode != 0:
        die("bin/stack %s failed (exit %d)" % (" ".join(args), proc.returncode))
    return proc.returncode


def stack_quiet(*args):
    return subprocess.run([str(REPO / "bin" / "stack")] + list(args), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def settings_problems(stack, modems_needed):
    """Why the running stack cannot take this bench (empty list: it can)."""
    problems = []
    gw = read_pid(stack, "api-gateway")
    agent = read_pid(stack, "device-agent")
    if not gw or not agent:
        return ["not every service runs"]
    try:
        limit = int(proc_environ(gw).get("RATE_LIMIT_PER_MINUTE", "60"))
    except ValueError:
        limit = 60
    if limit < 100_000:
        problems.append("api-gateway runs with RATE_LIMIT_PER_MINUTE=%d (bench needs >= 100000)" % limit)
    agent_env = proc_environ(agent)
    modems = [m for m in agent_env.get("AGENT_MODEMS", "").split(",") if m.strip()] or DEFAULT_MODEMS
    if len(modems) < modems_needed:
        problems.append("device-agent has %d modems (AGENT_MODEMS), this run needs >= %d" % (len(modems), modems_needed))
    start = int(agent_env.get("AGENT_PORT_RANGE_START", "20000"))
    end = int(agent_env.get("AGENT_PORT_RANGE_END", "20999"))
    if end - start + 1 < modems_needed:
        problems.append("device-agent has ports %d-%d, this run needs %d" % (start, end, modems_needed))
    return problems


# ---------------------------------------------------------------------------------------------------
# HTTP to the gateway: one keep-alive connection per thread

class Api:
    RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)

    def __init__(self, token, timeout=30.0):
        self.token = token
        self.timeout = timeout
        self.local = threading.local()
        self.count_lock = threading.Lock()
        self.counts = {}

    def _conn(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(GATEWAY_HOST, GATEWAY_PORT, timeout=self.timeout)
            self.local.conn = conn
        return conn

    def _drop(self):
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            conn.close()
        self.local.conn = None

    def call(self, method, path, body=None, token=None, kind=None):
        """(status, parsed JSON or None, monotonic time the whole answer was read). GETs are retried once
        on a connection that the server closed; POSTs never are (the server may have acted)."""
        headers = {"Authorization": "Bearer " + (token or self.token)}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if kind:
            with self.count_lock:
                self.counts[kind] = self.counts.get(kind, 0) + 1
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                t = now()
                if resp.getheader("Connection", "").lower() == "close":
                    self._drop()
                break
            except self.RETRYABLE:
                self._drop()
                if method != "GET" or attempt == 2:
                    raise
            except Exception:
                self._drop()
                raise
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return resp.status, parsed, t


# ---------------------------------------------------------------------------------------------------
# Purchases and what was observed about them

class Purchase:
    __slots__ = ("seq", "warmup", "t_sched", "t_start", "t_created", "create_status", "order_id", "t_pay_start",
                 "t_paid", "pay_status", "t_active", "t_hook_paid", "t_hook_prov", "reads", "failure",
                 "final_status", "failure_reason", "done", "timed_out", "proxy_id")

    def __init__(self, seq, warmup, t_sched):
        self.seq, self.warmup, self.t_sched = seq, warmup, t_sched
        self.t_start = self.t_created = self.create_status = self.order_id = None
        self.t_pay_start = self.t_paid = self.pay_status = None
        self.t_active = self.t_hook_paid = self.t_hook_prov = None
        self.reads = 0
        self.failure = None  # first reason this purchase cannot count, e.g. "pay 409", "order failed"
        self.final_status = self.failure_reason = None
        self.done = False
        self.timed_out = []
        self.proxy_id = None

    def complete(self):
        return self.t_active is not None and self.t_hook_paid is not None and self.t_hook_prov is not None


class Bench:
    def __init__(self, args, api):
        self.args = args
        self.api = api
        self.lock = threading.Condition()
        self.by_order = {}
        self.purchases = []
        self.secret = None
        self.hooks = {"received": 0, "bad_signature": 0, "duplicate": 0, "unknown_order": 0, "other_event": 0,
                      "unparsable": 0, "after_timeout": 0}
        self.seen_event_ids = set()
        self.read_heap = []
        self.read_seq = 0
        self.read_latencies = []
        self.stopping = False
        self.product = None
        self.pricing = None

    # ----- webhooks --------------------------------------------------------------------------------
    def on_webhook(self, t, event_header, body, signature):
        secret = self.secret
        good = secret is not None and hmac.compare_digest(
            hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(), signature or "")
        with self.lock:
            self.hooks["received"] += 1
            if not good:
                self.hooks["bad_signature"] += 1
                return False
            try:
                envelope = json.loads(body)
                event_id = envelope["id"]
                etype = envelope["type"]
                order_id = int(envelope["data"]["order_id"])
            except (ValueError, KeyError, TypeError):
                self.hooks["unparsable"] += 1
                return True
            if event_id in self.seen_event_ids:
                self.hooks["duplicate"] += 1
                return True
            self.seen_event_ids.add(event_id)
            p = self.by_order.get(order_id)
            if p is None:
                self.hooks["unknown_order"] += 1
                return True
            if p.timed_out:  # counted as a timeout already: a late arrival does not become a sample
                self.hooks["after_timeout"] += 1
                return True
            if etype == "order.paid":
                if p.t_hook_paid is None:
                    p.t_hook_paid = t
            elif etype == "proxy.provisioned":
                if p.t_hook_prov is None:
                    p.t_hook_prov = t
                    p.proxy_id = envelope["data"].get("proxy_id")
                    if self.args.active_signal == "webhook" and p.t_active is None:
                        self._schedule_read(p, t)
            else:
                self.hooks["other_event"] += 1
            self._check_done(p)
        return True

    # ----- order reads -----------------------------------------------------------------------------
    def _schedule_read(self, p, due):
        self.read_seq += 1
        heapq.heappush(self.read_heap, (due, self.read_seq, p))
        self.lock.notify_all()

    def dispatch_reads(self, pool):
        """Hands each due order read to the pool (threads are made on demand, so a slow gateway does not
        turn a few reader threads into the bottleneck)."""
        while True:
            with self.lock:
                while True:
                    if self.stopping:
                        return
                    if self.read_heap:
                        wait = self.read_heap[0][0] - now()
                        if wait <= 0:
                            _, _, p = heapq.heappop(self.read_heap)
                            break
                        self.lock.wait(min(wait, 0.5))
                    else:
                        self.lock.wait(0.5)
                if p.done or p.t_active is not None:
                    continue
            pool.submit(self.read_order, p)

    def read_order(self, p):
        interval = self.args.poll_interval_ms / 1000.0
        t_sent = now()
        try:
            status, body, t = self.api.call("GET", "/v1/reseller/orders/%d" % p.order_id, kind="order reads")
        except Exception as e:  # noqa: BLE001 - any transport failure: try again next interval
            status, body, t = None, None, now()
            log("order %s read failed: %r" % (p.order_id, e))
        with self.lock:
            p.reads += 1
            self.read_latencies.append(t - t_sent)
            order_status = body.get("status") if status == 200 and isinstance(body, dict) else None
            if p.timed_out:
                pass
            elif order_status == "active":
                if p.t_active is None:
                    p.t_active = t
            elif order_status in ("failed", "expired"):
                self._fail(p, "order " + order_status, body.get("failure_reason"))
            elif not p.done:
                if self.args.active_signal == "webhook" and p.t_paid is not None:
                    # not active although the fleet said provisioned: keep reading, but lightly, so a
                    # lagging order-service is not buried under reads (relative resolution --read-backoff)
                    interval = max(interval, self.args.read_backoff * (t - p.t_paid))
                self._schedule_read(p, t + interval)
            self._check_done(p)

    # ----- bookkeeping -----------------------------------------------------------------------------
    def _fail(self, p, what, reason=None):
        if p.failure is None:
            p.failure = what
            p.failure_reason = reason
        p.done = True
        self.lock.notify_all()

    def _check_done(self, p):
        if not p.done and p.complete():
            p.done = True
            self.lock.notify_all()

    # ----- one purchase ----------------------------------------------------------------------------
    def purchase(self, p):
        p.t_start = now()
        try:
            status, body, t = self.api.call("POST", "/v1/reseller/orders",
                                            {"product_id": self.product, "pricing_id": self.pricing}, kind="create")
        except Exception as e:  # noqa: BLE001
            with self.lock:
                self._fail(p, "create: %s" % type(e).__name__, str(e))
            return
        p.t_created, p.create_status = t, status
        if status != 201 or not isinstance(body, dict) or "id" not in body:
            with self.lock:
                self._fail(p, "create %s" % status, (body or {}).get("detail") if isinstance(body, dict) else None)
            return
        with self.lock:
            p.order_id = int(body["id"])
            self.by_order[p.order_id] = p  # before the pay: a webhook may beat the pay's answer
        p.t_pay_start = now()
        try:
            status, body, t = self.api.call("POST", "/v1/reseller/orders/%d/pay" % p.order_id, kind="pay")
        except Exception as e:  # noqa: BLE001
            with self.lock:
                self._fail(p, "pay: %s" % type(e).__name__, str(e))
            return
        with self.lock:
            p.pay_status = status
            if status != 200:
                self._fail(p, "pay %s" % status, (body or {}).get("detail") if isinstance(body, dict) else None)
                return
            p.t_paid = t
            if self.args.active_signal == "poll" and p.t_active is None:
                self._schedule_read(p, t + self.args.poll_interval_ms / 1000.0)
            self._check_done(p)

    def run_phase(self, count, warmup):
        """Schedules `count` purchases at the fixed rate and waits until each is complete, failed or timed
        out. Returns the purchases and (t0, t_end)."""
        rate = self.args.rate
        batch = []
        pool = ThreadPoolExecutor(max_workers=self.args.max_inflight, thread_name_prefix="purchase")
        t0 = now() + 0.05
        for i in range(count):
            t_sched = t0 + i / rate
            delay = t_sched - now()
            if delay > 0:
                time.sleep(delay)
            p = Purchase(i, warmup, t_sched)
            batch.append(p)
            pool.submit(self.purchase, p)
        pool.shutdown(wait=False)
        timeout = self.args.timeout
        while True:
            with self.lock:
                t = now()
                pending = 0
                for p in batch:
                    if p.done:
                        continue
                    started = p.t_paid or p.t_pay_start or p.t_start or p.t_sched
                    if t - started > timeout + (self.api.timeout if p.t_paid is None else 0):
                        p.timed_out = [name for name, v in (("active", p.t_active), ("order.paid", p.t_hook_paid),
                                                            ("proxy.provisioned", p.t_hook_prov)) if v is None]
                        p.done = True
                    else:
                        pending += 1
                if pending == 0:
                    break
                self.lock.wait(0.1)
        t_end = now()
        self.purchases += batch
        return batch, t0, t_end

    def final_reads(self, batch):
        """The order status of every purchase that did not complete, to name what happened to it."""
        for p in batch:
            if p.order_id is None or p.complete():
                continue
            try:
                status, body, _ = self.api.call("GET", "/v1/reseller/orders/%d" % p.order_id)
                if status == 200 and isinstance(body, dict):
                    p.final_status = body.get("status")
                    if p.failure_reason is None:
                        p.failure_reason = body.get("failure_reason")
            except Exception as e:  # noqa: BLE001
                p.final_status = "unreadable: %r" % e


# ---------------------------------------------------------------------------------------------------
# Webhook receiver on 127.0.0.1

class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


class HookHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the webhook-service's client would like

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self._read_body()
        t = now()
        ok = self.server.bench.on_webhook(t, self.headers.get("X-ProxyVault-Event"), body,
                                          self.headers.get("X-ProxyVault-Signature"))
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


# ---------------------------------------------------------------------------------------------------
# Set-up and clean-up through the public and operator APIs

def operator_token():
    out = subprocess.run([str(REPO / "bin" / "stack"), "operator-token"], capture_output=True, text=True)
    if out.returncode != 0:
        die("bin/stack operator-token failed: " + out.stderr.strip())
    return out.stdout.strip()


def cleanup_reseller(api, key, webhook_id):
    """Deletes the run's webhook (cancels pending deliveries) and disconnects its active proxies, which
    frees their modems and ports for the next run (their paid hour still runs; they expire later)."""
    if webhook_id is not None:
        try:
            api.call("DELETE", "/v1/reseller/webhooks/%s" % webhook_id, token=key)
        except Exception as e:  # noqa: BLE001
            log("deleting webhook %s failed: %r" % (webhook_id, e))
    status, body, _ = api.call("GET", "/v1/reseller/proxies", token=key)
    if status != 200:
        log("listing proxies for clean-up answered %s" % status)
        return False
    proxies = body.get("proxies", [])
    active = [px["id"] for px in proxies if px.get("status") == "active"]
    left = [px["id"] for px in proxies if px.get("status") == "provisioning"]
    failures = []

    def disconnect(pid):
        s, b, _ = api.call("POST", "/v1/reseller/proxies/%s/disconnect" % pid, token=key)
        if s != 200:
            failures.append((pid, s, b))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(disconnect, active))
    log("clean-up: disconnected %d active proxies (%d failed, %d still provisioning)"
        % (len(active), len(failures), len(left)))
    return not failures and not left


def load_cleanup_list(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return []


def save_cleanup_list(path, entries):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2))


# ---------------------------------------------------------------------------------------------------
# Report

def machine_info():
    return machine.machine_info()


def git_info():
    def git(*a):
        return subprocess.run(["git", "-C", str(REPO)] + list(a), capture_output=True, text=True).stdout.strip("\n")
    dirty = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines()
             if not line[3:].startswith(("bench/", "docs/benchmarks.md"))]
    # The code measured: the newest commit that touched anything but the benchmark and its results.
    code = git("log", "-1", "--format=%H", "--", ".", ":(exclude)bench", ":(exclude)docs/benchmarks.md")
    return {"commit": git("rev-parse", "HEAD"), "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
            "code_commit": code, "short": git("rev-parse", "--short", code),
            "subject": git("log", "-1", "--format=%s", code), "dirty": bool(dirty),
            "stale_jars": stale_jars(git, REPO)}


# what each service's jar is built from (besides its own folder)
JAR_SOURCES = ("platform", "contracts", "pom.xml")
SERVICES = ("api-gateway", "billing-service", "order-service", "proxy-fleet-service", "webhook-service", "device-agent")


def stale_jars(git, repo):
    """Services whose built jar (target/quarkus-app) is older than the newest commit changing what it is built
    from: with PV_SKIP_BUILD=1 a bench would otherwise name a commit whose code it did not run (it happened:
    docs/benchmarks.md "bench/pay", quiet-placement2). [(service, newest code commit)]; a service not built is left out."""
    stale = []
    for service in SERVICES:
        app = repo / service / "target" / "quarkus-app"
        built = max((f.stat().st_mtime for f in app.rglob("*.jar")), default=None) if app.is_dir() else None
        if built is None:
            continue
        code = git("log", "-1", "--format=%h %ct", "--", service, *JAR_SOURCES).split()
        if code and built < int(code[1]):
            stale.append((service, code[0]))
    return stale


def stale_note(g):
    """The report's warning for stale jars ('' when every jar is newer than its code)."""
    stale = g.get("stale_jars") or []
    if not stale:
        return ""
    return ("; **jars older than their code** (built before the commit named, so the code measured is older): "
            + ", ".join("%s (before `%s`)" % s for s in stale))


def bench_rate(purchases):
    """The arrival rate, from the schedule itself (purchase i at t0 + i / rate)."""
    if len(purchases) < 2:
        return 1.0
    return (len(purchases) - 1) / (purchases[-1].t_sched - purchases[0].t_sched)


def analyse(bench, batch, cpu_before, cpu_after, idle_rate, t0, t_end):
    measured = batch
    paid = [p for p in measured if p.t_paid is not None]

    def lat(attr):
        """Pay 200 -> signal for every paid purchase that did not fail; +inf where it timed out, so the
        percentiles count timeouts as slower than anything measured."""
        return [getattr(p, attr) - p.t_paid if getattr(p, attr) is not None else float("inf")
                for p in paid if p.failure is None or getattr(p, attr) is not None]

    failures = {}
    for p in measured:
        if p.failure:
            key = p.failure + (" (%s)" % p.failure_reason if p.failure_reason else "")
            failures[key] = failures.get(key, 0) + 1
    timeouts = {name: sum(1 for p in measured if name in p.timed_out)
                for name in ("active", "order.paid", "proxy.provisioned")}
    stuck = {}
    for p in measured:
        if p.timed_out:
            stuck[p.final_status or "?"] = stuck.get(p.final_status or "?", 0) + 1
    completed = [p for p in measured if p.complete()]
    window = t_end - t0
    cpu = {}
    delta = stats.ticks_delta(cpu_before, cpu_after)
    machine = delta.pop("machine (all processes)", None)
    own = sum(delta.values())
    stack_total = sum(v for k, v in delta.items() if k != "bench/flow itself")
    for name, used in delta.items():
        idle = idle_rate.get(name)
        cpu[name] = {
            "seconds": used,
            "ms_per_purchase": used * 1000.0 / len(completed) if completed else None,
            "ms_per_paid_purchase": used * 1000.0 / len(paid) if paid else None,
            "idle_ms_per_s": idle * 1000.0 if idle is not None else None,
            "net_ms_per_purchase": ((used - idle * window) * 1000.0 / len(completed))
            if completed and idle is not None else None,
        }
    def end_to_end(p):  # scheduled start -> last of the three signals
        return max(p.t_active, p.t_hook_paid, p.t_hook_prov) - p.t_sched if p.complete() else float("inf")
    fifth = max(len(measured) // 5, 1)
    first_fifth = stats.percentile(sorted(end_to_end(p) for p in measured[:fifth]), 50)
    last_fifth = stats.percentile(sorted(end_to_end(p) for p in measured[-fifth:]), 50)
    # completions (last signal) while purchases kept arriving, after the first third of the arrivals
    duration = len(measured) / bench_rate(measured)
    steady_from, steady_to = t0 + duration / 3, t0 + duration
    steady = sum(1 for p in completed
                 if steady_from <= max(p.t_active, p.t_hook_paid, p.t_hook_prov) <= steady_to)
    steady_rate = steady / (steady_to - steady_from) if steady_to > steady_from else None
    idle_machine = idle_rate.get("machine (all processes)")
    idle_stack = sum(v for k, v in idle_rate.items() if k not in ("machine (all processes)", "bench/flow itself"))
    idle_own = sum(v for k, v in idle_rate.items() if k != "machine (all processes)")
    lags = [p.t_start - p.t_sched for p in measured if p.t_start is not None]
    reads = [p.reads for p in paid]
    return {
        "purchases": len(measured),
        "paid": len(paid),
        "completed": len(completed),
        "window_s": window,
        "latency": {
            "active": stats.summarize(lat("t_active")),
            "order.paid": stats.summarize(lat("t_hook_paid")),
            "proxy.provisioned": stats.summarize(lat("t_hook_prov")),
            "create (POST /orders)": stats.summarize([p.t_created - p.t_start for p in measured
                                                      if p.t_created is not None]),
            "pay (POST /orders/{id}/pay)": stats.summarize([p.t_paid - p.t_pay_start for p in paid]),
        },
        "failures": failures,
        "timeouts": timeouts,
        "timed_out_final_status": stuck,
        "webhooks": dict(bench.hooks),
        "cpu": cpu,
        "stack_cpu_s_per_scheduled_purchase": stack_total / len(measured) if measured else None,
        "stack_idle_cores": idle_stack,
        "stack_net_cpu_s_per_scheduled_purchase": ((stack_total - idle_stack * window) / len(measured))
        if measured else None,
        "stack_cores_during_window": stack_total / window,
        "other_cores_during_window": ((machine - own) / window) if machine is not None else None,
        "other_cores_idle_baseline": (idle_machine - idle_own) if idle_machine is not None else None,
        "throughput_completed_per_s": len(completed) / window if window > 0 else None,
        "end_to_end_p50_first_fifth": first_fifth,
        "end_to_end_p50_last_fifth": last_fifth,
        "steady_completion_rate": steady_rate,
        # fewer purchases completed than arrived during the last two thirds of the arrivals, or the backlog
        # grew: the last fifth took far longer than the first (or never finished while the first did)
        "saturated": bool(measured) and (
            (steady_rate is not None and steady_rate < 0.9 * bench_rate(measured))
            or (last_fifth != first_fifth and last_fifth > 2 * first_fifth + 1.0)),
        "order_read_latency": stats.summarize(bench.read_latencies),
        "start_lag": stats.summarize(lags),
        "late_starts_over_50ms": sum(1 for x in lags if x > 0.050),
        "order_reads_per_paid_purchase": (sum(reads) / len(reads)) if reads else None,
        "requests": dict(bench.api.counts),
    }


def render_section(label, meta, res):
    lines = []
    a = meta["args"]
    lines.append("### %s — %s, commit `%s`" % (label, meta["date"], meta["git"]["short"]))
    lines.append("")
    g = meta["git"]
    lines.append("- **Code measured**: commit `%s` (%s); checkout at `%s` on branch `%s`%s" % (
        g["code_commit"], g["subject"], g["commit"][:10], g["branch"],
        (", **with uncommitted changes outside bench/**" if g["dirty"] else "") + stale_note(g)))
    m = meta["machine"]
    lines.append("- **Machine**: nproc %d, %s, %s RAM, Linux %s, %s, Python %s; the whole stack, the load "
                 "generator and the webhook receiver share these cores" % (
                     m["nproc"], m["cpu"], m["memory"], m["kernel"], m["java"], m["python"]))
    lines.append("- **Command**: `%s`" % meta["command"])
    lines.append("- **Settings**: open loop at %g purchases/s for %g s = %d purchases (each starts on "
                 "schedule whether or not earlier ones finished; up to %d in flight), after a warm-up of "
                 "%d purchases at the same rate that is not counted; product %s / pricing %s (%s, %s USD, "
                 "the cheapest); a purchase = `POST /v1/reseller/orders` + `POST .../pay`; per-signal "
                 "timeout %g s after the pay; fresh reseller `%s`; stack with `RATE_LIMIT_PER_MINUTE=%d`, "
                 "%d modems (`AGENT_MODEMS`, capacity 1 each)." % (
                     a["rate"], a["duration"], res["purchases"], a["max_inflight"], a["warmup"],
                     meta["product_id"], meta["pricing_id"], meta["pricing_label"], meta["price"], a["timeout"],
                     meta["reseller_name"], meta["rate_limit"], meta["modems"]))
    if a["active_signal"] == "webhook":
        how = ("the first `GET /v1/reseller/orders/{id}` answering `active`; reads start when the "
               "`proxy.provisioned` webhook arrives (while not yet active, again after max(%d ms, %d%% of the "
               "time since the pay) from each answer), so this is \"webhook received AND order read active\": an upper bound of the moment "
               "the order turned active (one read per purchase when the order is already active by then)"
               % (a["poll_interval_ms"], round(a.get("read_backoff", 0) * 100)))
    else:
        how = ("the first `GET /v1/reseller/orders/{id}` answering `active`, polled every %d ms from the pay's "
               "answer on (resolution ≈ the interval plus one read; the polling itself loads gateway and "
               "order-service)" % a["poll_interval_ms"])
    lines.append("- **Order active** = %s; %.1f reads per paid purchase." % (how, res["order_reads_per_paid_purchase"] or 0))
    lines.append("- **Webhooks** = arrival time of the complete request at the bench's receiver "
                 "(`http://127.0.0.1:<free port>`, registered for `order.paid,proxy.provisioned`), "
                 "signature checked; all latencies are from the moment the pay's 200 was read, on one "
                 "monotonic clock.")
    lines.append("")
    lines.append("Latencies over all paid purchases that did not fail; one that never saw the signal within the "
                 "timeout counts as slower than any measured one (shown as \"> timeout\").")
    lines.append("")
    lines.append("| pay 200 → | p50 ms | p90 ms | p99 ms | max ms | seen | timeouts | aim p99 | met |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    timeout_ms = int(a["timeout"] * 1000)

    def cell(x):
        return "> %d (timeout)" % timeout_ms if x == float("inf") else stats.fmt_ms(x)

    names = {"active": "order `active`", "order.paid": "`order.paid` webhook", "proxy.provisioned": "`proxy.provisioned` webhook"}
    for key in ("active", "order.paid", "proxy.provisioned"):
        s = res["latency"][key]
        aim = AIMS_MS[key]
        met = "-" if s["p99"] is None else ("yes" if s["p99"] * 1000 <= aim else "**no**")
        lines.append("| %s | %s | %s | %s | %s | %d | %d | ≤ %d | %s |" % (
            names[key], cell(s["p50"]), cell(s["p90"]), cell(s["p99"]), cell(s["max"]),
            s["n_finite"], res["timeouts"][key], aim, met))
    lines.append("")
    lines.append("| HTTP call (from the request's start) | p50 ms | p90 ms | p99 ms | max ms | n |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for key in ("create (POST /orders)", "pay (POST /orders/{id}/pay)"):
        s = res["latency"][key]
        lines.append("| %s | %s | %s | %s | %s | %d |" % (key, stats.fmt_ms(s["p50"]), stats.fmt_ms(s["p90"]),
                                                        stats.fmt_ms(s["p99"]), stats.fmt_ms(s["max"]), s["n"]))
    lines.append("")
    fails = res["failures"]
    lines.append("Purchases: %d scheduled, %d paid (200), %d completed (all three signals); failures: %s; "
                 "timeouts: %s%s. Webhooks: %d received, %d bad signatures, %d duplicates, %d for unknown orders. "
                 "Start lag behind schedule: p99 %s ms, max %s ms (%d started > 50 ms late)." % (
                     res["purchases"], res["paid"], res["completed"],
                     ", ".join("%s × %d" % (k, v) for k, v in sorted(fails.items())) or "none",
                     ", ".join("%s × %d" % (k, v) for k, v in res["timeouts"].items() if v) or "none",
                     (" (order status after the timeout: %s)" % ", ".join(
                         "%s × %d" % kv for kv in sorted(res["timed_out_final_status"].items())))
                     if res["timed_out_final_status"] else "",
                     res["webhooks"]["received"], res["webhooks"]["bad_signature"], res["webhooks"]["duplicate"],
                     res["webhooks"]["unknown_order"], stats.fmt_ms(res["start_lag"]["p99"]),
                     stats.fmt_ms(res["start_lag"]["max"]), res["late_starts_over_50ms"]))
    notes = []
    if res["late_starts_over_50ms"]:
        notes.append("**The open loop was not held**: %d purchases started more than 50 ms behind schedule "
                     "(the bench ran out of threads, --max-inflight %d, or of CPU)." % (
                         res["late_starts_over_50ms"], a["max_inflight"]))
    if res["completed"] < res["purchases"]:
        notes.append("**%d of %d purchases did not complete** (all three signals within %g s of the pay, or a "
                     "failure before): see the failures and timeouts above." % (
                         res["purchases"] - res["completed"], res["purchases"], a["timeout"]))
    if res["saturated"]:
        def s(x):
            return "more than the timeout" if x == float("inf") else "%.1f s" % x
        notes.append("**Saturated**: the stack did not keep up with %g purchases/s. During the last two "
                     "thirds of the arrivals %.1f purchases/s completed (last signal seen); the median time from "
                     "a purchase's start to its last signal was %s for the first fifth of the purchases and %s "
                     "for the last fifth; the last purchase completed %.1f s after the first started. Queues grew "
                     "during the run, so these latencies measure the backlog (they grow with --duration), not "
                     "the flow's own latency." % (
                         a["rate"], res["steady_completion_rate"] or 0, s(res["end_to_end_p50_first_fifth"]),
                         s(res["end_to_end_p50_last_fifth"]), res["window_s"]))
    per = res["stack_cpu_s_per_scheduled_purchase"]
    net = res["stack_net_cpu_s_per_scheduled_purchase"]
    if per and net and net > 0:
        cores = meta["machine"]["nproc"]
        notes.append("The stack used %.0f ms of CPU per scheduled purchase, %.0f ms above its idle work "
                     "(%.2f cores when idle): at that cost on these %d cores it could not sustain more than "
                     "≈ %.1f purchases/s even with nothing else running ((%d − %.2f) / %.3f s; the cost per "
                     "purchase is not constant, e.g. it grows with queues and with the number of live proxies)." % (
                         per * 1000, net * 1000, res["stack_idle_cores"], cores,
                         (cores - res["stack_idle_cores"]) / net, cores, res["stack_idle_cores"], net))
    other = res["other_cores_during_window"]
    if other is not None:
        notes.append("Machine: the stack averaged %.2f cores during the window; processes outside the stack and "
                     "the bench (other checkouts' builds and tests, the kernel) %.2f cores (%.2f during the idle "
                     "baseline); load average %s at the start, %s at the end." % (
                         res["stack_cores_during_window"], other, res["other_cores_idle_baseline"] or 0,
                         meta["loadavg_start"], meta["loadavg_end"]))
    rl = res["order_read_latency"]
    notes.append("Order reads (GET through the gateway): p50 %s ms, p99 %s ms, %d in all." % (
        stats.fmt_ms(rl["p50"]), stats.fmt_ms(rl["p99"]), rl["n"]))
    for n in notes:
        lines.append("")
        lines.append(n)
    lines.append("")
    lines.append("CPU (utime+stime from `/proc/<pid>/stat`; PostgreSQL = postmaster and all its backends) from "
                 "the first measured purchase until the last one completed or timed out (%.1f s), divided by "
                 "the %d completed purchases (all three signals seen) and by the %d paid ones (the same when "
                 "nothing timed out); *idle* = the same processes' CPU rate over %g s of no traffic before the "
                 "warm-up (pollers, heartbeats); *net* subtracts that idle rate over the window, per completed "
                 "purchase." % (res["window_s"], res["completed"], res["paid"], a["idle_seconds"]))
    lines.append("")
    lines.append("| process | CPU ms / completed purchase | CPU ms / paid purchase | idle CPU ms/s | net ms / completed purchase |")
    lines.append("|---|---:|---:|---:|---:|")
    order = APPS + ["postgresql", "kafka", "bench/flow itself"]
    total = total_paid = total_net = 0.0

    def num(x):
        return "%.1f" % x if x is not None else ""

    for name in order:
        c = res["cpu"].get(name)
        if c is None:
            lines.append("| %s | n/a | | | |" % name)
            continue
        if name != "bench/flow itself":
            total += c["ms_per_purchase"] or 0
            total_paid += c["ms_per_paid_purchase"] or 0
            total_net += c["net_ms_per_purchase"] or 0
        lines.append("| %s | %s | %s | %s | %s |" % (name, num(c["ms_per_purchase"]), num(c["ms_per_paid_purchase"]),
                                                   num(c["idle_ms_per_s"]), num(c["net_ms_per_purchase"])))
    lines.append("| **stack total** (without bench/flow) | **%.1f** | **%.1f** | | **%.1f** |" % (total, total_paid, total_net))
    lines.append("")
    return "\n".join(lines)


DOC_HEADER = """# Benchmarks

Measurements of the running local stack (`bin/stack`); how bench/flow measures: `bench/flow/flow.py`.

## Results
"""


def write_doc(path, label, section):
    """Replaces the section between this label's markers, or appends it."""
    begin = "<!-- bench/flow:%s -->" % label
    end = "<!-- /bench/flow:%s -->" % label
    block = begin + "\n" + section + end + "\n"
    text = path.read_text() if path.exists() else DOC_HEADER
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail.strip() else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def print_summary(res):
    print()
    print("pay 200 ->              p50     p90     p99     max   (ms)  measured  timeouts  aim p99")
    for key in ("active", "order.paid", "proxy.provisioned"):
        s = res["latency"][key]
        def c(x):
            return "timeout" if x == float("inf") else stats.fmt_ms(x)
        print("%-20s %7s %7s %7s %7s        %6d  %8d   <= %d" % (
            key, c(s["p50"]), c(s["p90"]), c(s["p99"]), c(s["max"]),
            s["n_finite"], res["timeouts"][key], AIMS_MS[key]))
    for key in ("create (POST /orders)", "pay (POST /orders/{id}/pay)"):
        s = res["latency"][key]
        print("%-28s p50 %s p99 %s max %s ms" % (key, stats.fmt_ms(s["p50"]), stats.fmt_ms(s["p99"]),
                                                 stats.fmt_ms(s["max"])))
    print("purchases %d, paid %d, completed %d, failures %s, webhooks %s" % (
        res["purchases"], res["paid"], res["completed"], res["failures"] or "none", res["webhooks"]))
    print("CPU ms per completed purchase (net of idle) [per paid purchase]:")
    print("stack CPU per scheduled purchase %.0f ms (%.0f ms above idle); stack %.2f cores, other processes %.2f cores during the window"
          % ((res["stack_cpu_s_per_scheduled_purchase"] or 0) * 1000,
             (res["stack_net_cpu_s_per_scheduled_purchase"] or 0) * 1000, res["stack_cores_during_window"],
             res["other_cores_during_window"] or 0))
    for name, c in res["cpu"].items():
        print("  %-20s %8.1f  (%s) [%.1f]" % (
            name, c["ms_per_purchase"] or 0,
            "%.1f" % c["net_ms_per_purchase"] if c["net_ms_per_purchase"] is not None else "-",
            c["ms_per_paid_purchase"] or 0))


# ---------------------------------------------------------------------------------------------------

def rerender(path, output, label):
    """Analyses a raw results file again and rewrites its section (no stack needed)."""
    raw = json.loads(Path(path).read_text())
    inputs, meta = raw["inputs"], raw["meta"]
    batch = []
    for d in raw["purchases"]:
        p = Purchase(d["seq"], d["warmup"], d["t_sched"])
        for k in Purchase.__slots__:
            setattr(p, k, d[k])
        batch.append(p)

    class Replay:
        hooks = inputs["hooks"]
        read_latencies = inputs["read_latencies"]

        class api:  # noqa: N801 - stands in for Api
            counts = inputs["requests"]

    res = analyse(Replay, batch, inputs["cpu_before"], inputs["cpu_after"], inputs["idle_rate"],
                  inputs["t0"], inputs["t_end"])
    print_summary(res)
    if output != "-":
        write_doc(Path(output), label, render_section(label, meta, res))
        log("wrote section '%s' of %s" % (label, output))
    return 0


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/flow/run",
        description="Purchase-flow benchmark against the local stack (127.0.0.1 only). Brings the stack up "
                    "with the bench settings when no service runs (and takes it down again at the end); "
                    "uses a running stack that already has them; refuses a running stack without them "
                    "unless --restart-stack.")
    ap.add_argument("--rate", type=float, default=20.0, help="purchases started per second (open loop; default 20)")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of arrivals (default 30)")
    ap.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"),
                    help="markdown file whose section is written/replaced ('-' = none; default docs/benchmarks.md)")
    ap.add_argument("--label", default="latest", help="name of that section (replaced when it exists; default latest)")
    ap.add_argument("--warmup", type=int, default=40, help="uncounted purchases first, at the same rate (default 40)")
    ap.add_argument("--active-signal", choices=["webhook", "poll"], default="webhook",
                    help="webhook (default): read the order when proxy.provisioned arrives; poll: read it every "
                         "--poll-interval-ms from the pay on")
    ap.add_argument("--poll-interval-ms", type=int, default=20, help="order read interval (default 20)")
    ap.add_argument("--read-backoff", type=float, default=0.1,
                    help="webhook signal: an order not active yet is read again after max(poll interval, this "
                         "fraction of the time since its pay) (default 0.1, i.e. within 10%%)")
    ap.add_argument("--timeout", type=float, default=40.0, help="seconds after the pay to wait for each signal (default 40)")
    ap.add_argument("--max-inflight", type=int, default=1000,
                    help="most purchases in flight (threads, made on demand; default 1000). Past it starts lag "
                         "behind schedule, which the report shows")
    ap.add_argument("--readers", type=int, default=500, help="most order reads in flight (default 500)")
    ap.add_argument("--idle-seconds", type=float, default=10.0, help="idle CPU baseline before the warm-up (default 10)")
    ap.add_argument("--quiet-wait", type=float, default=120.0,
                    help="seconds to wait at most for other processes on the machine to calm down (default 120; 0 = no wait)")
    ap.add_argument("--max-other-cores", type=float, default=0.25,
                    help="'quiet' = processes outside the stack use at most this many cores (default 0.25)")
    ap.add_argument("--json", default=None, help="raw results file (default .stack/bench-flow/<time>.json)")
    ap.add_argument("--rerender", metavar="RAW_JSON",
                    help="no run: analyse a raw results file of an earlier run again and rewrite its section")
    ap.add_argument("--restart-stack", action="store_true",
                    help="restart the running services with the bench settings if they lack them")
    ap.add_argument("--keep-stack", action="store_true", help="leave a stack this run brought up running")
    return ap.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if args.rerender:
        return rerender(args.rerender, args.output, args.label)
    if args.rate <= 0 or args.duration <= 0:
        die("--rate and --duration must be positive")
    if args.readers <= 0 or args.max_inflight <= 0:
        die("--readers and --max-inflight must be positive")
    stack = REPO / ".stack"
    count = int(round(args.rate * args.duration))
    modems = count + args.warmup + 50
    if os.geteuid() != 0:
        log("not root: bin/stack needs root to start PostgreSQL; reading /proc of the services may fail too")

    started_apps = started_infra = False
    env = dict(os.environ)
    env.update(bench_env(modems))
    bench = Bench(args, Api(None))
    api = bench.api
    op = None
    cleanup_file = stack / "bench-flow" / "cleanup.json"
    receiver = None
    reseller_key = webhook_id = None
    try:
        # ----- the stack --------------------------------------------------------------------------------
        if stack_quiet("running", "apps") == 0:
            problems = settings_problems(stack, modems + len(DEFAULT_MODEMS))
            if stack_quiet("status") != 0:
                problems.append("bin/stack status reports something down or not ready")
            if problems:
                if not args.restart_stack:
                    die("the running stack is not set up for this bench:\n  - " + "\n  - ".join(problems)
                        + "\nrerun with --restart-stack (restarts the services with the bench settings), or "
                          "bin/stack down apps first")
                stack_cmd("down", "apps")
                started_apps = True
                stack_cmd("up", env=env)
            else:
                log("using the running stack (it has the bench settings)")
        else:
            started_infra = stack_quiet("running", "infra") != 0
            started_apps = True
            stack_cmd("up", env=env)
        problems = settings_problems(stack, modems + len(DEFAULT_MODEMS))
        if problems:
            die("the stack still lacks the bench settings: " + "; ".join(problems))
        agent_env = proc_environ(read_pid(stack, "device-agent"))
        modem_total = len([m for m in agent_env.get("AGENT_MODEMS", "").split(",") if m.strip()]) or len(DEFAULT_MODEMS)
        rate_limit = int(proc_environ(read_pid(stack, "api-gateway")).get("RATE_LIMIT_PER_MINUTE", "60"))
        op = Api(operator_token())

        # ----- earlier runs that did not clean up (interrupted) -------------------------------------
        leftovers = load_cleanup_list(cleanup_file)
        if leftovers:
            log("cleaning up %d earlier run(s)" % len(leftovers))
            keep = [e for e in leftovers if not cleanup_reseller(op, e["key"], e.get("webhook_id"))]
            save_cleanup_list(cleanup_file, keep)

        # ----- a fresh reseller with enough balance ---------------------------------------------------
        name = "bench-flow-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        status, body, _ = op.call("POST", "/v1/admin/resellers", {"name": name})
        if status != 201:
            die("POST /v1/admin/resellers answered %s: %s" % (status, body))
        reseller_id, reseller_key = body["id"], body["api_key"]["key"]
        api.token = reseller_key
        entries = load_cleanup_list(cleanup_file)
        entries.append({"key": reseller_key, "reseller": name, "webhook_id": None})
        save_cleanup_list(cleanup_file, entries)

        status, body, _ = api.call("GET", "/v1/reseller/products")
        if status != 200:
            die("GET /v1/reseller/products answered %s: %s" % (status, body))
        choices = [(decimal.Decimal(pr["price"]), prod["id"], pr["id"], pr["label"])
                   for prod in body["products"] for pr in prod["pricing"]]
        price, bench.product, bench.pricing, pricing_label = min(choices)
        amount = (price * (count + args.warmup) * decimal.Decimal("1.05") + price * 10).quantize(decimal.Decimal("0.01"))
        status, body, _ = op.call("POST", "/v1/admin/resellers/%d/topups" % reseller_id,
                                  {"amount": str(amount), "reference": name + "-topup"})
        if status != 201:
            die("top-up answered %s: %s" % (status, body))
        log("reseller %s (id %d) topped up with %s USD; product %s pricing %s (%s, %s USD)"
            % (name, reseller_id, amount, bench.product, bench.pricing, pricing_label, price))

        # ----- webhook receiver -----------------------------------------------------------------------
        receiver = Receiver(("127.0.0.1", 0), HookHandler)
        receiver.bench = bench
        threading.Thread(target=receiver.serve_forever, name="webhook-receiver", daemon=True).start()
        url = "http://127.0.0.1:%d/bench-flow/webhook" % receiver.server_address[1]
        status, body, _ = api.call("POST", "/v1/reseller/webhooks", {"url": url, "events": "order.paid,proxy.provisioned"})
        if status != 201:
            die("POST /v1/reseller/webhooks %s answered %s: %s" % (url, status, body))
        webhook_id = body["id"]
        bench.secret = body["secret"]
        entries = load_cleanup_list(cleanup_file)
        for e in entries:
            if e["key"] == reseller_key:
                e["webhook_id"] = webhook_id
        save_cleanup_list(cleanup_file, entries)
        log("webhook receiver %s registered (id %s)" % (url, webhook_id))

        read_pool = ThreadPoolExecutor(max_workers=args.readers, thread_name_prefix="read")
        threading.Thread(target=bench.dispatch_reads, args=(read_pool,), name="read-dispatch", daemon=True).start()

        # ----- a quiet machine, idle baseline, warm-up, measurement --------------------------------------
        wait_for_quiet(stack, args.max_other_cores, args.quiet_wait)
        log("idle CPU baseline for %g s" % args.idle_seconds)
        idle_before, t_idle = cpu_snapshot(stack), now()
        time.sleep(args.idle_seconds)
        idle_after = cpu_snapshot(stack)
        idle_rate = {k: v / (now() - t_idle) for k, v in stats.ticks_delta(idle_before, idle_after).items()}

        if args.warmup > 0:
            log("warm-up: %d purchases at %g/s" % (args.warmup, args.rate))
            warm, _, _ = bench.run_phase(args.warmup, True)
            bad = [p for p in warm if not p.complete()]
            if bad:
                bench.final_reads(bad)
                log("warm-up: %d of %d did not complete: %s" % (len(bad), len(warm), sorted(
                    {(p.failure or "timeout %s" % ",".join(p.timed_out)) + " / " + str(p.failure_reason or p.final_status)
                     for p in bad})))
            time.sleep(2.0)
        for k in bench.hooks:
            bench.hooks[k] = 0
        api.counts.clear()
        bench.read_latencies.clear()

        log("measuring: %d purchases at %g/s (open loop)" % (count, args.rate))
        loadavg_start = "%.2f" % os.getloadavg()[0]
        cpu_before = cpu_snapshot(stack)
        batch, t0, t_end = bench.run_phase(count, False)
        cpu_after = cpu_snapshot(stack)
        loadavg_end = "%.2f" % os.getloadavg()[0]
        bench.final_reads(batch)
        res = analyse(bench, batch, cpu_before, cpu_after, idle_rate, t0, t_end)

        meta = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine_info(),
            "git": git_info(),
            "command": " ".join(["%s=%s" % (k, shlex.quote(os.environ[k])) for k in
                                 ("PV_PG_PORT", "PV_KAFKA_PORT", "PV_KAFKA_CONTROLLER_PORT", "PV_SKIP_BUILD")
                                 if k in os.environ] + ["bench/flow/run"] + [shlex.quote(a) for a in argv]),
            "args": vars(args),
            "product_id": bench.product, "pricing_id": bench.pricing, "pricing_label": pricing_label,
            "price": str(price), "reseller_name": name, "rate_limit": rate_limit, "modems": modem_total,
            "loadavg_start": loadavg_start, "loadavg_end": loadavg_end,
        }
        print_summary(res)
        raw = Path(args.json) if args.json else stack / "bench-flow" / (name + ".json")
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps({
            "meta": meta, "results": res,
            "inputs": {"cpu_before": cpu_before, "cpu_after": cpu_after, "idle_rate": idle_rate, "t0": t0,
                       "t_end": t_end, "hooks": bench.hooks, "requests": api.counts,
                       "read_latencies": bench.read_latencies},
            "purchases": [{k: getattr(p, k) for k in Purchase.__slots__} for p in batch]}, indent=1, default=str))
        log("raw results: %s" % raw)
        if args.output != "-":
            write_doc(Path(args.output), args.label, render_section(args.label, meta, res))
            log("wrote section '%s' of %s" % (args.label, args.output))
        return 0 if res["completed"] == res["purchases"] else 1
    finally:
        with bench.lock:
            bench.stopping = True
            bench.lock.notify_all()
        if reseller_key:
            try:
                if cleanup_reseller(op, reseller_key, webhook_id):
                    save_cleanup_list(cleanup_file, [e for e in load_cleanup_list(cleanup_file)
                                                     if e["key"] != reseller_key])
            except Exception as e:  # noqa: BLE001
                log("clean-up failed (retried by the next run): %r" % e)
        if receiver is not None:
            receiver.shutdown()
        if started_apps and not args.keep_stack:
            stack_cmd("down", *([] if started_infra else ["apps"]), check=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
