"""bench/summary - every benchmark's newest figures in one table (bench/run; Python 3 stdlib only).

The source is what the benchmarks already write: their sections of docs/benchmarks.md, between
<!-- bench/<name>:<label> --> and <!-- /bench/<name>:<label> --> markers. Each section names its date,
commit and machine; for every figure the table takes the newest section that has it. The table goes
between <!-- bench/run:summary --> markers near the top of the file; nothing else of the file changes.

Figures whose reference is another program measured in the same run (nginx, tinyproxy, dante, pgbench's
minimal debit) get ratio = figure / reference; figures with no reference program (webhooks, the purchase
flow, paid orders on the stack) are compared with the issue's aim ("aim" in the reference column) and
their ratio is figure / aim.
"""

import datetime
import re

ORDER = ["gateway", "flow", "proxy", "webhooks", "pay", "fleet"]  # the order of docs/benchmarks.md
SUMMARY = "run"
BEGIN = "<!-- bench/run:summary -->"
END = "<!-- /bench/run:summary -->"
SECTION_HEAD = "## bench/run: every benchmark in one table"

BLOCK = re.compile(r"<!-- bench/([\w-]+):([^\s>]+) -->\n(.*?)<!-- /bench/\1:\2 -->", re.S)
NUM = r"-?[\d,]+(?:\.\d+)?"


# ---------------------------------------------------------------------------------------------------
# reading the document

def sections(text):
    """Every result block of the document, in file order: dicts with bench, label, text, start, end,
    heading (its first '#' line), date (datetime or None), date_text, commit, nproc, load."""
    out = []
    for m in BLOCK.finditer(text):
        bench, label, body = m.group(1), m.group(2), m.group(3)
        if bench == SUMMARY:
            continue
        heading = next((ln.strip() for ln in body.splitlines() if ln.startswith("#")), "")
        s = {"bench": bench, "label": label, "text": body, "start": m.start(), "end": m.end(), "heading": heading}
        s.update(header_facts(heading, body))
        out.append(s)
    return out


def header_facts(heading, body):
    facts = {"date": None, "date_text": "?", "commit": "?", "nproc": None, "load": None}
    d = re.search(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d)", heading)
    if d:
        facts["date"] = datetime.datetime.strptime(d.group(1) + " " + d.group(2), "%Y-%m-%d %H:%M")
        facts["date_text"] = "%s %s UTC" % (d.group(1), d.group(2))
    c = re.search(r"commit `?([0-9a-f]{7,40})", heading)
    if c:
        facts["commit"] = c.group(1)[:7]
    n = re.search(r"nproc (\d+)", body) or re.search(r"(\d+) CPUs", heading)
    if n:
        facts["nproc"] = int(n.group(1))
    ld = re.search(r"load average \**(%s)\**" % NUM, body)
    if ld:
        facts["load"] = float(ld.group(1))
    return facts


def md_tables(text):
    """The markdown tables of a text: lists of rows, each a list of stripped cells; row 0 is the header."""
    tables, current = [], None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            if current is None:
                if i + 1 < len(lines) and re.match(r"^\|[\s|:-]+\|$", lines[i + 1].strip()):
                    current = [cells(s)]
                continue
            if re.match(r"^\|[\s|:-]+\|$", s):
                continue
            current.append(cells(s))
        elif current is not None:
            tables.append(current)
            current = None
    if current is not None:
        tables.append(current)
    return tables


def cells(row):
    return [c.strip() for c in row.strip().strip("|").split("|")]


def table_with(text, first_header):
    for t in md_tables(text):
        if t[0] and t[0][0].startswith(first_header):
            return t
    return None


def plain(cell):
    return cell.replace("**", "").replace("`", "").strip()


def num(s):
    return float(s.replace(",", ""))


def fmt(x, digits=0):
    if x is None:
        return "–"
    if abs(x) >= 1000 and digits == 0:
        return "{:,.0f}".format(x)
    return "%.*f" % (digits, x)


def times(r):
    return "–" if r is None else ("%.2f×" % r)


def verdict(ok):
    if ok is None:
        return "–"
    if isinstance(ok, str):
        return ok
    return "yes" if ok else "**no**"


def aim_ok(value, op, aim):
    return value >= aim if op == "≥" else value <= aim


# ---------------------------------------------------------------------------------------------------
# figures per bench: each returns [{key, figure, value, reference, ratio, aim}] for one section

def gateway_figures(s):
    t, out = s["text"], []
    m = re.search(r"\*\*Throughput\*\* \(closed loop, -c(\d+)\): gateway \*\*(%s) req/s\*\*, nginx \*\*(%s) req/s\*\* "
                  r"\(medians\), ratio gateway/nginx \*\*(%s)\*\* \(aim ≥ (%s): \*\*(met|not met)\*\*" % ((NUM,) * 4), t)
    if m:
        out.append({"key": "throughput",
                    "figure": "`GET /v1/reseller/balance` through the api-gateway, closed loop, %s connections" % m.group(1),
                    "value": "%s req/s" % fmt(num(m.group(2))), "reference": "nginx `proxy_pass`: %s req/s" % fmt(num(m.group(3))),
                    "ratio": times(num(m.group(4))), "aim": "≥ %s×: %s" % (m.group(5), verdict(m.group(6) == "met"))})
    m = re.search(r"\*\*Latency at (%s) req/s\*\* \((%s) %% of nginx's peak[^)]*\): p50 / p99 gateway (%s) / (%s) ms, "
                  r"nginx (%s) / (%s) ms \(medians of the runs\); gateway p99 − nginx p99 = \*\*(%s) ms\*\* "
                  r"\(aim ≤ (%s) ms: \*\*([\w ]+)\*\*" % ((NUM,) * 8), t)
    if m:
        g99, n99, diff = num(m.group(4)), num(m.group(6)), num(m.group(7))
        word = m.group(9)
        out.append({"key": "paced-p99",
                    "figure": "p99 through the api-gateway at %s req/s (%s %% of nginx's peak, paced)" % (
                        fmt(num(m.group(1))), m.group(2)),
                    "value": "%.2f ms" % g99, "reference": "nginx `proxy_pass`: %.2f ms" % n99,
                    "ratio": "%s (%+.2f ms)" % (times(g99 / n99) if n99 else "–", diff),
                    "aim": "≤ nginx + %s ms: %s" % (m.group(8), verdict(
                        True if word == "met" else False if word == "not met" else word))})
    return out


FLOW_SIGNALS = [("active", "order `active`"), ("order.paid", "`order.paid` webhook"),
                ("proxy.provisioned", "`proxy.provisioned` webhook")]
FLOW_AIM_RATE = 20.0  # issue 5's aims are at 20 purchases/s


def flow_figures(s):
    t = s["text"]
    table = table_with(t, "pay 200 →")
    if not table:
        return []
    rate = re.search(r"open loop at (%s) purchases/s for (%s) s" % (NUM, NUM), t)
    rate_v = num(rate.group(1)) if rate else None
    cond = ("%g purchases/s for %g s, open loop" % (rate_v, num(rate.group(2)))) if rate else "open loop"
    out = []
    for key, name in FLOW_SIGNALS:
        row = next((r for r in table[1:] if plain(r[0]) == plain(name)), None)
        if not row or len(row) < 9:
            continue
        p99, aim_cell = plain(row[3]), plain(row[7])
        aim_m = re.search(r"(%s)" % NUM, aim_cell)
        aim = num(aim_m.group(1)) if aim_m else None
        if p99.startswith(">"):
            value, ratio, ok = "%s ms (timeouts)" % p99.split("(")[0].strip(), "> %s" % times(
                num(re.search(NUM, p99).group(0)) / aim) if aim else "–", False
        else:
            v = num(p99)
            value, ratio, ok = "%s ms" % fmt(v), times(v / aim) if aim else "–", v <= aim if aim else None
        met = verdict(ok)
        if ok and rate_v is not None and rate_v < FLOW_AIM_RATE:
            met = "yes at %g/s (the aim is at %g/s)" % (rate_v, FLOW_AIM_RATE)
        out.append({"key": key, "figure": "pay 200 → %s, p99; %s" % (name, cond), "value": value,
                    "reference": "aim: ≤ %s ms" % fmt(aim), "ratio": ratio, "aim": "≤ %s ms: %s" % (fmt(aim), met)})
    return out


PROXY_SCENARIOS = {"http-1k": "HTTP absolute-form, 1 KiB, kept-alive", "http-1m": "HTTP absolute-form, 1 MiB, kept-alive",
                   "connect-1k": "CONNECT, a new tunnel per 1 KiB request",
                   "socks5-1k": "SOCKS5, a new session per 1 KiB request",
                   "socks5-1m": "SOCKS5, a new session per 1 MiB request"}


def proxy_figures(s):
    t = s["text"]
    table = table_with(t, "scenario | agent req/s") or next(
        (x for x in md_tables(t) if x[0][:2] == ["scenario", "agent req/s"]), None)
    if not table:
        return []
    runs = next((x for x in md_tables(t) if x[0][:3] == ["scenario", "round", "target"]), None)
    errors = {}
    if runs:
        h = runs[0]
        for r in runs[1:]:
            try:
                errors[(r[0], r[2])] = errors.get((r[0], r[2]), 0) + int(r[h.index("errors")])
            except (ValueError, IndexError):
                pass
    conns = re.search(r"closed loop, (\d+) threads", t)
    aim_h = re.search(r"aim ≥ (%s)×" % NUM, " ".join(table[0]))
    out = []
    for r in table[1:]:
        if len(r) < 11:
            continue
        name, other = r[0], r[2]
        ratio_m = re.search(NUM, plain(r[4]))
        ref = "%s: %s req/s" % (other, fmt(num(r[3])))
        if errors.get((name, other)):
            ref += " (%s errors)" % fmt(errors[(name, other)])
        value = "%s req/s" % fmt(num(r[1]))
        if errors.get((name, "agent")):
            value += " (%s errors)" % fmt(errors[(name, "agent")])
        out.append({"key": name, "figure": "device agent's data path: %s%s" % (
                        PROXY_SCENARIOS.get(name, name), ", %s clients" % conns.group(1) if conns else ""),
                    "value": value, "reference": ref, "ratio": times(num(ratio_m.group(0))) if ratio_m else "–",
                    "aim": "≥ %s×: %s" % (aim_h.group(1) if aim_h else "1.5", verdict(plain(r[10]) == "yes"))})
    return out


def figure(key, name, value, reference, ratio, aim):
    return {"key": key, "figure": name, "value": value, "reference": reference, "ratio": ratio, "aim": aim}


def against_aim(key, name, val, value, op, aim, unit):
    """A figure with no reference program: compared with the issue's aim (op '≥' or '≤')."""
    aim_txt = "%s %s%s" % (op, fmt(aim), unit)
    return figure(key, name, value, "aim: " + aim_txt, times(val / aim) if aim else "–",
                  "%s: %s" % (aim_txt, verdict(aim_ok(val, op, aim))))


# key, the measure's first words, value and condition patterns, figure, value format, aim operator and unit
WEBHOOK_ROWS = [
    ("deliveries", "signed, persisted deliveries/s", r"\*\*(%s)/s\*\*", r"\((\d+ events × \d+ endpoints)",
     "signed, persisted webhook deliveries/s to a local sink", "%s/s", "≥", "/s"),
    ("latency", "event (Kafka ack)", r"p99 \*\*(%s) ms\*\*", r"at (\d+ events/s)",
     "event (Kafka ack) → receiver, p99", "%s ms", "≤", " ms"),
]


def webhooks_figures(s):
    t = s["text"]
    table = table_with(t, "measure")
    if not table:
        return []
    out = []
    for r in table[1:]:
        if len(r) < 3:
            continue
        measure, result, aim_cell = r[0], r[1], plain(r[2])
        a = re.search(r"([≥≤]) (%s)" % NUM, aim_cell)
        for key, prefix, value_re, cond_re, name, value_fmt, op, unit in WEBHOOK_ROWS:
            v, cond = re.search(value_re % NUM, result), re.search(cond_re, measure)
            if measure.startswith(prefix) and v and a:
                val = num(v.group(1))
                out.append(against_aim(key, name + (" (%s)" % ", ".join(cond.groups()) if cond else ""), val,
                                       value_fmt % fmt(val, 1 if unit == " ms" else 0), op, num(a.group(2)), unit))
        if "did not verify" in measure:
            v = re.search(NUM, plain(result))
            if v:
                out.append({"key": "bad-signatures", "figure": "deliveries whose signature did not verify",
                            "value": plain(result), "reference": "aim: 0", "ratio": "–",
                            "aim": "0: %s" % verdict(num(v.group(0)) == 0)})
    return out


def pay_figures(s):
    t, out = s["text"], []
    m = re.search(r"\(a\) \*\*(%s) tps\*\*.*?\(b\) Ledger\.post \*\*(%s) tps\*\* .*?ratio b/a \*\*(%s)×\*\* "
                  r"\(aim ≥ (%s)×: \*\*(met|not met)\*\*" % ((NUM,) * 4), t)
    if m:
        out.append(figure("ledger-ratio", "billing's charge posting (Ledger.post) in pgbench, tps", "%s tps" % fmt(num(m.group(2))),
                          "pgbench minimal debit: %s tps" % fmt(num(m.group(1))), times(num(m.group(3))),
                          "≥ %s×: %s" % (m.group(4), verdict(m.group(5) == "met"))))
    m = re.search(r"a fresh account \(only its top-up\): (%s) tps.*?100,000 entries per account: (%s) tps.*?"
                  r"100,000 vs fresh: \*\*(%s)×\*\*" % ((NUM,) * 3), t)
    if m:
        out.append(figure("ledger-flat", "Ledger.post on accounts with 100,000 ledger entries, tps", "%s tps" % fmt(num(m.group(2))),
                          "the same on a fresh account: %s tps" % fmt(num(m.group(1))), times(num(m.group(3))),
                          "flat (no threshold set): –"))
    m = re.search(r"\*\*(%s) paid orders/s\*\* \((\d+) paid in (%s) s; aim ≥ (%s): \*\*(met|not met)\*\*\)\. "
                  r"Stack CPU per paid order \*\*(%s) ms\*\* \((%s) ms above idle; aim ≤ (%s) ms: \*\*(met|not met)\*\*\)"
                  % ((NUM,) * 6), t)
    if m:
        clients = re.search(r"(\d+) clients \(client i", t)
        cond = "%s clients, webhooks flowing" % clients.group(1) if clients else "webhooks flowing"
        rate, aim_rate = num(m.group(1)), num(m.group(4))
        out.append({"key": "paid-per-s", "figure": "paid orders/s on the stack (%s)" % cond,
                    "value": "%s/s" % m.group(1), "reference": "aim: ≥ %s/s" % m.group(4),
                    "ratio": times(rate / aim_rate), "aim": "≥ %s/s: %s" % (m.group(4), verdict(m.group(5) == "met"))})
        net, aim_cpu = num(m.group(7)), num(m.group(8))
        out.append({"key": "cpu-per-order", "figure": "CPU per paid order, all processes, above idle",
                    "value": "%s ms (%s in all)" % (m.group(7), m.group(6)), "reference": "aim: ≤ %s ms" % m.group(8),
                    "ratio": times(net / aim_cpu), "aim": "≤ %s ms: %s" % (m.group(8), verdict(m.group(9) == "met"))})
    m = re.search(r"\*\*Double spends: (.*?)\.\*\*", t)
    if m:
        what = plain(m.group(1))
        orders = re.search(r"all (\d+) orders of warm-up", t)
        out.append({"key": "double-spends", "figure": "double spends after the stack run%s" % (
                        " (%s orders checked)" % fmt(num(orders.group(1))) if orders else ""),
                    "value": "0" if what == "none" else what, "reference": "aim: 0", "ratio": "–",
                    "aim": "0: %s" % verdict(what == "none")})
    return out


def fleet_figures(s):
    """bench/fleet's lead paragraph: streams held, CPU per heartbeat and heap per stream against the minimal
    grpc-java server, and the command round trip. Issue 8 item 10 sets two aims: command p99 ≤ 20 ms and
    ≤ 50 KB of heap per stream (FLEET_AIMS); CPU per heartbeat has none. Runs with several agents' streams per
    connection (--channels shared:N) get their own rows (keys ending in -shared)."""
    t, out = s["text"], []
    m = re.search(r"\*\*(%s) agents held\*\* \(([^)]*)\)\. \*\*Fleet CPU per heartbeat (%s) µs\*\* vs the minimal gRPC "
                  r"server's (%s) µs: \*\*(%s)×\*\* \(steady (%s) heartbeats/s" % ((NUM,) * 5), t)
    if not m:
        return out
    agents, held = m.group(1), m.group(2).startswith("all welcomed in every round")
    shared = re.search(r"(\d+) agents' streams per TCP connection", m.group(2))
    suffix, conns = ("-shared", "%s agents per connection" % shared.group(1)) if shared else ("", "one connection each")
    c = re.search(r"Connect all: fleet (%s) s, reference (%s) s" % (NUM, NUM), t)
    if c:
        fl, ref = num(c.group(1)), num(c.group(2))
        out.append(figure("streams" + suffix, "device-agent streams held by one fleet instance (%s agents, %s), time until "
                                              "all are welcomed" % (agents, conns),
                          "%s s" % c.group(1), "minimal grpc-java server: %s s" % c.group(2),
                          times(fl / ref) if ref else "–", "all %s held: %s" % (agents, verdict(held))))
    out.append(figure("cpu-per-heartbeat" + suffix, "fleet CPU per agent heartbeat at %s heartbeats/s (%s agents, %s)" % (
                          m.group(6), agents, conns),
                      "%s µs" % m.group(3), "minimal grpc-java server: %s µs" % m.group(4),
                      times(num(m.group(3)) / num(m.group(4))) if num(m.group(4)) else "–",
                      "no aim set: –"))
    h = re.search(r"Heap per stream \(after full GC\): fleet (%s) KB, reference (%s) KB" % (NUM, NUM), t)
    if h:
        heap, ref = num(h.group(1)), num(h.group(2))
        aim = FLEET_AIMS["heap_kb"]
        out.append(figure("heap-per-stream" + suffix, "fleet heap per agent stream after full GC (%s agents, %s)" % (
                              agents, conns),
                          "%s KB" % h.group(1), "minimal grpc-java server: %s KB" % h.group(2),
                          times(heap / ref) if ref else "–", "≤ %s KB: %s" % (fmt(aim), verdict(heap <= aim))))
    p = re.search(r"p50 \*\*(%s) ms\*\*, p99 \*\*(%s) ms\*\*" % (NUM, NUM), t)
    if p:
        p99, aim = num(p.group(2)), FLEET_AIMS["command_p99_ms"]
        # the minimal server's own command path, measured in the same run (sections since `quiet-main`)
        r = re.search(r"reference's minimal command path[^)]*?p50 (%s) ms, p99 (%s) ms" % (NUM, NUM), t)
        reference = ("minimal grpc-java command path: %s ms" % r.group(2)) if r else "aim: ≤ %s ms" % fmt(aim)
        ratio = times(p99 / num(r.group(2))) if r and num(r.group(2)) else times(p99 / aim)
        out.append(figure("command-p99" + suffix, "command round trip (fingerprint through the fleet's REST API) with %s "
                                                  "agents connected (%s), p99 (p50 %s ms)" % (agents, conns, p.group(1)),
                          "%s ms" % p.group(2), reference, ratio, "≤ %s ms: %s" % (fmt(aim), verdict(p99 <= aim))))
    return out


# issue 8 item 10: "aim p99 ≤ 20 ms, ≤ 50 KB heap per stream"
FLEET_AIMS = {"command_p99_ms": 20.0, "heap_kb": 50.0}


# the row order within a bench
KEYS = {"gateway": ["throughput", "paced-p99"], "flow": [k for k, _ in FLOW_SIGNALS], "proxy": list(PROXY_SCENARIOS),
        "webhooks": ["deliveries", "latency", "bad-signatures"],
        "pay": ["ledger-ratio", "ledger-flat", "paid-per-s", "cpu-per-order", "double-spends"],
        "fleet": ["streams", "cpu-per-heartbeat", "heap-per-stream", "command-p99", "streams-shared",
                  "cpu-per-heartbeat-shared", "heap-per-stream-shared", "command-p99-shared"]}
EXTRACT = {"gateway": gateway_figures, "flow": flow_figures, "proxy": proxy_figures,
           "webhooks": webhooks_figures, "pay": pay_figures, "fleet": fleet_figures}


def proxy_load(s):
    """bench/proxy records the load average per run, in its every-run table: the first run's."""
    runs = next((x for x in md_tables(s["text"]) if x[0][:3] == ["scenario", "round", "target"]), None)
    if runs and "load" in runs[0] and len(runs) > 1:
        try:
            return float(runs[1][runs[0].index("load")])
        except (ValueError, IndexError):
            return None
    return None


# ---------------------------------------------------------------------------------------------------
# choosing and rendering

def slug(heading, seen):
    """GitHub's anchor of a heading ('### a — b' -> 'a--b'), made unique like GitHub does (-1, -2, ...)."""
    text = heading.lstrip("#").strip().lower()
    base = "".join(c for c in text if c.isalnum() or c in " -_").replace(" ", "-")
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else "%s-%d" % (base, n)


def anchors(text):
    """{offset of the heading line: anchor} for every markdown heading outside fenced code."""
    seen, out, fenced, pos = {}, {}, False, 0
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"^#{1,6} ", line):
            out[pos] = slug(line.strip(), seen)
        pos += len(line)
    return out


def collect(text, only=None):
    """The newest figure per (bench, figure key) over every section of the document; rows in ORDER, then in
    each bench's own figure order."""
    heads = anchors(text)
    best = {}
    for s in sections(text):
        if s["bench"] not in EXTRACT or (only and s["bench"] not in only):
            continue
        if s["bench"] == "proxy" and s["load"] is None:
            s["load"] = proxy_load(s)
        head_pos = text.find(s["heading"], s["start"]) if s["heading"] else -1
        anchor = heads.get(head_pos) if head_pos >= 0 else None
        for f in EXTRACT[s["bench"]](s):
            k = (s["bench"], f["key"])
            key_date = s["date"] or datetime.datetime.min
            if k not in best or key_date >= best[k][0]:
                row = dict(f, bench=s["bench"], section=s["label"], anchor=anchor, date_text=s["date_text"],
                           commit=s["commit"], machine=machine_text(s))
                best[k] = (key_date, row)
    rows = [v[1] for v in best.values()]
    keys = lambda r: KEYS[r["bench"]].index(r["key"]) if r["key"] in KEYS[r["bench"]] else len(KEYS[r["bench"]])
    rows.sort(key=lambda r: (ORDER.index(r["bench"]), keys(r), r["key"]))
    return rows


def machine_text(s):
    parts = []
    if s["nproc"] is not None:
        parts.append("nproc %d" % s["nproc"])
    parts.append("load %.1f" % s["load"] if s["load"] is not None else "load not recorded")
    return ", ".join(parts)


HEADER = ("| bench | figure | value | reference | ratio | aim met? | machine | date, commit | section |\n"
          "|---|---|---:|---|---:|---|---|---|---|")


def render(rows):
    """The generated block between the markers (without them)."""
    lines = ["*Generated by `bench/run` from the result sections below (for each figure the newest section that "
             "has it); do not edit by hand: `bench/run --from-results` rewrites it.*", "", HEADER]
    for r in rows:
        link = "[%s:%s](#%s)" % (r["bench"], r["section"], r["anchor"]) if r["anchor"] else "%s:%s" % (r["bench"], r["section"])
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s, `%s` | %s |" % (
            "bench/" + r["bench"], r["figure"], r["value"], r["reference"], r["ratio"], r["aim"], r["machine"],
            r["date_text"], r["commit"], link))
    if not rows:
        lines.append("| – | no result sections found | | | | | | | |")
    return "\n".join(lines) + "\n"


def write_summary(text, block):
    """The document with the block between the summary markers; when the markers are missing, a short
    section holding them goes before the first '## ' heading. Nothing else changes."""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + BEGIN + "\n" + block + END + rest.split(END, 1)[1]
    new = "%s\n\n%s\n%s%s\n\n" % (SECTION_HEAD, BEGIN, block, END)
    i = text.find("\n## ")
    if i < 0:
        return text.rstrip("\n") + "\n\n" + new
    return text[:i + 1] + new + text[i + 1:]


def relocate(text, bench, label):
    """Moves the block bench:label, when some bench appended it at the end of the file or after another
    bench's results, to just after the last other block of the same bench. Otherwise the text is unchanged."""
    secs = sections(text)
    target = next((s for s in secs if s["bench"] == bench and s["label"] == label), None)
    if target is None:
        return text
    same = [s for s in secs if s["bench"] == bench and s is not target]
    if not same:
        return text
    before = [s for s in same if s["end"] <= target["start"]]
    if before:
        prev = before[-1]
        between = text[prev["end"]:target["start"]]
        if not re.search(r"<!-- /?bench/(?!%s:)[\w-]+:" % re.escape(bench), between) and "\n## " not in between:
            return text  # already among its own
    anchor = same[-1]
    block = text[target["start"]:target["end"]]
    start = target["start"]  # the block leaves with the blank lines before it
    while start > 0 and text[start - 1] == "\n":
        start -= 1
    tail = text[target["end"]:]
    rest = text[:start] + ("\n\n" + tail.lstrip("\n") if tail.strip() else "\n")
    anchor_text = text[anchor["start"]:anchor["end"]]
    at = rest.find(anchor_text)
    if at < 0:
        return text
    at += len(anchor_text)
    return rest[:at] + "\n\n" + block + rest[at:]
