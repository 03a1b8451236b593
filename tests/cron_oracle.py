"""croniter's next runs of cron expressions: the second opinion that
tests/schedule.rs compares sigap's schedule with.

Reads a JSON list of {"expr", "start", "count"} on stdin (start an ISO time
with its UTC offset) and writes, for each, the list of the next `count`
runs as ISO times, or {"error": "..."} when croniter refuses it or finds
no run.

implement_cron_bug=True is cronie's rule for the two day fields: when
either starts with `*` (also `*/2`) both must match; otherwise either.
Six fields put seconds first, as sigap reads them.
"""

import json
import sys
from datetime import datetime

from croniter import croniter


def next_runs(case):
    expr = case["expr"]
    it = croniter(
        expr,
        datetime.fromisoformat(case["start"]),
        ret_type=datetime,
        implement_cron_bug=True,
        second_at_beginning=len(expr.split()) == 6,
    )
    return [it.get_next(datetime).isoformat() for _ in range(case["count"])]


def main():
    out = []
    for case in json.load(sys.stdin):
        try:
            out.append(next_runs(case))
        except Exception as e:  # croniter's refusals differ by version
            out.append({"error": f"{type(e).__name__}: {e}"})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
