#!/usr/bin/env python3
"""Paired difference of two judges' accuracy on the same benchmark items, with a bootstrap interval.

Reads two `selftaught eval` judgments.jsonl files (same benchmark, same --order/--seed, so each
item is shown to both judges the same way), pairs them by item id, and prints the mean score of
each, their difference B - A and its 95% percentile bootstrap interval over items (10,000
resamples, seeded). The mean is over items (equal to the categories' mean when the categories
have equal sizes, as in the micro-world benchmarks).

    python3 tools/paired_diff.py A/judgments.jsonl B/judgments.jsonl
"""
import json
import random
import sys


def scores(path):
    out = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out[r["id"]] = float(r["score"])
    return out


def main():
    a, b = scores(sys.argv[1]), scores(sys.argv[2])
    ids = sorted(set(a) & set(b))
    if not ids:
        sys.exit("no common item ids")
    d = [b[i] - a[i] for i in ids]
    rnd = random.Random(1)
    n = len(d)
    means = sorted(sum(d[rnd.randrange(n)] for _ in range(n)) / n for _ in range(10000))
    ma, mb = sum(a[i] for i in ids) / n, sum(b[i] for i in ids) / n
    print(f"n={n} A={ma:.4f} B={mb:.4f} B-A={mb - ma:+.4f} 95% CI [{means[249]:+.4f}, {means[9749]:+.4f}]")


if __name__ == "__main__":
    main()
