"""Self-test of bench/gateway's pieces that need no load (stdlib unittest; no timing assertions).

    python3 -m unittest discover -s bench/gateway -p 'test_*.py'
"""

import base64
import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import gateway


def b64decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class InternalJwtTest(unittest.TestCase):

    def test_claims_and_header_are_the_gateways(self):
        token = gateway.mint_internal_jwt(7, gateway.DEV_KEYS / "internal-jwt-private.pem", at=1_000_000)
        header, claims, _ = token.split(".")
        self.assertEqual(json.loads(b64decode(header)), {"alg": "RS256", "typ": "JWT"})
        self.assertEqual(json.loads(b64decode(claims)), {
            "iss": "proxyvault-gateway", "sub": "7", "aud": ["billing-service"], "reseller_id": 7,
            "groups": ["reseller"], "iat": 1_000_000, "exp": 1_000_060})

    def test_signature_verifies_with_the_public_key(self):
        token = gateway.mint_internal_jwt(1, gateway.DEV_KEYS / "internal-jwt-private.pem")
        signing_input, sig = token.rsplit(".", 1)
        with tempfile.NamedTemporaryFile() as f:
            f.write(b64decode(sig))
            f.flush()
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify",
                                str(gateway.DEV_KEYS / "internal-jwt-public.pem"), "-signature", f.name],
                               input=signing_input.encode(), capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class WriteDocTest(unittest.TestCase):

    BASE = "# Benchmarks\n\nintro\n\n## bench/flow: the purchase flow\n\nflow text\n"

    def doc(self, text):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        p = Path(d.name) / "benchmarks.md"
        p.write_text(text)
        return p

    def test_creates_the_section_before_bench_flow(self):
        p = self.doc(self.BASE)
        gateway.write_doc(p, "a", "### a\n\nbody a\n")
        text = p.read_text()
        self.assertLess(text.index("## Gateway vs nginx"), text.index("## bench/flow"))
        self.assertIn("<!-- bench/gateway:a -->\n### a\n\nbody a\n<!-- /bench/gateway:a -->", text)
        self.assertTrue(text.endswith("flow text\n"))

    def test_new_label_goes_before_the_end_marker_and_a_rerun_replaces_only_its_block(self):
        p = self.doc(self.BASE)
        gateway.write_doc(p, "a", "### a\n\nbody a\n")
        gateway.write_doc(p, "b", "### b\n\nbody b\n")
        gateway.write_doc(p, "a", "### a\n\nnew a\n")
        text = p.read_text()
        self.assertNotIn("body a", text)
        self.assertLess(text.index("new a"), text.index("body b"))
        self.assertLess(text.index("body b"), text.index(gateway.END_MARK))
        self.assertLess(text.index(gateway.END_MARK), text.index("## bench/flow"))
        self.assertEqual(text.count("<!-- bench/gateway:a -->"), 1)
        before = text
        gateway.write_doc(p, "a", "### a\n\nnew a\n")
        self.assertEqual(p.read_text(), before)


def run(kind, target, rps, p99_us, index, cpu=None, rate=None):
    return {"kind": kind, "target": target, "rps": rps, "requests": int(rps * 10), "index": index,
            "target_rate": rate, "errors": {"status": 0}, "window_s": 10.0, "machine_busy_s": 20.0,
            "other_cores": 0.1, "cpu_s": cpu or {}, "seconds": 10,
            "latency_us": {"min": 100, "max": p99_us * 2, "mean": 1.0, "stdev": 1.0,
                           "percentiles": {"50": 1000, "75": 1000, "90": 1000, "95": 1000, "99": p99_us,
                                           "99.9": p99_us, "99.99": p99_us}}}


class AnalyseTest(unittest.TestCase):

    def test_medians_ratio_and_p99_difference(self):
        runs = [run("throughput", "gateway", 800, 5000, 1), run("throughput", "nginx", 1000, 4000, 2),
                run("throughput", "gateway", 900, 5000, 3), run("throughput", "nginx", 1000, 4000, 4),
                run("throughput", "gateway", 850, 5000, 5), run("throughput", "nginx", 1100, 4000, 6),
                run("paced", "gateway", 700, 3500, 7, rate=700), run("paced", "nginx", 700, 2000, 8, rate=700)]
        res = gateway.analyse(runs)
        t = res["throughput"]
        self.assertEqual(t["gateway_rps"], 850)
        self.assertEqual(t["nginx_rps"], 1000)
        self.assertAlmostEqual(t["ratio"], 0.85)
        self.assertTrue(t["met"])
        self.assertEqual([round(x, 3) for x in t["paired_ratios"]], [0.8, 0.9, 0.773])
        self.assertAlmostEqual(res["paced"]["p99_diff_ms"], 1.5)
        self.assertEqual(res["paced"]["verdict"], "met")

    def test_a_paced_run_below_the_target_rate_makes_the_verdict_inconclusive(self):
        runs = [run("throughput", "gateway", 800, 5000, 1), run("throughput", "nginx", 1000, 4000, 2),
                run("paced", "gateway", 600, 3000, 3, rate=700), run("paced", "nginx", 700, 2000, 4, rate=700)]
        p = gateway.analyse(runs)["paced"]
        self.assertEqual(p["short_runs"], [3])
        self.assertEqual(p["verdict"], "inconclusive")

    def test_thread_names_lose_their_numbers(self):
        self.assertEqual(gateway.thread_group("vert.x-eventloo"), "vert.x-eventloo")
        self.assertEqual(gateway.thread_group("C2 CompilerThre"), "C# CompilerThre")
        self.assertEqual(gateway.jit_share({"C# CompilerThre": 1.0, "vert.x-eventloo": 3.0}), 0.25)


if __name__ == "__main__":
    unittest.main()
