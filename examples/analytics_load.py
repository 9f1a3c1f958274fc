"""A BI tool's load of the analytics API, as a plain script: with a person's API token it pages
through the daily figures per store and through the raw responses of a period, following
each page's ``next`` link, and writes them as CSV, the way Power BI or Excel load a source.

    VOXLOOP_API_TOKEN=vxl_... python examples/analytics_load.py --hub https://feedback.example.org \\
        --from 2026-11-01 --to 2026-11-30 --out exports/

Make the token on /account or with ``voxloop hub api-token make EMAIL --name "BI load"`` (scope
analytics:read); it sees the stores its person sees. Needs only ``requests``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

PAGE = 500


def pages(session: requests.Session, url: str, params: dict[str, Any], field: str) -> Iterator[list[dict[str, Any]]]:
    """The rows of every page of a list, from the first to the one without ``next``."""
    while url:
        answer = session.get(url, params=params, timeout=60)
        if answer.status_code != 200:
            raise SystemExit(f"{answer.status_code} from {answer.url}: {answer.text}")
        body = answer.json()
        yield body[field]
        url, params = body["next"], {}  # the next link carries every parameter and the cursor


def daily_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "day": r["day"],
            "store": r["store"],
            "responses": r["responses"],
            "smiley_index": r["smiley_index"]["value"],
            "nps": r["nps"]["value"],
        }
        for r in rows
    ]


def response_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per answer, with its response's fields: the long table BI tools pivot."""
    return [
        {
            "response": r["id"],
            "store": r["store"],
            "touchpoint": r["touchpoint"],
            "channel": r["channel"],
            "local_day": r["local_day"],
            "captured_at": r["captured_at"],
            "question": a["question"],
            "kind": a["kind"],
            "value": a["value"],
        }
        for r in rows
        for a in r["answers"]
    ]


def load(hub: str, token: str, first: str, last: str, out: Path, limit: int = PAGE) -> dict[str, int]:
    """Writes daily.csv and answers.csv into ``out``; returns rows and pages read per list."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    period = {"from": first, "to": last, "limit": limit}
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    lists = (("daily", "days", daily_rows, "daily.csv"), ("responses", "responses", response_rows, "answers.csv"))
    for name, field, flatten, file_name in lists:
        url = f"{hub.rstrip('/')}/api/v1/analytics/{name}"
        with (out / file_name).open("w", newline="", encoding="utf-8") as target:
            writer = None
            counts[name] = counts[f"{name}_pages"] = 0
            for rows in pages(session, url, period, field):
                counts[name] += len(rows)
                counts[f"{name}_pages"] += 1
                flat = flatten(rows)
                if flat and writer is None:
                    writer = csv.DictWriter(target, fieldnames=list(flat[0]))
                    writer.writeheader()
                if writer is not None:
                    writer.writerows(flat)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", required=True, help="the hub's URL")
    parser.add_argument("--from", dest="first", required=True, help="first store-local day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, help="last store-local day, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for daily.csv and answers.csv")
    parser.add_argument("--limit", type=int, default=PAGE, help="rows per page (at most 1000)")
    args = parser.parse_args(argv)
    token = os.environ.get("VOXLOOP_API_TOKEN", "")
    if not token:
        print("set VOXLOOP_API_TOKEN to an API token with the scope analytics:read", file=sys.stderr)
        return 2
    counts = load(args.hub, token, args.first, args.last, args.out, args.limit)
    print(
        f"{counts['daily']} store days in {counts['daily_pages']} pages, "
        f"{counts['responses']} responses in {counts['responses_pages']} pages"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
