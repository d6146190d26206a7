"""Self-test of bench/flow's stale-jar check (stdlib unittest; no servers, no git).

    python3 -m unittest discover -s bench/flow -p 'test_*.py'
"""

import os
import tempfile
import unittest
from pathlib import Path

import flow


def built(repo, service, mtime):
    jar = repo / service / "target" / "quarkus-app" / "app" / (service + ".jar")
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"")
    os.utime(jar, (mtime, mtime))


class StaleJarsTest(unittest.TestCase):

    def test_should_name_a_jar_built_before_the_newest_commit_changing_its_code(self):
        with tempfile.TemporaryDirectory() as d:
            repo = Path(d)
            built(repo, "webhook-service", 1_000)
            built(repo, "order-service", 3_000)
            commits = {"webhook-service": "afc2f2b 2000", "order-service": "1871f06 2000"}
            stale = flow.stale_jars(lambda *a: commits.get(a[4], ""), repo)
            self.assertEqual([("webhook-service", "afc2f2b")], stale)
            self.assertIn("webhook-service (before `afc2f2b`)", flow.stale_note({"stale_jars": stale}))

    def test_should_leave_out_services_not_built_and_say_nothing_when_all_are_fresh(self):
        with tempfile.TemporaryDirectory() as d:
            repo = Path(d)
            built(repo, "api-gateway", 5_000)
            stale = flow.stale_jars(lambda *a: "abc1234 4000", repo)
            self.assertEqual([], stale)
            self.assertEqual("", flow.stale_note({"stale_jars": stale}))


if __name__ == "__main__":
    unittest.main()
