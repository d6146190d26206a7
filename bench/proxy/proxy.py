"""bench/proxy: the device agent's proxy data path against tinyproxy and dante on one machine.

Everything runs on 127.0.0.1: a private nginx as origin (/1k and /1m static files), the agent's data path
(ProxyBenchServer: the agent's ProxyListeners, HTTP and SOCKS5 on one port, no gRPC link), tinyproxy
(HTTP, CONNECT) and danted (SOCKS5), all with username/password authentication, and one closed-loop load
tool (ProxyLoad, Java, in device-agent's test sources) for every target. Scenarios alternate A/B per round
(agent first in odd rounds, the other first in even ones) so drift on a shared machine hits both alike.
"""
import argparse
import datetime
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from machine import machine_info  # noqa: E402

WORK = os.path.join(ROOT, ".stack", "bench-proxy")
USER = "pvbench"
PASSWORD = "pvbench-Secret-1"
MARK = "bench/proxy"
SECTION = "## Agent data path vs tinyproxy and dante (bench/proxy)"
SECTION_INTRO = """Aim (issue 8): the device agent's data path at ≥ 1.5× the requests/s of tinyproxy (HTTP absolute-form,
CONNECT) and of dante (SOCKS5), on the same path in the same run. `bench/proxy/run` (under
`flock /tmp/pv-stack.lock`) starts a private nginx origin, the agent's listener code alone
(`ProxyBenchServer`, no fleet), tinyproxy and danted, and drives each with the same closed-loop Java load
tool, alternating which goes first per round. Each run below says how busy the machine was: on a shared
2-core machine the proxies, the load tool, the origin and other people's work compete for the same CPU,
so compare ratios within one run and the CPU µs per request, not absolute figures across runs.
"""

# name, mode, path, agent vs which competitor
SCENARIOS = [
    ("http-1k", "http", "/1k", "tinyproxy"),
    ("http-1m", "http", "/1m", "tinyproxy"),
    ("connect-1k", "connect", "/1k", "tinyproxy"),
    ("socks5-1k", "socks5", "/1k", "dante"),
    ("socks5-1m", "socks5", "/1m", "dante"),
    # Additional (not the aim's per-request scenarios): one tunnel per load thread, kept for the whole run.
    ("connect-keep-1k", "connect-keep", "/1k", "tinyproxy"),
    ("socks5-keep-1k", "socks5-keep", "/1k", "dante"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("nothing listens on %d after %d s" % (port, timeout))


def ensure_tools():
    missing = [pkg for tool, pkg in (("nginx", "nginx"), ("tinyproxy", "tinyproxy"), ("danted", "dante-server"))
               if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool)]
    if missing:
        subprocess.run(["apt-get", "install", "-y"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def ensure_user():
    """dante's username method checks system accounts (passwd/shadow): a dedicated, login-less one."""
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", USER], check=True)
    # SHA-512 crypt with the fewest rounds: Debian's default (yescrypt) costs tens of ms of CPU per check, which
    # would measure the password hash rather than the proxy.
    subprocess.run(["chpasswd", "-c", "SHA512", "-s", "1000"], input="%s:%s\n" % (USER, PASSWORD), text=True, check=True)


def build():
    env = dict(os.environ)
    env.setdefault("MAVEN_ARGS", "")
    cp_file = os.path.join(WORK, "cp.txt")
    # Not offline (-o): on a fresh machine the dependency plugin is not in ~/.m2 yet (Maven Central is reachable)
    subprocess.run([os.path.join(ROOT, "mvnw"), "-B", "-q", "-pl", "device-agent", "-am", "test-compile",
                    "dependency:build-classpath", "-Dmdep.outputFile=" + cp_file, "-Dmdep.includeScope=test"],
                   cwd=ROOT, check=True, env=env)
    # -am also writes cp.txt for upstream modules; the last writer is device-agent (reactor order)
    agent = os.path.join(ROOT, "device-agent", "target")
    return ":".join([os.path.join(agent, "test-classes"), os.path.join(agent, "classes"), open(cp_file).read().strip()])


def cpu_ticks(pid):
    """CPU (clock ticks) of pid and all its descendants, live or exited and reaped (dante forks children), as
    (user, kernel): utime + cutime, stime + cstime."""
    user = kernel = 0
    pids = [pid]
    seen = set()
    while pids:
        p = pids.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            fields = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
            # utime + stime, plus cutime + cstime: children that exited and were reaped (dante's) stay counted
            user += int(fields[11]) + int(fields[13])
            kernel += int(fields[12]) + int(fields[14])
            for task in os.listdir("/proc/%d/task" % p):
                try:
                    pids.extend(int(c) for c in open("/proc/%d/task/%s/children" % (p, task)).read().split())
                except OSError:
                    pass
        except (OSError, IndexError):
            pass
    return user, kernel


def machine_busy():
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields), idle


class Servers:
    def __init__(self, classpath):
        self.procs = {}
        self.ports = {}
        os.makedirs(os.path.join(WORK, "www"), exist_ok=True)
        with open(os.path.join(WORK, "www", "1k"), "wb") as f:
            f.write(b"k" * 1024)
        with open(os.path.join(WORK, "www", "1m"), "wb") as f:
            f.write(os.urandom(1024 * 1024))
        self.origin_port = free_port()
        self.start_nginx()
        origin = "127.0.0.1:%d" % self.origin_port
        agent_port = free_port()
        self.start("agent", ["java", "-Xms256m", "-Xmx256m", "-XX:+UseParallelGC"]
                   + os.environ.get("PV_BENCH_AGENT_JAVA_OPTS", "").split() + ["-cp", classpath,
                             "com.proxyvault.agent.bench.ProxyBenchServer", str(agent_port), USER, PASSWORD, origin], agent_port)
        tiny_port = free_port()
        conf = os.path.join(WORK, "tinyproxy.conf")
        with open(conf, "w") as f:
            f.write("Port %d\nListen 127.0.0.1\nTimeout 600\nMaxClients 1024\nLogLevel Critical\n"
                    "LogFile \"%s/tinyproxy.log\"\nUser nobody\nGroup nogroup\nBasicAuth %s %s\nAllow 127.0.0.1\n"
                    "DisableViaHeader Yes\n" % (tiny_port, WORK, USER, PASSWORD))
        open(os.path.join(WORK, "tinyproxy.log"), "a").close()
        os.chmod(os.path.join(WORK, "tinyproxy.log"), 0o666)
        self.start("tinyproxy", ["tinyproxy", "-d", "-c", conf], tiny_port)
        dante_port = free_port()
        conf = os.path.join(WORK, "danted.conf")
        with open(conf, "w") as f:
            f.write("logoutput: %s/danted.log\ninternal: 127.0.0.1 port = %d\nexternal: 127.0.0.1\n"
                    "socksmethod: username\nclientmethod: none\nuser.privileged: root\nuser.unprivileged: nobody\n"
                    "client pass {\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n}\n"
                    "socks pass {\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  command: connect\n  socksmethod: username\n}\n"
                    % (WORK, dante_port))
        self.start("dante", ["/usr/sbin/danted", "-f", conf, "-p", os.path.join(WORK, "danted.pid")], dante_port)
        # The same dante without authentication: a reference for what username/password costs it.
        open_port = free_port()
        conf = os.path.join(WORK, "danted-noauth.conf")
        with open(conf, "w") as f:
            f.write("logoutput: %s/danted-noauth.log\ninternal: 127.0.0.1 port = %d\nexternal: 127.0.0.1\n"
                    "socksmethod: none\nclientmethod: none\nuser.privileged: root\nuser.unprivileged: nobody\n"
                    "client pass {\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n}\n"
                    "socks pass {\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  command: connect\n}\n" % (WORK, open_port))
        self.start("dante-noauth", ["/usr/sbin/danted", "-f", conf, "-p", os.path.join(WORK, "danted-noauth.pid")], open_port)

    def start_nginx(self):
        prefix = os.path.join(WORK, "nginx")
        os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write("daemon off;\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/logs/error.log;\n"
                    "events { worker_connections 8192; }\n"
                    "http { access_log off; keepalive_requests 1000000; sendfile on; tcp_nopush on;\n"
                    "  server { listen 127.0.0.1:%d; location / { root %s/www; default_type application/octet-stream; } } }\n"
                    % (prefix, prefix, self.origin_port, WORK))
        self.start("origin", ["nginx", "-p", prefix, "-c", "nginx.conf"], self.origin_port)

    def start(self, name, cmd, port):
        log = open(os.path.join(WORK, name + ".out"), "w")
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.ports[name] = port
        wait_port(port)

    def stop(self):
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except OSError:
                pass
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def load(classpath, servers, target, mode, path, connections, seconds, tool_warmup=0):
    """One closed-loop run. The tool first warms itself up for tool_warmup s in the same JVM (its JIT and class
    loading then cost nothing in the measured part) and prints "measuring" / "measured" around the measured part:
    the proxy's CPU and the machine's busy time are read at those two lines, so they cover exactly that part."""
    user = "-" if target == "dante-noauth" else USER
    cmd = ["java", "-Xmx512m", "-XX:+UseParallelGC", "-cp", classpath, "com.proxyvault.agent.bench.ProxyLoad", mode,
           "127.0.0.1:%d" % servers.ports[target], "127.0.0.1:%d" % servers.origin_port, path, user, PASSWORD,
           str(connections), str(seconds), str(tool_warmup)]
    pid = servers.procs[target].pid
    origin = servers.procs["origin"].pid
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cpu0 = cpu1 = None
    lines = []
    for line in proc.stdout:
        line = line.strip()
        if line == "measuring":
            cpu0, (all0, idle0), t0 = cpu_ticks(pid), machine_busy(), time.time()
            side0 = cpu_ticks(proc.pid), cpu_ticks(origin)
        elif line == "measured":
            cpu1, (all1, idle1), t1 = cpu_ticks(pid), machine_busy(), time.time()
            side1 = cpu_ticks(proc.pid), cpu_ticks(origin)
        elif line:
            lines.append(line)
    err = proc.stderr.read()
    if proc.wait() != 0 or cpu0 is None or cpu1 is None or not lines:
        raise SystemExit("ProxyLoad failed (exit %s): %s" % (proc.returncode, err.strip()))
    result = {k: float(v) for k, v in (kv.split("=") for kv in lines[-1].split())}
    result["rps"] = result["requests"] / result["seconds"]
    hz = os.sysconf("SC_CLK_TCK")
    per_req = lambda before, after: (sum(after) - sum(before)) / hz * 1e6 / max(1, result["requests"])
    result["cpu_us_per_req"] = per_req(cpu0, cpu1)
    # the proxy's system time: sockets, TCP handshakes and teardown, loopback delivery (what a proxy cannot cut)
    result["kernel_us_per_req"] = (cpu1[1] - cpu0[1]) / hz * 1e6 / max(1, result["requests"])
    # The other consumers of the same cores, per request: the load tool's JVM and the origin (nginx).
    result["tool_cpu_us_per_req"] = per_req(side0[0], side1[0])
    result["origin_cpu_us_per_req"] = per_req(side0[1], side1[1])
    result["busy_cores"] = (all1 - all0 - (idle1 - idle0)) / max(1, all1 - all0) * len(os.sched_getaffinity(0))
    result["load"] = os.getloadavg()[0]
    return result


def git(*args):
    return subprocess.run(["git"] + list(args), cwd=ROOT, capture_output=True, text=True).stdout.strip()


def report(label, args, results, info):
    now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    commit = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", "device-agent", "bench/proxy")
    lines = ["<!-- %s:%s -->" % (MARK, label), "### %s — %s, commit `%s`%s" % (label, now, commit, " (with uncommitted changes)" if dirty else ""), ""]
    lines.append("- **Command**: `bench/proxy/run --duration %s --rounds %d --connections %d --tool-warmup %s --label %s`"
                 % (args.duration, args.rounds, args.connections, args.tool_warmup, label))
    lines.append("- **Machine**: nproc %s, %s, %s RAM, Linux %s, %s; tinyproxy `%s`, dante `%s`, origin `%s`. "
                 "Load tool, proxies and origin share these cores, and the machine was shared with other work "
                 "(see *busy* and *load* per run)."
                 % (info["nproc"], info["cpu"], info["memory"], info["kernel"], info["java"], info.get("tinyproxy"),
                    info.get("dante"), info.get("nginx")))
    lines.append("- **Targets**: *agent* = device-agent's data path (`ProxyBenchServer`: the agent's `ProxyListeners`, "
                 "HTTP and SOCKS5 on one port, default limits/timeouts, `-Xmx256m`, JIT warmed up by %s s of each mode first, then %s s per scenario "
                 "like the others); *tinyproxy* (HTTP absolute-form and CONNECT, `BasicAuth`, `MaxClients 1024`); *dante* "
                 "(`danted`, SOCKS5 `socksmethod: username` against a system account with a SHA-512 crypt hash of 1000 rounds, "
                 "so the check is cheap). All require username/password." % (args.agent_warmup, args.warmup))
    lines.append("- **Load**: `ProxyLoad` (device-agent test sources), closed loop, %d threads, %s s per run after %s s "
                 "unmeasured in the same JVM (the tool's own JIT warm-up), %d rounds "
                 "alternating which target goes first. *http*: absolute-form GETs on kept-alive proxy connections; "
                 "*connect* / *socks5*: a new proxy connection, handshake with credentials and origin connection per "
                 "request (one GET with `Connection: close`, so the origin closes first and the TIME_WAIT stays on "
                 "its side for every target; then close). *connect-keep* / *socks5-keep* (additional, not part of "
                 "the aim): one tunnel per thread for the whole run, one kept-alive GET per request through it. "
                 "Latency from the request's first byte (http, *-keep) or from opening the "
                 "connection (connect/socks5) to the answer's last byte. CPU = utime+stime of the proxy's process tree "
                 "per request, over the measured seconds only; *tool* and *origin* are the load tool's JVM and nginx, "
                 "which share the same cores." % (args.connections, args.duration, args.tool_warmup, args.rounds))
    lines.append("")
    lines.append("| scenario | agent req/s | other | other req/s | ratio (median) | per round | agent p50 / p99 ms | other p50 / p99 ms | agent CPU µs/req | other CPU µs/req | aim ≥ 1.5× | tool + origin CPU µs/req (agent / other runs) |")
    lines.append("|---|---:|---|---:|---:|---|---:|---:|---:|---:|---|---:|")
    main = [sc for sc in SCENARIOS if sc[0] in results and "-keep" not in sc[0]]
    additional = [sc for sc in SCENARIOS if sc[0] in results and "-keep" in sc[0]]
    for name, mode, path, other in main + ([("", "", "", "")] if additional else []) + additional:
        if not name:
            # Kept tunnels are not the aim's scenarios: their own table, which bench/summary does not take up.
            lines.append("")
            lines.append("Additional scenarios, not part of the aim (one tunnel per load thread, kept for the whole run):")
            lines.append("")
            lines.append("| additional scenario | agent req/s | other | other req/s | ratio (median) | per round | agent p50 / p99 ms | other p50 / p99 ms | agent CPU µs/req | other CPU µs/req | ≥ 1.5× | tool + origin CPU µs/req (agent / other runs) |")
            lines.append("|---|---:|---|---:|---:|---|---:|---:|---:|---:|---|---:|")
            continue
        a = results[name]["agent"]
        o = results[name][other]
        ratios = [x["rps"] / y["rps"] if y["rps"] else float("inf") for x, y in zip(a, o)]
        med = lambda runs, key: statistics.median(r[key] for r in runs)
        ratio = med(a, "rps") / med(o, "rps") if med(o, "rps") else float("inf")
        met = "yes" if ratio >= 1.5 else "**no**"
        lines.append("| %s | %.0f | %s | %.0f | **%.2f×** | %s | %.2f / %.2f | %.2f / %.2f | %.0f | %.0f | %s | %.0f + %.0f / %.0f + %.0f |" % (
            name, med(a, "rps"), other, med(o, "rps"), ratio, ", ".join("%.2f" % r for r in ratios),
            med(a, "p50_us") / 1000, med(a, "p99_us") / 1000, med(o, "p50_us") / 1000, med(o, "p99_us") / 1000,
            med(a, "cpu_us_per_req"), med(o, "cpu_us_per_req"), met,
            med(a, "tool_cpu_us_per_req"), med(a, "origin_cpu_us_per_req"),
            med(o, "tool_cpu_us_per_req"), med(o, "origin_cpu_us_per_req")))
    ceilings = [ceiling(name, results[name]["agent"], results[name][other])
                for name, mode, path, other in main if mode in ("connect", "socks5")]
    if ceilings:
        lines.append("")
        lines.append("**Ceiling of the per-request scenarios on this machine** (medians of the runs above): the load tool "
                     "and the origin share the proxy's %d cores, so a proxy that cost nothing would reach at most "
                     "cores / (tool + origin CPU per request); 1.5× the other proxy leaves the proxy under test the "
                     "rest of that budget per request, kernel included. %s" % (len(os.sched_getaffinity(0)), " ".join(ceilings)))
    if "socks5-1k" in results and "dante-noauth" in results["socks5-1k"]:
        ref = statistics.median(r["rps"] for r in results["socks5-1k"]["dante-noauth"])
        lines.append("")
        lines.append("Reference: the same dante **without** authentication (`socksmethod: none`; the agent always "
                     "authenticates) served socks5-1k at %.0f req/s: agent / unauthenticated dante = %.2f×." % (
                         ref, statistics.median(r["rps"] for r in results["socks5-1k"]["agent"]) / ref if ref else 0))
    lines.append("")
    lines.append("<details><summary>every run</summary>")
    lines.append("")
    lines.append("| scenario | round | target | req/s | errors | p50 ms | p90 ms | p99 ms | max ms | CPU µs/req | of which kernel | busy cores | load | tool CPU µs/req | origin CPU µs/req |")
    lines.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, runs in results.items():
        for target, rounds in runs.items():
            for i, r in enumerate(rounds):
                lines.append("| %s | %d | %s | %.0f | %d | %.2f | %.2f | %.2f | %.2f | %.0f | %s | %.2f | %.2f | %.0f | %.0f |" % (
                    name, i + 1, target, r["rps"], r["errors"], r["p50_us"] / 1000, r["p90_us"] / 1000,
                    r["p99_us"] / 1000, r["max_us"] / 1000, r["cpu_us_per_req"],
                    "%.0f" % r["kernel_us_per_req"] if "kernel_us_per_req" in r else "–", r["busy_cores"], r["load"],
                    r["tool_cpu_us_per_req"], r["origin_cpu_us_per_req"]))
    lines.append("")
    lines.append("</details>")
    lines.append("<!-- /%s:%s -->" % (MARK, label))
    return "\n".join(lines) + "\n"


def ceiling(name, agent_runs, other_runs):
    """One scenario's ceiling sentence: the most req/s any proxy could reach beside this tool and origin, as a
    multiple of the other proxy, and the CPU per request left to a proxy at 1.5× the other's rate."""
    med = lambda runs, key: statistics.median(r.get(key, 0.0) for r in runs)
    cores = len(os.sched_getaffinity(0))
    sides = med(other_runs, "tool_cpu_us_per_req") + med(other_runs, "origin_cpu_us_per_req")
    other_rps = med(other_runs, "rps")
    if sides <= 0 or other_rps <= 0:
        return ""
    top = cores * 1e6 / sides
    budget = cores * 1e6 / (1.5 * other_rps) - sides
    return ("*%s*: tool + origin %.0f µs/req → at most %.0f req/s = **%.2f×** the other proxy; at 1.5× a proxy may spend "
            "**%.0f µs** per request in all (the agent spent %.0f, %.0f of them in the kernel; the other %.0f, %.0f in "
            "the kernel)." % (name, sides, top, top / other_rps, budget, med(agent_runs, "cpu_us_per_req"),
                               med(agent_runs, "kernel_us_per_req"), med(other_runs, "cpu_us_per_req"),
                               med(other_runs, "kernel_us_per_req")))


def write(output, block, label):
    if output == "-":
        print(block)
        return
    text = open(output).read() if os.path.exists(output) else ""
    start, end = "<!-- %s:%s -->" % (MARK, label), "<!-- /%s:%s -->" % (MARK, label)
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block.rstrip("\n") + rest.split(end, 1)[1]
    else:
        if SECTION not in text:
            text = text.rstrip("\n") + "\n\n" + SECTION + "\n\n" + SECTION_INTRO
        text = text.rstrip("\n") + "\n\n" + block
    open(output, "w").write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16, help="load tool threads")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load per target and scenario")
    parser.add_argument("--agent-warmup", type=float, default=8, help="seconds of unmeasured load per agent mode at the start")
    parser.add_argument("--tool-warmup", type=float, default=2,
                        help="seconds the load tool runs unmeasured in its own JVM before each measured run")
    parser.add_argument("--label", default="latest")
    parser.add_argument("--scenarios", default=",".join(s[0] for s in SCENARIOS))
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "benchmarks.md"), help="file to update, or -")
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    ensure_tools()
    ensure_user()
    classpath = build()
    info = machine_info({"tinyproxy": ["tinyproxy", "-v"], "dante": ["/usr/sbin/danted", "-v"], "nginx": ["nginx", "-v"]})
    servers = Servers(classpath)
    wanted = args.scenarios.split(",")
    results = {}
    try:
        # The JIT needs time, more so on a busy machine: every agent mode runs unmeasured first.
        for mode, path in (("http", "/1k"), ("connect", "/1k"), ("socks5", "/1k"), ("http", "/1m")):
            load(classpath, servers, "agent", mode, path, args.connections, args.agent_warmup)
        for name, mode, path, other in SCENARIOS:
            if name not in wanted:
                continue
            extra = ("dante-noauth",) if name == "socks5-1k" else ()
            for target in ("agent", other) + extra:
                load(classpath, servers, target, mode, path, args.connections, args.warmup)
            results[name] = {t: [] for t in ("agent", other) + extra}
            for rnd in range(args.rounds):
                order = (("agent", other) if rnd % 2 == 0 else (other, "agent")) + extra
                for target in order:
                    r = load(classpath, servers, target, mode, path, args.connections, args.duration, args.tool_warmup)
                    results[name][target].append(r)
                    print("%s round %d %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors" % (
                        name, rnd + 1, target, r["rps"], r["p50_us"] / 1000, r["p99_us"] / 1000, r["errors"]), flush=True)
    finally:
        servers.stop()
    write(args.output, report(args.label, args, results, info), args.label)


if __name__ == "__main__":
    main()
