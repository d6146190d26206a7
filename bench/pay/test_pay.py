"""Self-test of bench/pay's pure helpers (no database, no stack, no timing assertions):
python3 -m unittest discover -s bench/pay -p 'test_*.py'"""
import decimal
import unittest

import pay

D = decimal.Decimal


class MigrationOrderTest(unittest.TestCase):
    def test_versions_sort_as_numbers_and_repeatables_come_last(self):
        names = ["R__platform_outbox.sql", "V10__later.sql", "V2__outbox.sql", "V1__accounts_and_ledger.sql",
                 "R__platform_dead_letters.sql", "notes.txt"]
        self.assertEqual(pay.migration_order(names), ["V1__accounts_and_ledger.sql", "V2__outbox.sql", "V10__later.sql",
                                                      "R__platform_dead_letters.sql", "R__platform_outbox.sql"])


class PgbenchOutputTest(unittest.TestCase):
    OUT = """transaction type: bench/pay/sql/ledger_post.pgbench
scaling factor: 1
query mode: extended
number of clients: 8
number of threads: 2
maximum number of tries: 1
duration: 5 s
number of transactions actually processed: 4281
number of failed transactions: 0 (0.000%)
latency average = 9.347 ms
initial connection time = 12.345 ms
tps = 855.912345 (without initial connection time)
"""

    def test_reads_the_summary(self):
        r = pay.parse_pgbench(self.OUT)
        self.assertEqual(r["transactions"], 4281)
        self.assertEqual(r["failed"], 0)
        self.assertAlmostEqual(r["tps"], 855.912345)
        self.assertAlmostEqual(r["latency_ms"], 9.347)

    def test_missing_numbers_are_none(self):
        self.assertIsNone(pay.parse_pgbench("pgbench: error: connection refused")["tps"])


class LedgerCheckTest(unittest.TestCase):
    def check(self, **kw):
        args = dict(balance=D("70.00"), topups=D("100.00"), charges=[D("10.00")] * 3, refunds=[], paid=[1, 2, 3],
                    entries_total=4, charge_orders=[1, 2, 3])
        args.update(kw)
        return pay.ledger_check(**args)

    def test_a_consistent_account_passes(self):
        self.assertEqual(self.check(), [])

    def test_a_refund_is_accounted(self):
        self.assertEqual(self.check(balance=D("80.00"), refunds=[D("10.00")], entries_total=5), [])

    def test_an_order_charged_twice_fails(self):
        problems = self.check(balance=D("60.00"), charges=[D("10.00")] * 4, entries_total=5, charge_orders=[1, 2, 3, 3])
        self.assertTrue(any("charged twice" in p for p in problems))
        self.assertTrue(any("4 charges for 3 paid" in p for p in problems))

    def test_a_balance_off_the_ledger_fails(self):
        self.assertTrue(any(p.startswith("balance") for p in self.check(balance=D("80.00"))))

    def test_a_charge_without_a_200_fails(self):
        problems = self.check(paid=[1, 2], charge_orders=[1, 2, 3])
        self.assertTrue(any("did not answer 200" in p for p in problems))

    def test_the_ledger_total_must_count_every_entry(self):
        self.assertTrue(any("ledger total" in p for p in self.check(entries_total=7)))


class PrefillTest(unittest.TestCase):
    def test_the_opening_top_up_covers_the_history_and_the_headroom(self):
        sql = pay.prefill_sql(3000000, 8, 10000, price=D("10.00"), headroom=D("100.00"))
        self.assertIn("generate_series(3000000::bigint, 3000007::bigint)", sql)
        self.assertIn("100090.00", sql)  # 9,999 charges of 10.00 + 100.00
        self.assertIn("session_replication_role = replica", sql)
        self.assertIn("session_replication_role = origin", sql)

    def test_no_entries_no_sql(self):
        self.assertEqual(pay.prefill_sql(1, 8, 0), "")


class JfrSummaryTest(unittest.TestCase):
    TEXT = """jdk.ExecutionSample {
  startTime = 14:00:00.000
  stackTrace = [
    java.lang.String.hashCode() line: 10
    com.proxyvault.orders.orders.OrderService.pay(long, long) line: 200
    io.vertx.core.Foo.run() line: 1
  ]
}
jdk.ExecutionSample {
  stackTrace = [
    com.proxyvault.orders.orders.OrderService.pay(long, long) line: 201
    ...
  ]
}
"""

    def test_self_and_inclusive_shares(self):
        s = pay.summarize_samples(self.TEXT)
        self.assertEqual(s["samples"], 2)
        self.assertEqual(dict(s["self"])["java.lang.String.hashCode()"], 0.5)
        self.assertEqual(dict(s["project"])["com.proxyvault.orders.orders.OrderService.pay(long, long)"], 1.0)
        self.assertEqual(dict(s["packages"])["java.lang"], 0.5)


if __name__ == "__main__":
    unittest.main()


class ModemCapacityTest(unittest.TestCase):
    def test_gives_the_window_two_and_a_half_times_its_orders_in_slots(self):
        args = pay.parse_args(["--expected-rate", "100", "--max-warmup", "120"])
        self.assertEqual(args.modems, 2000)
        self.assertEqual(args.modem_capacity, 8)  # ceil(2.5 * 100/s * 60 s / 2000)

    def test_takes_the_capacity_given(self):
        self.assertEqual(pay.parse_args(["--modem-capacity", "3"]).modem_capacity, 3)

    def test_names_the_capacity_and_keeps_old_sections_readable(self):
        self.assertIn("capacity 8 each", pay.capacity_text({"modem_capacity": 8, "modems": 2000}))
        self.assertIn("16000 slots", pay.capacity_text({"modem_capacity": 8, "modems": 2000}))
        self.assertIn("capacity 1", pay.capacity_text({"modems": 2000}))  # a raw file from before the setting
