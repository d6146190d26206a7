#!/usr/bin/env python3
"""bench/pay - what a purchase costs (issue 7, item 7 "Cost"). Two parts, one report:

  1. ledger: pgbench on the stack's PostgreSQL, in a scratch database of its own (created from billing's
     Flyway migrations, dropped at the end):
       (a) the minimal debit  - UPDATE ... WHERE balance >= amount, plus one INSERT of an entry;
       (b) billing's posting  - Ledger.post's one call of ledger_post (V5), one transaction per charge;
       (c) billing's charge   - (b) plus the charge.posted outbox row (ChargeService.charge's transaction);
       (d) before             - the five statements Ledger.post sent up to commit 596256d, for comparison;
     same clients and threads, alternating rounds, tps and PostgreSQL CPU per transaction of each, and
     the ratio b/a. Then (b) on accounts holding 0, 10,000 and 100,000 entries, alternating too.
  2. stack: paid orders/s on the running local stack: N clients each looping create order -> pay for a
     fixed time, several resellers, webhooks ("*") flowing to a sink on 127.0.0.1; afterwards every
     reseller's balance and ledger must match its paid orders exactly (no double spend), and each
     process's CPU (/proc utime+stime) per paid order, PostgreSQL's commits per paid order.

Everything goes to 127.0.0.1; everything this bench starts stops with it. Results go to a section of
docs/benchmarks.md (between <!-- bench/pay:<label> --> markers) and a raw JSON file. Python 3 stdlib.
"""

import argparse
import datetime
import decimal
import hashlib
import hmac
import json
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "flow"))
import machine  # noqa: E402  (bench/machine.py)
import flow  # noqa: E402  (bench/flow/flow.py: /proc CPU readers, the gateway client, the webhook sink)

REPO = HERE.parents[1]
STACK = REPO / ".stack"
WORK = STACK / "bench-pay"
SQL = HERE / "sql"
PG_BIN = Path("/usr/lib/postgresql/15/bin")  # where bin/stack's PostgreSQL lives (PG_BIN there)
MIGRATIONS = REPO / "billing-service" / "src" / "main" / "resources" / "db" / "migration"
# billing's flyway locations besides db/migration (application.properties): platform's repeatables
PLATFORM_MIGRATIONS = [REPO / "platform" / "src" / "main" / "resources" / "db" / "platform" / d
                       for d in ("outbox", "consumer")]
SCRATCH_DB = "bench_pay"
DOC_MARK = "bench/pay"
END_MARK = "<!-- bench/pay:end -->"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVICES = ["billing-service", "order-service", "proxy-fleet-service", "webhook-service", "api-gateway", "device-agent"]
PRICE = decimal.Decimal("10.00")

# Account ranges of the scratch database (pgbench: reseller_id = base + client_id), one range per
# series so the series never share a row.
BASE_AB = 1_000_000             # (a) min_accounts, (b) and (c) accounts: only their top-up before the run
BASE_HISTORY = {0: 2_000_000, 10_000: 3_000_000, 100_000: 4_000_000}
# Opening balance of the pre-filled accounts: their charges plus room for every charge a run can post.
HEADROOM = decimal.Decimal("100000000.00")

VARIANTS = {
    "a": ("minimal debit", "minimal_debit.pgbench"),
    "b": ("Ledger.post", "ledger_post.pgbench"),
    "c": ("charge transaction", "charge_tx.pgbench"),
    "d": ("before: five statements", "five_statements.pgbench"),
}
AIM_RATIO = 0.5
AIM_ORDERS_PER_S = 250
AIM_CPU_MS = 6.0
# An "idle" baseline during which the stack used more than this many cores was not idle (a backlog still being
# worked off, e.g. failed provisionings after the modems ran out): nothing is subtracted then (net = gross).
BUSY_IDLE_CORES = 0.25
JIT_SETTLED = 0.10  # warm-up ends once every service JVM spends less than this share of its CPU in the JIT

now = time.monotonic


def log(msg):
    print("[bench/pay] %s" % msg, file=sys.stderr, flush=True)


class Abort(Exception):
    pass


def die(msg):
    raise Abort(msg)


# ---------------------------------------------------------------------------------------------------
# Pure helpers (bench/pay/test_pay.py)

def migration_order(names):
    """Flyway's order: versioned V<n>__ by version number, then repeatable R__ by name."""
    def version(name):
        m = re.match(r"V(\d+(?:[._]\d+)*)__", name)
        return tuple(int(x) for x in re.split(r"[._]", m.group(1))) if m else None
    versioned = sorted((n for n in names if version(n) is not None), key=version)
    repeatable = sorted(n for n in names if n.startswith("R__"))
    return versioned + repeatable


def parse_pgbench(text):
    """tps, transactions, failed transactions and mean latency (ms) from pgbench's summary."""
    def grab(pattern, cast=float):
        m = re.search(pattern, text, re.M)
        return cast(m.group(1)) if m else None
    return {
        "tps": grab(r"^tps = ([0-9.]+) \(without initial connection time\)"),
        "transactions": grab(r"^number of transactions actually processed: (\d+)", int),
        "failed": grab(r"^number of failed transactions: (\d+)", int) or 0,
        "latency_ms": grab(r"^latency average = ([0-9.]+) ms"),
    }


def prefill_sql(base, clients, entries, price=PRICE, headroom=HEADROOM):
    """SQL that gives accounts base..base+clients-1 a history of `entries` entries each, as billing would
    have posted them: entry 1 a top-up of (entries-1) x price + headroom, entries 2..n charges of price;
    seq 1..n without gaps, balance_after the running total, the account's balance and last_seq those of
    the last entry. Written in bulk (generate_series) with the triggers off for this session
    (session_replication_role = replica: one INSERT of many rows cannot take seq one by one), so the
    result is checked afterwards with LedgerCheck's statement (invariant_sql)."""
    if entries <= 0:
        return ""
    top = price * (entries - 1) + headroom
    return """
set session_replication_role = replica;
insert into accounts (reseller_id, balance, last_seq)
select r, {top} - {price} * {last_charges}, {n} from generate_series({lo}::bigint, {hi}::bigint) r;
insert into ledger_entries (reseller_id, seq, kind, amount, balance_after, reference, description, order_id, origin)
select r, s,
       case when s = 1 then 'topup' else 'charge' end,
       case when s = 1 then {top} else -{price} end,
       {top} - {price} * (s - 1),
       case when s = 1 then 'topup:bench-pay' else 'order:' || (r * 1000000 + s) end,
       'bench/pay history',
       case when s = 1 then null else r * 1000000 + s end,
       case when s = 1 then 'topup-api' else 'charge-api' end
  from generate_series({lo}::bigint, {hi}::bigint) r, generate_series(1::bigint, {n}::bigint) s;
set session_replication_role = origin;
""".format(top=top, price=price, last_charges=entries - 1, n=entries, lo=base, hi=base + clients - 1)


# LedgerCheck's invariant (docs/money.md "The check"): accounts whose balance, sum, count, last
# balance_after or last_seq disagree.
INVARIANT_SQL = """
select count(*) from (
  select a.reseller_id
    from accounts a
    left join (select reseller_id, sum(amount) as total, count(*) as n, max(seq) as top
                 from ledger_entries group by reseller_id) e on e.reseller_id = a.reseller_id
    left join ledger_entries last on last.reseller_id = a.reseller_id and last.seq = a.last_seq
   where a.balance <> coalesce(e.total, 0) or a.last_seq <> coalesce(e.n, 0)
      or a.last_seq <> coalesce(e.top, 0) or (a.last_seq > 0 and last.balance_after <> a.balance)) drift
"""


def ledger_check(balance, topups, charges, refunds, paid, entries_total, charge_orders, price=PRICE):
    """Zero double spends for one reseller, from what the API shows: the balance equals the top-ups minus
    the charges plus the refunds (each from its ledger entries), there is exactly one charge per paid
    order (pay answered 200) and none for any other order, every charge is of one price, and the ledger's
    total counts exactly these entries. Returns a list of problems (empty: all good)."""
    problems = []
    if balance != topups - sum(charges) + sum(refunds):
        problems.append("balance %s != top-ups %s - charges %s + refunds %s" % (
            balance, topups, sum(charges), sum(refunds)))
    if len(charges) != len(paid):
        problems.append("%d charges for %d paid orders" % (len(charges), len(paid)))
    dup = len(charge_orders) - len(set(charge_orders))
    if dup:
        problems.append("%d orders charged twice" % dup)
    unpaid = set(charge_orders) - set(paid)
    if unpaid:
        problems.append("%d charges for orders whose pay did not answer 200" % len(unpaid))
    if any(c != price for c in charges):
        problems.append("a charge of another amount than %s" % price)
    expected = len(charges) + len(refunds) + 1  # + the top-up
    if entries_total != expected:
        problems.append("ledger total %d entries, expected %d" % (entries_total, expected))
    return problems


def ratio(a, b):
    return a / b if a and b else None


# ---------------------------------------------------------------------------------------------------
# PostgreSQL

def pg_port():
    pm = flow.postgres_pid(STACK)
    if not pm:
        return None, None
    try:
        return pm, int((STACK / "pg" / "data" / "postmaster.pid").read_text().split("\n")[3])
    except (OSError, ValueError, IndexError):
        return pm, None


def psql(port, db, sql=None, file=None, quiet=True):
    cmd = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db,
           "-v", "ON_ERROR_STOP=1", "-X", "-A", "-t"] + (["-q"] if quiet else [])
    if file:
        cmd += ["-f", str(file)]
    r = subprocess.run(cmd, input=sql, capture_output=True, text=True)
    if r.returncode != 0:
        die("psql on %s failed: %s" % (db, (r.stderr or r.stdout).strip()[-2000:]))
    return r.stdout.strip()


def pg_cpu(pm):
    return flow.postgres_cpu(pm)


def setup_scratch(port, clients):
    log("scratch database %s: billing's migrations, minimal tables, histories" % SCRATCH_DB)
    psql(port, "postgres", "drop database if exists %s with (force);\ncreate database %s;" % (SCRATCH_DB, SCRATCH_DB))
    files = {p.name: p for p in MIGRATIONS.glob("*.sql")}
    for d in PLATFORM_MIGRATIONS:
        files.update({p.name: p for p in d.glob("*.sql")})
    applied = migration_order(list(files))
    for name in applied:
        psql(port, SCRATCH_DB, file=files[name])
    # (a)'s tables: an account with a non-negative balance and an append-only list of entries, nothing else
    # (no trigger, no foreign key, no unique reference): the least a debit with a history can be.
    psql(port, SCRATCH_DB, """
create table min_accounts (reseller_id bigint primary key, balance numeric(14, 2) not null check (balance >= 0));
create table min_entries (id bigserial primary key, reseller_id bigint not null, amount numeric(14, 2) not null,
                          reference text not null, created_at timestamp not null default (now() at time zone 'utc'));
insert into min_accounts select r, 1000000000.00 from generate_series(%d, %d) r;
""" % (BASE_AB, BASE_AB + clients - 1))
    t = now()
    # Every account starts with its top-up (a charge needs money): the "0 entries" accounts and (b)/(c)'s
    # hold that one entry, the others the top-up and 9,999 or 99,999 charges.
    psql(port, SCRATCH_DB, prefill_sql(BASE_AB, clients, 1))
    for entries, base in sorted(BASE_HISTORY.items()):
        psql(port, SCRATCH_DB, prefill_sql(base, clients, max(entries, 1)))
    psql(port, SCRATCH_DB, "vacuum analyze;")
    rows = int(psql(port, SCRATCH_DB, "select count(*) from ledger_entries;"))
    drift = int(psql(port, SCRATCH_DB, INVARIANT_SQL))
    if drift:
        die("the pre-filled histories break the ledger invariant (%d accounts)" % drift)
    log("histories written: %d entries in %.0f s, invariant holds" % (rows, now() - t))
    return {"migrations": applied, "prefill_rows": rows, "prefill_s": now() - t}


def pgbench_run(port, pm, variant, base, round_no, args):
    script = SQL / VARIANTS[variant][1]
    cmd = [str(PG_BIN / "pgbench"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-n",
           "-M", "extended", "-c", str(args.clients), "-j", str(args.threads), "-T", str(args.pg_seconds),
           "-f", str(script),
           "-D", "base=%d" % base, "-D", "round=%d" % round_no, "-D", "n=0", "-D", "amt=10.00", "-D", "amount=-10.00",
           "-D", "kind=charge", "-D", "origin=charge-api", "-D", "description=4G Mobile Proxy — 1 Hour",
           "-D", "payload=" + CHARGE_POSTED_PAYLOAD, "-D", "traceparent=00-" + "a" * 32 + "-" + "b" * 16 + "-01",
           SCRATCH_DB]
    load = os.getloadavg()[0]
    before_pg, before_busy, t = pg_cpu(pm), flow.machine_busy_seconds(), now()
    ru_before = os.times()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = now() - t
    time.sleep(0.3)  # the backends exit after pgbench does: their CPU counts once the postmaster reaped them
    ru_after = os.times()
    span = now() - t
    pg_used = pg_cpu(pm) - before_pg
    busy = flow.machine_busy_seconds() - before_busy
    res = parse_pgbench(r.stdout)
    if r.returncode != 0 or res["tps"] is None:
        die("pgbench %s failed (exit %d): %s" % (script.name, r.returncode, (r.stderr or r.stdout).strip()[-2000:]))
    tx = res["transactions"] or 1
    bench_cpu = (ru_after.children_user + ru_after.children_system) - (ru_before.children_user + ru_before.children_system)
    res.update({"variant": variant, "base": base, "round": round_no, "wall_s": wall,
                "pg_cpu_us_per_tx": pg_used * 1e6 / tx, "pgbench_cpu_us_per_tx": bench_cpu * 1e6 / tx,
                "machine_busy_cores": busy / span, "others_cores": (busy - pg_used - bench_cpu) / span,
                "loadavg": load})
    log("  %-20s base %d round %d: %8.0f tps, PostgreSQL %.0f µs/tx, failed %d" % (
        VARIANTS[variant][0], base, round_no, res["tps"], res["pg_cpu_us_per_tx"], res["failed"]))
    return res


CHARGE_POSTED_PAYLOAD = json.dumps({
    "id": "0b7e1c9a-8f5e-4a7e-9d3c-2f1e6b5a4c3d", "type": "charge.posted", "occurred_at": "2026-11-30T12:00:00",
    "reseller_id": 1000000, "data": {"reference": "order:1000000000001", "amount": "10.00", "balance": "999999990.00",
                                     "posted_at": "2026-11-30T12:00:00"}}, separators=(",", ":"))


def entries_per_account(port, base, clients):
    out = psql(port, SCRATCH_DB, "select coalesce(avg(last_seq), 0)::bigint from accounts where reseller_id between %d and %d"
               % (base, base + clients - 1))
    return int(out or 0)


def ledger_part(args):
    pm, port = pg_port()
    if not pm:
        log("PostgreSQL of this checkout is not running: bin/stack infra")
        flow.stack_cmd("infra")
        pm, port = pg_port()
        if not pm:
            die("PostgreSQL did not come up")
    if not port:
        die("cannot read PostgreSQL's port from .stack/pg/data/postmaster.pid")
    version = machine.first_line([str(PG_BIN / "pgbench"), "--version"])
    out = {"port": port, "pgbench": version, "clients": args.clients, "threads": args.threads,
           "seconds": args.pg_seconds, "rounds": args.rounds, "loadavg_start": os.getloadavg()[0]}
    try:
        out.update(setup_scratch(port, args.clients))
        runs = []
        variants = ["a", "b"] + ([] if args.no_charge_tx else ["c"]) + ([] if args.no_before else ["d"])
        log("A/B: %s, %d rounds of %d s, -c %d -j %d" % ("/".join(variants), args.rounds, args.pg_seconds,
                                                         args.clients, args.threads))
        round_no = 0
        for rnd in range(args.rounds):
            for v in variants:
                round_no += 1
                r = pgbench_run(port, pm, v, BASE_AB, round_no, args)
                r["series"], r["rnd"] = "ab", rnd + 1
                runs.append(r)
        log("history: Ledger.post at 0 / 10,000 / 100,000 entries per account, %d rounds" % args.rounds)
        for rnd in range(args.rounds):
            for entries, base in sorted(BASE_HISTORY.items()):
                round_no += 1
                start_entries = entries_per_account(port, base, args.clients)
                r = pgbench_run(port, pm, "b", base, round_no, args)
                r["series"], r["rnd"], r["history"], r["entries_at_start"] = "history", rnd + 1, entries, start_entries
                runs.append(r)
        out["runs"] = runs
        out["drift_after"] = int(psql(port, SCRATCH_DB, INVARIANT_SQL))
        out["loadavg_end"] = os.getloadavg()[0]
        return out
    finally:
        if not args.keep_db:
            try:
                psql(port, "postgres", "drop database if exists %s with (force);" % SCRATCH_DB)
                log("scratch database dropped")
            except Abort as e:
                log("could not drop %s: %s" % (SCRATCH_DB, e))


def summarize_ledger(res):
    runs = res["runs"]
    s = {}
    for v in VARIANTS:
        rs = [r for r in runs if r["series"] == "ab" and r["variant"] == v]
        if rs:
            s[v] = {"tps": statistics.median(r["tps"] for r in rs),
                    "pg_us": statistics.median(r["pg_cpu_us_per_tx"] for r in rs),
                    "per_round": [r["tps"] for r in rs]}
    per_round_ratio = []
    for rnd in sorted({r["rnd"] for r in runs if r["series"] == "ab"}):
        a = [r for r in runs if r["series"] == "ab" and r["rnd"] == rnd and r["variant"] == "a"]
        b = [r for r in runs if r["series"] == "ab" and r["rnd"] == rnd and r["variant"] == "b"]
        if a and b:
            per_round_ratio.append(b[0]["tps"] / a[0]["tps"])
    s["ratio_b_a"] = ratio(s.get("b", {}).get("tps"), s.get("a", {}).get("tps"))
    s["ratio_c_a"] = ratio(s.get("c", {}).get("tps"), s.get("a", {}).get("tps"))
    s["ratio_d_a"] = ratio(s.get("d", {}).get("tps"), s.get("a", {}).get("tps"))
    s["per_round_ratio"] = per_round_ratio
    hist = {}
    for entries in BASE_HISTORY:
        rs = [r for r in runs if r["series"] == "history" and r["history"] == entries]
        if rs:
            hist[entries] = {"tps": statistics.median(r["tps"] for r in rs),
                             "pg_us": statistics.median(r["pg_cpu_us_per_tx"] for r in rs),
                             "lat_ms": statistics.median(r["latency_ms"] for r in rs)}
    s["history"] = hist
    if 0 in hist and 100_000 in hist:
        s["flat_ratio_100k_0"] = ratio(hist[100_000]["tps"], hist[0]["tps"])
        s["flat_cpu_ratio_100k_0"] = ratio(hist[100_000]["pg_us"], hist[0]["pg_us"])
    return s


# ---------------------------------------------------------------------------------------------------
# The stack: paid orders per second with webhooks flowing, and what each process spends per order

class Sink:
    """The webhook receiver's bookkeeping (flow.HookHandler calls on_webhook): signature checked with the
    secret of the reseller the envelope names, duplicates by event id, counts per event type."""

    def __init__(self):
        self.lock = threading.Lock()
        self.secrets = {}
        self.counts = {}
        self.bad_signature = 0
        self.duplicates = 0
        self.unparsable = 0
        self.seen = set()
        self.last = now()

    def on_webhook(self, t, event_header, body, signature):
        try:
            envelope = json.loads(body)
            reseller, etype, event_id = int(envelope["reseller_id"]), envelope["type"], envelope["id"]
        except (ValueError, KeyError, TypeError):
            with self.lock:
                self.unparsable += 1
            return True
        secret = self.secrets.get(reseller)
        good = secret is not None and hmac.compare_digest(
            hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(), signature or "")
        with self.lock:
            self.last = t
            if not good:
                self.bad_signature += 1
                return False
            if event_id in self.seen:
                self.duplicates += 1
                return True
            self.seen.add(event_id)
            self.counts[etype] = self.counts.get(etype, 0) + 1
        return True

    def total(self):
        with self.lock:
            return sum(self.counts.values())


class Load:
    """N clients, each looping create order -> pay as one of the resellers, until told to stop."""

    def __init__(self, resellers, product, pricing, clients):
        self.resellers, self.product, self.pricing, self.clients = resellers, product, pricing, clients
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.phase = None
        self.results = []  # (phase, reseller index, order id, pay status, create status)
        self.errors = {}

    def _client(self, i):
        r = self.resellers[i % len(self.resellers)]
        api = r["api"]
        while not self.stop.is_set():
            phase = self.phase
            try:
                status, body, _ = api.call("POST", "/v1/reseller/orders", {"product_id": self.product, "pricing_id": self.pricing})
            except Exception as e:  # noqa: BLE001
                self._error("create: %s" % type(e).__name__)
                continue
            if status != 201:
                self._error("create %s" % status)
                continue
            order = int(body["id"])
            try:
                pay, _, _ = api.call("POST", "/v1/reseller/orders/%d/pay" % order)
            except Exception as e:  # noqa: BLE001 - a pay whose answer was lost: the check names it
                self._error("pay: %s" % type(e).__name__)
                pay = None
            if pay not in (200, None):
                self._error("pay %s" % pay)
            with self.lock:
                self.results.append((phase, r["index"], order, pay))

    def _error(self, what):
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1

    def run(self, phase, seconds):
        """Runs the clients for `seconds`; returns (paid during this call, wall time from start until the last
        client finished its last purchase)."""
        self.phase = phase
        self.stop.clear()
        with self.lock:
            start = len(self.results)
        threads = [threading.Thread(target=self._client, args=(i,), name="client-%d" % i, daemon=True)
                   for i in range(self.clients)]
        t0 = now()
        for t in threads:
            t.start()
        time.sleep(seconds)
        self.stop.set()
        for t in threads:
            t.join(60)
        wall = now() - t0
        with self.lock:
            paid = sum(1 for _, _, _, s in self.results[start:] if s == 200)  # this call's purchases only
        return paid, wall


def pg_commits(port):
    """{database: committed + rolled back transactions} of the services' databases (pg_stat_database)."""
    out = psql(port, "postgres", "select datname, xact_commit, xact_rollback from pg_stat_database "
                                 "where datname in ('gateway', 'billing', 'orders', 'fleet', 'webhooks');")
    res = {}
    for line in out.splitlines():
        name, commits, rollbacks = line.split("|")
        res[name] = {"commit": int(commits), "rollback": int(rollbacks)}
    return res


def set_modem_capacity(port, capacity):
    """Gives every registered modem `capacity` proxy slots (the fleet's `modems.capacity`, a column with no
    API; default 1, a dedicated modem). The bench needs more slots than the ~2,000 modems an agent registers
    within the health timeout, or the window's orders run the modems out and measure the refund path; the
    agent's Hello leaves the column alone (AgentStore's upsert does not set it). Returns what it changed,
    `[(modem id, capacity before)]`, for `restore_modem_capacity`."""
    before = psql(port, "fleet", "with u as (update modems m set capacity = %d from modems o "
                                 "where o.id = m.id and m.capacity <> %d returning m.id, o.capacity) "
                                 "select coalesce(string_agg(id || ':' || capacity, ','), '') from u;" % (capacity, capacity))
    changed = [tuple(int(x) for x in pair.split(":")) for pair in before.split(",") if pair]
    total = psql(port, "fleet", "select count(*) from modems where capacity = %d;" % capacity)
    log("modem capacity %d: %d modems changed, %s have it" % (capacity, len(changed), total))
    return changed


def restore_modem_capacity(port, capacity, changed):
    """Gives the modems `set_modem_capacity` changed their capacity back, where it is still the bench's: a stack
    kept after the bench otherwise put several resellers' proxies on one modem (new-user pass, stop 33: the
    README's "7th purchase fails" did not show, and resellers shared exit IPs)."""
    if not changed:
        return
    ids = ",".join(str(i) for i, _ in changed)
    caps = ",".join(str(c) for _, c in changed)
    n = psql(port, "fleet", "with u as (update modems m set capacity = c.cap "
                            "from unnest('{%s}'::bigint[], '{%s}'::int[]) as c(id, cap) "
                            "where m.id = c.id and m.capacity = %d returning 1) select count(*) from u;" % (ids, caps, capacity))
    log("modem capacity restored on %s of %d modems" % (n, len(changed)))


def order_statuses(port, order_ids):
    """{status: count} of these orders in order-service's database, read once their webhooks drained."""
    if not order_ids:
        return {}
    out = psql(port, "orders", "select status, count(*) from orders where id = any('{%s}'::bigint[]) group by status;"
               % ",".join(str(o) for o in order_ids))
    return {line.split("|")[0]: int(line.split("|")[1]) for line in out.splitlines() if "|" in line}


def drain(sink, expected_paid_hooks, quiet_s, max_s):
    """Waits until every paid order's order.paid webhook arrived and no webhook came for quiet_s seconds
    (provisioning and deliveries of the last orders finish), at most max_s."""
    t0 = now()
    while now() - t0 < max_s:
        with sink.lock:
            paid_hooks, last = sink.counts.get("order.paid", 0), sink.last
        if paid_hooks >= expected_paid_hooks and now() - last >= quiet_s:
            return now() - t0, True
        time.sleep(0.25)
    return now() - t0, False


def all_transactions(api):
    """Every ledger entry of the caller (GET /v1/reseller/balance/transactions, pages of 100) and the total."""
    entries, offset, total = [], 0, None
    while True:
        status, body, _ = api.call("GET", "/v1/reseller/balance/transactions?limit=100&offset=%d" % offset)
        if status != 200:
            die("GET /v1/reseller/balance/transactions answered %s: %s" % (status, body))
        total = body["total"]
        page = body["transactions"]
        entries += page
        offset += len(page)
        if not page or offset >= total:
            return entries, total


def verify(resellers, load, price):
    """The no-double-spend check per reseller (ledger_check), from the API."""
    report = []
    for r in resellers:
        api = r["api"]
        status, body, _ = api.call("GET", "/v1/reseller/balance")
        if status != 200:
            die("GET /v1/reseller/balance answered %s" % status)
        balance = decimal.Decimal(body["balance"])
        entries, total = all_transactions(api)
        charges = [-decimal.Decimal(e["amount"]) for e in entries if e["type"] == "charge"]
        refunds = [decimal.Decimal(e["amount"]) for e in entries if e["type"] == "refund"]
        topups = sum((decimal.Decimal(e["amount"]) for e in entries if e["type"] == "topup"), decimal.Decimal(0))
        charge_orders = [e["order_id"] for e in entries if e["type"] == "charge"]
        mine = [(o, s) for _, idx, o, s in load.results if idx == r["index"]]
        paid = [o for o, s in mine if s == 200]
        lost = [o for o, s in mine if s is None]
        problems = ledger_check(balance, topups, charges, refunds, paid, total, charge_orders, price)
        report.append({"reseller": r["id"], "name": r["name"], "topups": str(topups), "paid": len(paid),
                       "pay_unanswered": len(lost), "charges": len(charges), "refunds": len(refunds),
                       "balance": str(balance), "expected_balance": str(topups - price * len(paid) + sum(refunds)),
                       "entries_total": total, "problems": problems})
    return report


def jvm_threads(pid):
    """{"jit": s, "gc": s, "all": s} of one JVM: CPU of its threads by kind (/proc/<pid>/task/*/stat)."""
    out = {"jit": 0.0, "gc": 0.0, "all": 0.0}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        secs = (int(fields[11]) + int(fields[12])) / CLK_TCK
        out["all"] += secs
        if "CompilerThre" in name:
            out["jit"] += secs
        elif name.startswith(("GC Thread", "G1 ")):
            out["gc"] += secs
    return out


def free_modems(resellers):
    """Disconnects every active proxy of the bench's resellers (bench/flow's clean-up), which frees their
    simulated modems for the next orders; the proxies' paid hour still runs and they expire later."""
    for r in resellers:
        flow.cleanup_reseller(r["api"], r["key"], None)


def jvm_snapshot():
    res = {}
    for name in SERVICES:
        pid = flow.read_pid(STACK, name)
        if pid:
            res[name] = jvm_threads(pid)
    return res


def jvm_shares(before, after):
    """{service: {"jit": share, "gc": share}} of each JVM's CPU between two jvm_snapshot()s."""
    res = {}
    for name, a in after.items():
        b = before.get(name)
        if not b:
            continue
        total = a["all"] - b["all"]
        res[name] = {k: ((a[k] - b[k]) / total if total > 0 else None) for k in ("jit", "gc")}
    return res


def jfr_start(pids, seconds):
    started = {}
    WORK.mkdir(parents=True, exist_ok=True)
    for name, pid in pids.items():
        f = WORK / ("%s.jfr" % name)
        f.unlink(missing_ok=True)
        r = subprocess.run(["jcmd", str(pid), "JFR.start", "name=bench-pay", "settings=profile",
                            "duration=%ds" % int(seconds), "filename=%s" % f], capture_output=True, text=True)
        if r.returncode == 0:
            started[name] = f
            log("JFR started on %s (pid %d) for %d s -> %s" % (name, pid, seconds, f))
        else:
            log("JFR.start on %s failed: %s" % (name, (r.stdout + r.stderr).strip()[-300:]))
    return started


def jfr_summary(path, top=15):
    """Top frames of jdk.ExecutionSample: where the sampled threads were (self) and which of the project's
    methods were on the stack (inclusive), as shares of all samples."""
    r = subprocess.run(["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", "512", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": (r.stderr or r.stdout).strip()[-300:]}
    return summarize_samples(r.stdout, top)


# What a sample's stack passes through (inclusive: a sample counts for every area on its stack).
AREAS = [
    ("Kafka client", ("org.apache.kafka.",)),
    ("SmallRye Reactive Messaging", ("io.smallrye.reactive.messaging.",)),
    ("Hibernate (ORM + Reactive)", ("org.hibernate.",)),
    ("Vert.x PostgreSQL client", ("io.vertx.pgclient.", "io.vertx.sqlclient.")),
    ("REST server (RESTEasy Reactive)", ("org.jboss.resteasy.reactive.server.", "io.quarkus.resteasy.reactive.server.")),
    ("REST client", ("io.quarkus.rest.client.", "org.jboss.resteasy.reactive.client.")),
    ("Jackson", ("com.fasterxml.jackson.",)),
    ("OpenTelemetry", ("io.opentelemetry.", "io.quarkus.opentelemetry.")),
    ("JWT (smallrye-jwt, jose4j)", ("io.smallrye.jwt.", "org.jose4j.")),
    ("Netty", ("io.netty.",)),
    ("Quarkus scheduler", ("io.quarkus.scheduler.",)),
    ("Micrometer", ("io.micrometer.",)),
    ("platform (outbox, consumers, JSON rules)", ("com.proxyvault.platform.",)),
]


def summarize_samples(text, top=15):
    self_counts, project_counts, package_counts, area_counts, thread_counts, n = {}, {}, {}, {}, {}, 0
    stack, thread = None, "?"
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("sampledThread = "):
            thread = re.sub(r"\d+", "#", s.split('"')[1]) if '"' in s else "?"
        elif s.startswith("stackTrace = ["):
            stack = []
        elif stack is not None and s == "]":
            if stack:
                n += 1
                self_counts[stack[0]] = self_counts.get(stack[0], 0) + 1
                pkg = ".".join(stack[0].split("(")[0].split(".")[:-2]) or stack[0]
                package_counts[pkg] = package_counts.get(pkg, 0) + 1
                thread_counts[thread] = thread_counts.get(thread, 0) + 1
                for frame in set(f for f in stack if f.startswith("com.proxyvault.")):
                    project_counts[frame] = project_counts.get(frame, 0) + 1
                for area, prefixes in AREAS:
                    if any(f.startswith(prefixes) for f in stack):
                        area_counts[area] = area_counts.get(area, 0) + 1
            stack = None
        elif stack is not None and s and s != "...":
            stack.append(re.sub(r"\s+line: \d+$", "", s))

    def best(d):
        return [(k, v / n) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]] if n else []
    return {"samples": n, "self": best(self_counts), "packages": best(package_counts), "project": best(project_counts),
            "areas": best(area_counts), "threads": best(thread_counts)}


def stack_part(args, port_hint=None):
    modems = args.modems
    env = dict(os.environ)
    env.update(flow.bench_env(modems))
    slots = modems * args.modem_capacity
    if slots + len(flow.DEFAULT_MODEMS) > 1000:  # one agent port per live proxy: the range must hold every slot
        env["AGENT_PORT_RANGE_START"] = "20000"
        env["AGENT_PORT_RANGE_END"] = str(20000 + slots + len(flow.DEFAULT_MODEMS) - 1)
    env.setdefault("PV_HEALTH_TIMEOUT", "240")  # the agent registers every modem with the fleet before it is ready
    if args.jfr:
        # JFR keeps 64 frames by default; a reactive call is deeper, and the project's own frames sit at the
        # bottom of it (only JVMs the bench starts get this)
        env["JAVA_TOOL_OPTIONS"] = (env.get("JAVA_TOOL_OPTIONS", "") + " -XX:FlightRecorderOptions:stackdepth=512").strip()
    started_apps = False
    if flow.stack_quiet("running", "apps") == 0:
        problems = flow.settings_problems(STACK, modems)
        if problems:
            die("the running stack lacks this bench's settings (bin/stack down apps, or let the bench start it):\n  - "
                + "\n  - ".join(problems))
        log("using the running stack")
    else:
        started_apps = True
        flow.stack_cmd("up", env=env)
    problems = flow.settings_problems(STACK, modems)
    agent_env = flow.proc_environ(flow.read_pid(STACK, "device-agent"))
    ports = int(agent_env.get("AGENT_PORT_RANGE_END", "20999")) - int(agent_env.get("AGENT_PORT_RANGE_START", "20000")) + 1
    if ports < slots:
        problems.append("device-agent has %d ports, this run needs %d (modems x capacity)" % (ports, slots))
    if problems:
        die("the stack lacks the bench settings: " + "; ".join(problems))
    pm, port = pg_port()
    changed_capacity = set_modem_capacity(port, args.modem_capacity)
    sink = Sink()
    receiver = None
    resellers = []
    op = flow.Api(flow.operator_token())
    out = {"modems": modems, "modem_capacity": args.modem_capacity, "clients": args.api_clients, "resellers_n": args.resellers,
           "rate_limit": int(flow.proc_environ(flow.read_pid(STACK, "api-gateway")).get("RATE_LIMIT_PER_MINUTE", "60"))}
    try:
        # ----- resellers with money and a webhook to our sink -----------------------------------------
        receiver = flow.Receiver(("127.0.0.1", 0), flow.HookHandler)
        receiver.bench = sink
        threading.Thread(target=receiver.serve_forever, name="webhook-sink", daemon=True).start()
        url = "http://127.0.0.1:%d/bench-pay/webhook" % receiver.server_address[1]
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        per_reseller = math.ceil(args.expected_rate * (max(args.warmup, args.max_warmup) + args.duration) / args.resellers) + 100
        for i in range(args.resellers):
            name = "bench-pay-%s-%d" % (stamp, i)
            status, body, _ = op.call("POST", "/v1/admin/resellers", {"name": name})
            if status != 201:
                die("POST /v1/admin/resellers answered %s: %s" % (status, body))
            rid, key = int(body["id"]), body["api_key"]["key"]
            resellers.append({"index": i, "id": rid, "name": name, "key": key, "api": flow.Api(key)})
        api0 = resellers[0]["api"]
        status, body, _ = api0.call("GET", "/v1/reseller/products")
        if status != 200:
            die("GET /v1/reseller/products answered %s" % status)
        price, product, pricing, label = min((decimal.Decimal(pr["price"]), prod["id"], pr["id"], pr["label"])
                                             for prod in body["products"] for pr in prod["pricing"])
        for r in resellers:
            amount = (price * per_reseller).quantize(decimal.Decimal("0.01"))
            status, body, _ = op.call("POST", "/v1/admin/resellers/%d/topups" % r["id"],
                                      {"amount": str(amount), "reference": r["name"] + "-topup"})
            if status != 201:
                die("top-up answered %s: %s" % (status, body))
            status, body, _ = r["api"].call("POST", "/v1/reseller/webhooks", {"url": url, "events": "*"})
            if status != 201:
                die("POST /v1/reseller/webhooks answered %s: %s" % (status, body))
            r["webhook"] = body["id"]
            sink.secrets[r["id"]] = body["secret"]
        out.update({"price": str(price), "product": product, "pricing": pricing, "pricing_label": label,
                    "topup_each": str((price * per_reseller).quantize(decimal.Decimal("0.01"))), "webhook_url": url})
        log("%d resellers topped up with %s USD each, webhooks '*' -> %s; product %s pricing %s (%s, %s USD)"
            % (len(resellers), out["topup_each"], url, product, pricing, label, price))

        load = Load(resellers, product, pricing, args.api_clients)
        # ----- warm-up: the JVMs JIT-compile the purchase path; not counted ------------------------
        # in chunks of --warmup s until no service JVM spends more than JIT_SETTLED of its CPU compiling (a
        # just-started stack on 2 busy cores compiles for minutes: measured cold, a purchase cost ~3x more)
        warm_paid, warm_wall, chunks = 0, 0.0, []
        while True:
            jb = jvm_snapshot()
            p, w = load.run("warmup", args.warmup)
            shares = jvm_shares(jb, jvm_snapshot())
            warm_paid, warm_wall = warm_paid + p, warm_wall + w
            worst = max(((v["jit"] or 0.0, k) for k, v in shares.items()), default=(0.0, "-"))
            chunks.append({"paid": p, "wall_s": w, "jit": {k: v["jit"] for k, v in shares.items()}})
            log("warm-up: %.0f s: %.1f paid/s; JIT compiler threads up to %.0f %% of a JVM's CPU (%s)"
                % (warm_wall, p / w, worst[0] * 100, worst[1]))
            if worst[0] < JIT_SETTLED or warm_wall >= args.max_warmup:
                break
            # Give the chunk's modems back (one simulated modem serves one proxy): a long warm-up would
            # otherwise use up the modems and the window would measure refunds instead of provisioning.
            free_modems(resellers)
        out["warmup_chunks"] = chunks
        out["warmup_settled"] = worst[0] < JIT_SETTLED
        log("warm-up: %d paid in %.1f s; draining" % (warm_paid, warm_wall))
        drain(sink, warm_paid, 2.0, args.drain_timeout)
        free_modems(resellers)
        time.sleep(3)  # the disconnections' own events and webhooks settle before the idle baseline
        # ----- idle baseline (also lets PostgreSQL's statistics catch up) ------------------------
        idle_before, t_idle, commits_idle = flow.cpu_snapshot(STACK), now(), pg_commits(port)
        time.sleep(args.idle_seconds)
        idle_rate = {k: v / (now() - t_idle) for k, v in flow.stats.ticks_delta(idle_before, flow.cpu_snapshot(STACK)).items()}
        commits_before = pg_commits(port)
        idle_s = now() - t_idle
        out["idle_commits_per_s"] = {db: (v["commit"] + v["rollback"] - commits_idle.get(db, {}).get("commit", 0)
                                          - commits_idle.get(db, {}).get("rollback", 0)) / idle_s
                                     for db, v in commits_before.items()}
        hooks_before = dict(sink.counts)
        # ----- measurement ---------------------------------------------------------------------------
        jfr = {}
        if args.jfr:
            pids = {n: flow.read_pid(STACK, n) for n in args.jfr.split(",")}
            jfr = jfr_start({n: p for n, p in pids.items() if p}, args.duration)
        log("measuring: %d clients for %g s" % (args.api_clients, args.duration))
        out["loadavg_start"] = os.getloadavg()[0]
        cpu_before, jvm_before = flow.cpu_snapshot(STACK), jvm_snapshot()
        paid, wall = load.run("measure", args.duration)
        cpu_load_end = flow.cpu_snapshot(STACK)
        out["jvm_shares"] = jvm_shares(jvm_before, jvm_snapshot())
        out["loadavg_end"] = os.getloadavg()[0]
        log("measured: %d paid in %.1f s = %.1f paid orders/s; draining" % (paid, wall, paid / wall))
        total_paid = sum(1 for _, _, _, s in load.results if s == 200)
        drain_s, drained = drain(sink, total_paid, 3.0, args.drain_timeout)
        cpu_after = flow.cpu_snapshot(STACK)
        time.sleep(11)  # backends report their statistics up to 10 s late once idle (PostgreSQL 15)
        commits_after = pg_commits(port)
        hooks_measured = {k: sink.counts.get(k, 0) - hooks_before.get(k, 0) for k in sink.counts}
        window_status = order_statuses(port, [o for ph, _, o, s in load.results if ph == "measure" and s == 200])
        log("the window's paid orders by status: %s" % window_status)
        # ----- no double spend ----------------------------------------------------------------------
        checks = verify(resellers, load, price)
        profiles = {}
        for name, f in jfr.items():
            for _ in range(60):
                if f.exists() and f.stat().st_size > 0:
                    break
                time.sleep(1)
            time.sleep(2)
            profiles[name] = jfr_summary(f)
        out.update({
            "paid": paid, "wall_s": wall, "paid_per_s": paid / wall, "warmup_paid": warm_paid,
            "warmup_wall_s": warm_wall, "errors": load.errors, "drain_s": drain_s, "drained": drained,
            "cpu_before": cpu_before, "cpu_load_end": cpu_load_end, "cpu_after": cpu_after, "idle_rate": idle_rate,
            "commits_before": commits_before, "commits_after": commits_after,
            "hooks": hooks_measured, "hooks_bad_signature": sink.bad_signature, "hooks_duplicates": sink.duplicates,
            "hooks_unparsable": sink.unparsable, "checks": checks, "profiles": profiles,
            "orders_total": len(load.results), "paid_total": total_paid, "window_status": window_status})
        return out
    finally:
        # The window's proxies hold modems and agent ports for their paid hour: give them back, or a stack kept
        # after the bench (or started again on the same .stack) has no free modem for its next purchase (a new
        # user's `bin/stack up` after a bench run: "No free modem available").
        try:
            free_modems(resellers)
        except Exception as e:  # noqa: BLE001
            log("freeing the bench's modems failed: %r" % e)
        try:
            restore_modem_capacity(port, args.modem_capacity, changed_capacity)
        except (Exception, SystemExit) as e:  # noqa: BLE001 (psql's failure is a die(): the rest must still run)
            log("restoring the modems' capacity failed: %r" % e)
        for r in resellers:
            if r.get("webhook") is not None:
                try:
                    r["api"].call("DELETE", "/v1/reseller/webhooks/%s" % r["webhook"])
                except Exception as e:  # noqa: BLE001
                    log("deleting webhook %s failed: %r" % (r["webhook"], e))
        if receiver is not None:
            receiver.shutdown()
        if started_apps and not args.keep_stack:
            flow.stack_cmd("down", "apps", check=False)


def stack_numbers(st):
    """CPU ms per paid order per process, over the load and the drain after it; net of the idle rate."""
    window = None
    delta = flow.stats.ticks_delta(st["cpu_before"], st["cpu_after"])
    machine_busy = delta.pop("machine (all processes)", None)
    paid = st["paid"] or 1
    window = st["wall_s"] + st["drain_s"]
    idle_cores = sum(v for k, v in st["idle_rate"].items() if k not in ("bench/flow itself", "machine (all processes)"))
    idle_busy = idle_cores > BUSY_IDLE_CORES
    rows = {}
    for name, used in delta.items():
        idle = 0.0 if idle_busy else st["idle_rate"].get(name, 0.0)
        rows[name] = {"ms": used * 1000 / paid, "idle_ms_s": st["idle_rate"].get(name, 0.0) * 1000,
                      "net_ms": (used - idle * window) * 1000 / paid}
    commits = {}
    for db, after in st["commits_after"].items():
        before = st["commits_before"].get(db, {"commit": 0, "rollback": 0})
        idle = 0.0 if idle_busy else st.get("idle_commits_per_s", {}).get(db)
        total = after["commit"] - before["commit"] + after["rollback"] - before["rollback"]
        commits[db] = {"commit": (after["commit"] - before["commit"]) / paid,
                       "rollback": (after["rollback"] - before["rollback"]) / paid,
                       # the pollers' and sweeps' own transactions over the window taken out (idle rate)
                       "net": (total - idle * (window + 11.0)) / paid if idle is not None else None}
    own = sum(delta.values())
    return {"cpu": rows, "window_s": window, "commits": commits, "idle_cores": idle_cores, "idle_busy": idle_busy,
            "others_cores": ((machine_busy - own) / window) if machine_busy is not None else None,
            "stack_ms": sum(v["ms"] for k, v in rows.items() if k != "bench/flow itself"),
            "stack_net_ms": sum(v["net_ms"] for k, v in rows.items() if k != "bench/flow itself")}


# ---------------------------------------------------------------------------------------------------
# Report

def f0(x):
    return "-" if x is None else "%.0f" % x


def f1(x):
    return "-" if x is None else "%.1f" % x


def f2(x):
    return "-" if x is None else "%.2f" % x


def met(ok):
    return "**met**" if ok else "**not met**"


def render_ledger(led):
    s = summarize_ledger(led)
    lines = ["#### Ledger SQL in pgbench (%s)" % led["pgbench"], ""]
    lines.append(
        "Scratch database `%s` on the stack's PostgreSQL (port %d; `fsync`, `synchronous_commit` and "
        "`full_page_writes` off, as bin/stack runs it), built from billing's migrations in Flyway's order (%s), "
        "dropped afterwards. `pgbench -M extended -c %d -j %d -T %d` per run (bind parameters, as the Vert.x "
        "client sends them), one account per client (reseller_id = base + client_id: no client waits for "
        "another's row lock), one transaction per charge, a new reference each. (a) `UPDATE min_accounts SET "
        "balance = balance - 10.00 WHERE reseller_id = :r AND balance >= 10.00` + `INSERT INTO min_entries` "
        "(tables with only a primary key and a CHECK); (b) Ledger.post: its one call of billing's `ledger_post` "
        "function (V5), verbatim (`bench/pay/sql/ledger_post.pgbench`); (c) (b) + the `charge.posted` outbox insert "
        "(its trigger notifies on commit), i.e. ChargeService.charge's whole transaction; (d) before: the five "
        "statements Ledger.post sent per charge up to commit 596256d (`five_statements.pgbench`), on the same "
        "tables and triggers. %d rounds, variants alternating "
        "within each round. *PostgreSQL µs/tx* = CPU of the postmaster and all its backends (`/proc`) per "
        "transaction, which a busy machine disturbs less than tps; *others* = cores used by every other "
        "process on the machine during the run." % (
            SCRATCH_DB, led["port"], ", ".join("`%s`" % m for m in led["migrations"]), led["clients"],
            led["threads"], led["seconds"], led["rounds"]))
    lines.append("")
    a, b = s.get("a", {}), s.get("b", {})
    ok = s["ratio_b_a"] is not None and s["ratio_b_a"] >= AIM_RATIO
    c_txt = ""
    if "c" in s:
        c_txt = "; (c) the whole charge transaction **%s tps**, %s× the minimal (%s µs/tx)" % (
            f0(s["c"]["tps"]), f2(s["ratio_c_a"]), f0(s["c"]["pg_us"]))
    if "d" in s:
        c_txt += ("; (d) before, the five statements of commit 596256d: **%s tps**, %s× the minimal (%s µs/tx)"
                  % (f0(s["d"]["tps"]), f2(s["ratio_d_a"]), f0(s["d"]["pg_us"])))
    lines.append("**Real debit vs minimal**: (a) **%s tps** (PostgreSQL %s µs/tx), (b) Ledger.post **%s tps** "
                 "(%s µs/tx): ratio b/a **%s×** (aim ≥ %.1f×: %s; per round %s)%s. In PostgreSQL CPU per charge, "
                 "(b) costs %s× (a)." % (
                     f0(a.get("tps")), f0(a.get("pg_us")), f0(b.get("tps")), f0(b.get("pg_us")),
                     f2(s["ratio_b_a"]), AIM_RATIO, met(ok), ", ".join(f2(x) for x in s["per_round_ratio"]), c_txt,
                     f2(ratio(b.get("pg_us"), a.get("pg_us")))))
    lines.append("")
    h = s["history"]
    if h:
        flat = s.get("flat_ratio_100k_0")
        lines.append("**Flat in the history's length** (Ledger.post, medians): " + ", ".join(
            "%s: %s tps / %s µs/tx / %s ms mean latency" % (
                "{:,} entries per account".format(k) if k else "a fresh account (only its top-up)",
                f0(v["tps"]), f0(v["pg_us"]), f2(v["lat_ms"])) for k, v in sorted(h.items()))
            + "; 100,000 vs fresh: **%s×** the tps, %s× the PostgreSQL CPU per charge (entries per account at "
              "the start of each run in the table: the runs add to them)." % (f2(flat), f2(s.get("flat_cpu_ratio_100k_0"))))
        lines.append("")
    lines.append("| run | series | variant | entries/account at start | tps | failed | mean latency ms | PostgreSQL µs/tx | pgbench µs/tx | machine busy (cores) | others (cores) | load avg |")
    lines.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(led["runs"], 1):
        lines.append("| %d | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
            i, "A/B" if r["series"] == "ab" else "history", "(%s) %s" % (r["variant"], VARIANTS[r["variant"]][0]),
            "{:,}".format(r["entries_at_start"]) if "entries_at_start" in r else "",
            f0(r["tps"]), r["failed"], f2(r["latency_ms"]), f0(r["pg_cpu_us_per_tx"]), f0(r["pgbench_cpu_us_per_tx"]),
            f2(r["machine_busy_cores"]), f2(r["others_cores"]), f2(r["loadavg"])))
    lines.append("")
    lines.append("History accounts were written in bulk (generate_series, triggers off for that session: one "
                 "top-up, then 10.00 charges, seq 1..n, running balance_after; %s entries in %.0f s) and then "
                 "checked with LedgerCheck's statement; after all runs %d accounts of the scratch database drift "
                 "(the triggers held for every posting)." % ("{:,}".format(led["prefill_rows"]), led["prefill_s"],
                                                             led["drift_after"]))
    lines.append("")
    return lines


def capacity_text(st):
    c = st.get("modem_capacity")
    if c is None:  # runs before the capacity setting: one proxy per modem
        return "capacity 1: one per order, so provisioning never runs out"
    return ("capacity %d each (`modems.capacity` set by the bench: %d slots, every agent port with them; the warm-up "
            "chunks give theirs back, and the window its own at the end) so the window's orders all find a modem" % (c, c * st["modems"]))


def warmup_text(st):
    chunks = st.get("warmup_chunks")
    if not chunks:  # runs before the JIT-aware warm-up
        return "%g s of warm-up" % st["args"]["warmup"]
    return ("%.0f s of warm-up in chunks of %g s until every service JVM spent < %d %% of its CPU in JIT compiler "
            "threads (%s; paid/s per chunk %s)" % (
                st["warmup_wall_s"], st["args"]["warmup"], JIT_SETTLED * 100,
                "settled" if st.get("warmup_settled") else "**not settled** within %g s" % st["args"].get("max_warmup", 0),
                ", ".join("%.1f" % (c["paid"] / c["wall_s"]) for c in chunks)))


def render_stack(st):
    n = stack_numbers(st)
    lines = ["#### Paid orders on the stack", ""]
    lines.append(
        "`bin/stack up` with `RATE_LIMIT_PER_MINUTE=%d` (the gateway's per-key limit, env knob bin/stack "
        "passes through: the seed's 60/min would allow 1 order/s per key) and %d modems (`AGENT_MODEMS`, "
        "%s). %d resellers, each topped up with %s USD "
        "through `/v1/admin/resellers/{id}/topups` and with a webhook for `*` to the bench's sink %s "
        "(`WEBHOOK_ALLOWED_INSECURE_HOSTS=127.0.0.1,localhost` in bin/stack; signatures checked). %d clients "
        "(client i buys as reseller i mod %d, keep-alive connections to the gateway on 127.0.0.1:8080), each "
        "looping `POST /v1/reseller/orders` (product %s, pricing %s: %s, %s USD) → `POST .../pay`: %s "
        "(not counted, %d paid), drain, %g s idle baseline, then **%g s measured**." % (
            st["rate_limit"], st["modems"], capacity_text(st), st["resellers_n"], st["topup_each"], st["webhook_url"], st["clients"],
            st["resellers_n"], st["product"], st["pricing"], st["pricing_label"], st["price"], warmup_text(st),
            st["warmup_paid"], st["args"]["idle_seconds"], st["args"]["duration"]))
    lines.append("")
    ok_rate = st["paid_per_s"] >= AIM_ORDERS_PER_S
    net_total = n["stack_net_ms"]
    lines.append("**%s paid orders/s** (%d paid in %.1f s; aim ≥ %d: %s). Stack CPU per paid order **%s ms** "
                 "(%s ms above idle; aim ≤ %g ms: %s). Errors: %s. Webhooks during the measurement and its drain: %s; "
                 "%d bad signatures, %d duplicates; drained in %.1f s%s." % (
                     f1(st["paid_per_s"]), st["paid"], st["wall_s"], AIM_ORDERS_PER_S, met(ok_rate),
                     f1(n["stack_ms"]), f1(net_total), AIM_CPU_MS, met(net_total <= AIM_CPU_MS),
                     ", ".join("%s × %d" % kv for kv in sorted(st["errors"].items())) or "none",
                     ", ".join("%s %d" % kv for kv in sorted(st["hooks"].items())) or "none",
                     st["hooks_bad_signature"], st["hooks_duplicates"], st["drain_s"],
                     "" if st["drained"] else " (**not drained** within the timeout)"))
    ws = st.get("window_status")
    if ws:
        total = sum(ws.values())
        lines.append("")
        lines.append("**The window's %d paid orders after the drain**: %s (%s %% active)." % (
            total, ", ".join("%s %d" % kv for kv in sorted(ws.items(), key=lambda kv: -kv[1])),
            f1(100.0 * ws.get("active", 0) / total)))
    if n["idle_busy"]:
        lines.append("")
        lines.append("**The idle baseline was not idle**: the stack used %.2f cores during it (more than %.2f: a backlog "
                     "still being worked off), so nothing is subtracted: every *net* figure below, and *above idle* "
                     "above, equals the gross one." % (n["idle_cores"], BUSY_IDLE_CORES))
    lines.append("")
    bad = [c for c in st["checks"] if c["problems"]]
    lines.append("**Double spends: %s.** After the run, for every reseller (all %d orders of warm-up and "
                 "measurement): balance = top-ups − charges + refunds from `GET /v1/reseller/balance/transactions` "
                 "(all pages), one %s USD charge per order whose pay answered 200 and none for any other, and the "
                 "ledger's `total` = top-up + charges + refunds." % (
                     "none" if not bad else "**%d resellers fail the check**" % len(bad), st["orders_total"], st["price"]))
    lines.append("")
    lines.append("| reseller | paid (200) | pay unanswered | charges | refunds | ledger total | balance | top-ups − price × paid + refunds | check |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for c in st["checks"]:
        lines.append("| %s | %d | %d | %d | %d | %d | %s | %s | %s |" % (
            c["reseller"], c["paid"], c["pay_unanswered"], c["charges"], c["refunds"], c["entries_total"], c["balance"],
            c["expected_balance"], "ok" if not c["problems"] else "**" + "; ".join(c["problems"]) + "**"))
    lines.append("")
    lines.append("CPU per paid order (utime+stime from `/proc/<pid>/stat`; PostgreSQL = postmaster and all its "
                 "backends, i.e. every service's database) from the start of the measurement until its webhooks "
                 "were drained (%.1f s), divided by the %d orders paid in the measurement; *(JIT n %%, GC n %%)* = share of that JVM's CPU "
                 "in its JIT compiler and GC threads during the measurement; *idle* = the same "
                 "process's rate over the idle baseline; *net* subtracts it over the window. Transactions = "
                 "`pg_stat_database` commits (+ rollbacks) per paid order over the same span (read 11 s after "
                 "the drain: backends report late); *net* takes out the rate of the idle baseline (pollers, "
                 "sweeps) over that span." % (n["window_s"], st["paid"]))
    lines.append("")
    lines.append("| process | CPU ms / paid order | idle CPU ms/s | net ms / paid order | database | transactions / paid order |")
    lines.append("|---|---:|---:|---:|---|---:|")
    dbs = {"billing-service": "billing", "order-service": "orders", "proxy-fleet-service": "fleet",
           "webhook-service": "webhooks", "api-gateway": "gateway"}
    shares = st.get("jvm_shares", {})
    for name in SERVICES + ["postgresql", "kafka", "bench/flow itself"]:
        c = n["cpu"].get(name)
        db = dbs.get(name)
        tx = n["commits"].get(db) if db else None
        label = "bench/pay itself (clients, sink)" if name == "bench/flow itself" else name
        def net(t):
            return " (net %.1f)" % t["net"] if t.get("net") is not None else ""
        if name == "postgresql":
            tx_all = sum(v["commit"] + v["rollback"] for v in n["commits"].values())
            nets = [v["net"] for v in n["commits"].values() if v.get("net") is not None]
            tx_cell, db_cell = "%.1f%s" % (tx_all, " (net %.1f)" % sum(nets) if nets else ""), "all five"
        else:
            tx_cell = ("%.1f%s" % (tx["commit"] + tx["rollback"], net(tx))) + (
                ", %.2f rolled back" % tx["rollback"] if tx["rollback"] >= 0.005 else "") if tx else ""
            db_cell = db or ""
        sh = shares.get(name)
        jit = " (JIT %.0f %%, GC %.0f %%)" % ((sh["jit"] or 0) * 100, (sh["gc"] or 0) * 100) if sh else ""
        lines.append("| %s | %s%s | %s | %s | %s | %s |" % (
            label, f1(c["ms"]) if c else "n/a", jit, f1(c["idle_ms_s"]) if c else "", f1(c["net_ms"]) if c else "",
            db_cell, tx_cell))
    lines.append("| **stack total** (without the bench) | **%s** | | **%s** | | |" % (f1(n["stack_ms"]), f1(n["stack_net_ms"])))
    lines.append("")
    if n["others_cores"] is not None:
        lines.append("Machine: processes outside the stack and the bench used %.2f cores during the window; load "
                     "average %s at the start of the measurement, %s at its end." % (
                         n["others_cores"], f2(st["loadavg_start"]), f2(st["loadavg_end"])))
        lines.append("")
    for name, p in st.get("profiles", {}).items():
        if "error" in p:
            lines.append("JFR of %s: %s" % (name, p["error"]))
            continue
        lines.append("**JFR profile of %s** during the measurement (`settings=profile`, %d execution samples; "
                     "profiling costs CPU too, so this run's figures are a little pessimistic):" % (name, p["samples"]))
        lines.append("")
        lines.append("| top frame (self) | share | project method on the stack (inclusive) | share |")
        lines.append("|---|---:|---|---:|")
        for i in range(max(len(p["self"]), len(p["project"]))):
            a = p["self"][i] if i < len(p["self"]) else ("", None)
            b = p["project"][i] if i < len(p["project"]) else ("", None)
            lines.append("| `%s` | %s | `%s` | %s |" % (a[0], "%.1f %%" % (a[1] * 100) if a[1] else "",
                                                     b[0], "%.1f %%" % (b[1] * 100) if b[1] else ""))
        lines.append("")
        lines.append("By package of the top frame: " + ", ".join("`%s` %.1f %%" % (k, v * 100) for k, v in p["packages"][:10]) + ".")
        if p.get("areas"):
            lines.append("")
            lines.append("Samples whose stack passes through (inclusive, overlapping): " + ", ".join(
                "%s %.0f %%" % (k, v * 100) for k, v in p["areas"]) + ". By thread: " + ", ".join(
                "`%s` %.0f %%" % (k, v * 100) for k, v in p.get("threads", [])[:6]) + ".")
        lines.append("")
    return lines


def render(label, meta, led, st):
    g, m = meta["git"], meta["machine"]
    lines = ["### %s — %s, commit `%s`" % (label, meta["date"], g["short"]), ""]
    lines.append("- **Code measured**: commit `%s` (%s); checkout at `%s` on branch `%s`%s" % (
        g["code_commit"], g["subject"], g["commit"][:10], g["branch"],
        (", **with uncommitted changes outside bench/**" if g["dirty"] else "") + flow.stale_note(g)))
    lines.append("- **Machine**: nproc %d, %s, %s RAM, Linux %s, %s, Python %s. **Shared and busy**: other "
                 "engineers' builds, tests and stacks ran on the same cores; load average **%.2f** at the start "
                 "(1-minute, %d cores). Compare runs within this section (alternating rounds), not with other "
                 "machines or days." % (m["nproc"], m["cpu"], m["memory"], m["kernel"], m["java"], m["python"],
                                        meta["loadavg_start"], m["nproc"]))
    lines.append("- **Command**: `%s`" % meta["command"])
    lines.append("")
    if led:
        lines += render_ledger(led)
    if st:
        lines += render_stack(st)
    return "\n".join(lines).rstrip("\n") + "\n"


DOC_SECTION_HEAD = "## bench/pay: what a purchase costs (issue 7, item 7)\n\n### Results (bench/pay)\n\n"


def write_doc(path, label, section):
    """Replaces this label's block, or adds it before the section's end marker (creating the section at the
    end of the file when there is none). Nothing else of the file changes."""
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
        text = text.rstrip("\n") + "\n\n" + DOC_SECTION_HEAD + block + "\n" + END_MARK + "\n"
    path.write_text(text)


# ---------------------------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/pay/run",
        description="What a purchase costs: billing's ledger SQL vs a minimal debit in pgbench, and paid orders/s "
                    "with CPU per order on the local stack (docs/benchmarks.md, 'bench/pay'). The stack part "
                    "uses the shared service ports: run it under `flock /tmp/pv-stack.lock`.")
    ap.add_argument("--label", default="latest", help="section name in the output (replaced if it exists; default latest)")
    ap.add_argument("--quick", action="store_true",
                    help="shorter everything: pgbench 5 s x 2 rounds, stack 10 s warm-up + 20 s measured")
    ap.add_argument("--only", choices=["ledger", "stack"], help="run one part (ledger needs only PostgreSQL)")
    ap.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"), help="markdown file ('-' = print only)")
    ap.add_argument("--clients", type=int, default=8, help="pgbench clients (-c; default 8)")
    ap.add_argument("--threads", type=int, default=2, help="pgbench threads (-j; default 2)")
    ap.add_argument("--pg-seconds", type=int, help="seconds per pgbench run (default 10, --quick 5)")
    ap.add_argument("--rounds", type=int, help="alternating rounds (default 3, --quick 2)")
    ap.add_argument("--no-charge-tx", action="store_true", help="skip variant (c), the whole charge transaction")
    ap.add_argument("--no-before", action="store_true",
                    help="skip variant (d), the five statements Ledger.post sent before V5")
    ap.add_argument("--keep-db", action="store_true", help="leave the scratch database for inspection")
    ap.add_argument("--api-clients", type=int, default=16, help="purchase clients on the stack (default 16)")
    ap.add_argument("--resellers", type=int, default=4, help="benchmark resellers (default 4)")
    ap.add_argument("--duration", type=float, help="measured seconds (default 60, --quick 20)")
    ap.add_argument("--warmup", type=float, help="warm-up seconds, not counted (default 30, --quick 10)")
    ap.add_argument("--max-warmup", type=float,
                    help="warm-up goes on in chunks of --warmup s while a JVM's JIT uses >= 10%% of its CPU, up to "
                         "this many seconds (default 180, --quick 90)")
    ap.add_argument("--idle-seconds", type=float, default=10.0, help="idle CPU baseline before measuring (default 10)")
    ap.add_argument("--drain-timeout", type=float, default=60.0, help="most seconds to wait for the webhooks (default 60)")
    ap.add_argument("--expected-rate", type=float, default=60.0,
                    help="paid orders/s to provision for (modems and top-ups; default 60)")
    ap.add_argument("--modems", type=int, help="simulated modems (default from --expected-rate, at most 2000)")
    ap.add_argument("--modem-capacity", type=int,
                    help="proxies per simulated modem (default: 2.5x the slots --expected-rate needs for the "
                         "window or a warm-up chunk)")
    ap.add_argument("--jfr", default="", help="comma-separated services to profile with JFR during the measurement")
    ap.add_argument("--keep-stack", action="store_true", help="leave services this run started running")
    ap.add_argument("--json", help="raw results file (default .stack/bench-pay/<label>-<time>.json)")
    ap.add_argument("--rerender", metavar="RAW_JSON", help="no run: rewrite the section from a raw results file")
    args = ap.parse_args(argv)
    args.pg_seconds = args.pg_seconds or (5 if args.quick else 10)
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.duration = args.duration or (20.0 if args.quick else 60.0)
    args.warmup = args.warmup if args.warmup is not None else (10.0 if args.quick else 30.0)
    args.max_warmup = args.max_warmup if args.max_warmup is not None else (90.0 if args.quick else 180.0)
    # one modem per order, AGENT_MODEMS must stay under the kernel's 128 KiB per environment string
    # (3,500 modems kept the agent from registering with the fleet within bin/stack's 90 s on the busy
    # machine; 1,900 came up. Orders beyond the modems fail provisioning and are refunded: the check counts it.)
    args.modems = args.modems or min(2000, int(args.expected_rate * (max(args.warmup, args.max_warmup) + args.duration)) + 100)
    args.modem_capacity = args.modem_capacity or max(1, math.ceil(
        2.5 * args.expected_rate * max(args.duration, args.warmup) / args.modems))
    return args


def main(argv):
    args = parse_args(argv)
    if args.rerender:
        raw = json.loads(Path(args.rerender).read_text())
        label = args.label if args.label != "latest" else raw["meta"]["label"]
        section = render(label, raw["meta"], raw.get("ledger"), raw.get("stack"))
        print(section)
        if args.output != "-":
            write_doc(Path(args.output), label, section)
        return 0
    if os.geteuid() != 0:
        log("not root: bin/stack needs root; reading /proc of PostgreSQL may fail")
    meta = {"label": args.label, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine.machine_info(), "git": flow.git_info(), "loadavg_start": os.getloadavg()[0],
            "command": " ".join(["%s=%s" % (k, shlex.quote(os.environ[k])) for k in
                                 ("PV_PG_PORT", "PV_KAFKA_PORT", "PV_KAFKA_CONTROLLER_PORT", "PV_SKIP_BUILD")
                                 if k in os.environ] + ["bench/pay/run"] + [shlex.quote(a) for a in argv])}
    led = st = None
    raw_path = Path(args.json) if args.json else WORK / ("%s-%s.json" % (
        args.label, datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")))
    try:
        if args.only in (None, "ledger"):
            led = ledger_part(args)
        if args.only in (None, "stack"):
            st = stack_part(args)
            st["args"] = {"warmup": args.warmup, "duration": args.duration, "idle_seconds": args.idle_seconds,
                          "max_warmup": args.max_warmup}
    except Abort as e:
        log("ERROR: " + str(e))
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    raw_path.write_text(json.dumps({"meta": meta, "ledger": led, "stack": st}, indent=1, default=str))
    log("raw results: %s" % raw_path)
    section = render(args.label, meta, led, st)
    print(section)
    if args.output != "-":
        write_doc(Path(args.output), args.label, section)
        log("wrote section '%s' of %s" % (args.label, args.output))
    bad = st and any(c["problems"] for c in st["checks"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
