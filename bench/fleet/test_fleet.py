"""Self-test of bench/fleet's pure helpers (no database, no fleet, no timing assertions):
python3 -m unittest discover -s bench/fleet -p 'test_*.py'"""
import re
import unittest

import fleet


class TokensTest(unittest.TestCase):
    def test_ids_are_zero_padded_like_the_load_generators(self):
        self.assertEqual(fleet.agent_id(7), "bench-agent-00007")
        self.assertEqual(fleet.agent_id(9999), "bench-agent-09999")

    def test_tokens_match_fleetbench_java(self):
        # the value FleetBench.java's `tokens 2 bench-agent- FILE` wrote with BENCH_TOKEN_SECRET=bench-fleet-secret
        self.assertEqual(fleet.tokens_value(2, "bench-fleet-secret"),
                         "bench-agent-00000=78bf68e19603499427f26c08d33821a4,"
                         "bench-agent-00001=973c86e45bac661aa048ad91953c24b2")

    def test_the_fleets_format_one_pair_per_agent(self):
        value = fleet.tokens_value(100, "s")
        pairs = value.split(",")
        self.assertEqual(len(pairs), 100)
        self.assertTrue(all(re.fullmatch(r"bench-agent-\d{5}=[0-9a-f]{32}", p) for p in pairs))
        self.assertEqual(len({p.split("=")[1] for p in pairs}), 100)

    def test_ten_thousand_tokens_do_not_fit_one_environment_string(self):
        # Linux refuses an environment string over MAX_ARG_STRLEN (32 pages = 131072 bytes): why the bench and
        # docs/fleet.md put FLEET_AGENT_TOKENS in a file
        self.assertGreater(len("FLEET_AGENT_TOKENS=" + fleet.tokens_value(10000, "s")), 131072)


class SeedTest(unittest.TestCase):
    def test_proxy_ids_and_ports_follow_the_load_generators_scheme(self):
        sql = fleet.seed_sql(10, 3, 2)
        self.assertIn("select i * 2 + k + 1, i + 1, i * 2 + k + 1", sql)
        self.assertIn("20000 + k", sql)
        self.assertIn("generate_series(0, 10 - 1) i, generate_series(0, 3 - 1) m", sql)
        self.assertIn("setval('proxies_id_seq'", sql)


class RoundsTest(unittest.TestCase):
    def test_rounds_alternate_which_target_goes_first(self):
        self.assertEqual(fleet.order(3), [["fleet", "echo"], ["echo", "fleet"], ["fleet", "echo"]])

    def test_summary_is_the_median_per_target(self):
        results = [
            {"target_name": "fleet", "target_cpu_us_per_heartbeat": 100.0, "all_welcomed": True, "agents": 10},
            {"target_name": "fleet", "target_cpu_us_per_heartbeat": 300.0, "all_welcomed": True, "agents": 10},
            {"target_name": "fleet", "target_cpu_us_per_heartbeat": 200.0, "all_welcomed": False, "agents": 10},
            {"target_name": "echo", "target_cpu_us_per_heartbeat": 50.0, "all_welcomed": True, "agents": 10},
        ]
        s = fleet.summarize(results)
        self.assertEqual(s["fleet"]["target_cpu_us_per_heartbeat"], 200.0)
        self.assertEqual(s["fleet"]["rounds"], 3)
        self.assertFalse(s["fleet"]["all_welcomed"])
        self.assertEqual(s["echo"]["target_cpu_us_per_heartbeat"], 50.0)
        self.assertEqual(fleet.ratio(200.0, 50.0), 4.0)
        self.assertIsNone(fleet.ratio(1.0, 0))


class ConnectionsTest(unittest.TestCase):
    def test_the_words_bench_summary_reads(self):
        self.assertEqual(fleet.connections("per-agent"), "one TCP connection per agent")
        self.assertEqual(fleet.connections("shared:100"), "100 agents' streams per TCP connection")


class DocTest(unittest.TestCase):
    def test_a_label_is_replaced_in_place_and_a_new_one_appended(self):
        import tempfile
        from pathlib import Path
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "b.md"
            p.write_text("# B\n\nintro\n")
            fleet.write_doc(p, "a", "first\n")
            fleet.write_doc(p, "b", "second\n")
            fleet.write_doc(p, "a", "third\n")
            text = p.read_text()
            self.assertIn("<!-- bench/fleet:a -->\nthird\n<!-- /bench/fleet:a -->", text)
            self.assertNotIn("first", text)
            self.assertLess(text.index("bench/fleet:a"), text.index("bench/fleet:b"))


if __name__ == "__main__":
    unittest.main()
