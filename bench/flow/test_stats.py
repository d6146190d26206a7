"""Self-test of bench/flow's statistics (stdlib unittest; no timing assertions).

    python3 -m unittest discover -s bench/flow -p 'test_*.py'
"""

import unittest

import stats


class PercentileTest(unittest.TestCase):

    def test_nearest_rank_on_one_to_hundred(self):
        values = list(range(1, 101))
        self.assertEqual(stats.percentile(values, 50), 50)
        self.assertEqual(stats.percentile(values, 90), 90)
        self.assertEqual(stats.percentile(values, 99), 99)
        self.assertEqual(stats.percentile(values, 100), 100)

    def test_p99_of_600_samples_is_the_594th(self):
        values = list(range(1, 601))
        self.assertEqual(stats.percentile(values, 99), 594)

    def test_small_samples_pick_measured_values(self):
        self.assertEqual(stats.percentile([7], 50), 7)
        self.assertEqual(stats.percentile([7], 99), 7)
        self.assertEqual(stats.percentile([1, 2], 50), 1)
        self.assertEqual(stats.percentile([1, 2], 51), 2)
        self.assertEqual(stats.percentile([1, 2, 3], 99), 3)

    def test_empty_and_invalid(self):
        self.assertIsNone(stats.percentile([], 50))
        with self.assertRaises(ValueError):
            stats.percentile([1], 0)
        with self.assertRaises(ValueError):
            stats.percentile([1], 101)

    def test_summarize_sorts_its_input(self):
        summary = stats.summarize([0.3, 0.1, 0.2])
        self.assertEqual(summary["n"], 3)
        self.assertEqual(summary["min"], 0.1)
        self.assertEqual(summary["p50"], 0.2)
        self.assertEqual(summary["max"], 0.3)
        self.assertAlmostEqual(summary["mean"], 0.2)

    def test_summarize_counts_timeouts_as_slowest(self):
        inf = float("inf")
        summary = stats.summarize([inf, 0.2, 0.1])
        self.assertEqual(summary["n"], 3)
        self.assertEqual(summary["n_finite"], 2)
        self.assertEqual(summary["p50"], 0.2)
        self.assertEqual(summary["p99"], inf)
        self.assertEqual(summary["max"], inf)

    def test_summarize_empty(self):
        summary = stats.summarize([])
        self.assertEqual(summary["n"], 0)
        self.assertIsNone(summary["p99"])
        self.assertIsNone(summary["mean"])

    def test_fmt_ms(self):
        self.assertEqual(stats.fmt_ms(None), "-")
        self.assertEqual(stats.fmt_ms(0.0015), "2")
        self.assertEqual(stats.fmt_ms(2.4), "2400")

    def test_ticks_delta_only_common_names(self):
        self.assertEqual(stats.ticks_delta({"a": 10, "b": 5}, {"a": 25, "c": 1}), {"a": 15})


if __name__ == "__main__":
    unittest.main()
