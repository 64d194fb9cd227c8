"""python -m bench {api,poller,history,latency,search} [options]: see docs/benchmarks.md."""

from __future__ import annotations

import argparse

from bench import api_create, history_scale, latency, poller_scale, search_scale


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="bench", required=True)
    api = sub.add_parser("api", help="POST /api/v1/generations vs the floor at c=1, 8, 32")
    api.add_argument("--seconds", type=int, default=5, help="length of each wrk run (5)")
    api.add_argument("--rounds", type=int, default=3, help="interleaved floor/API rounds (3)")
    api.add_argument("--workers", type=int, default=0, help="gunicorn workers (2 x cores + 1)")
    api.set_defaults(run=api_create.main)
    history = sub.add_parser("history", help="list API and history page, 100 vs 100 000 rows")
    history.add_argument("--small", type=int, default=100, help="rows of the small tenant (100)")
    history.add_argument("--large", type=int, default=100_000, help="rows of the large tenant (100 000)")
    history.add_argument("--seconds", type=int, default=3, help="length of each wrk run (3)")
    history.add_argument("--rounds", type=int, default=3, help="interleaved small/large rounds (3)")
    history.add_argument("--workers", type=int, default=0, help="gunicorn workers (2 x cores + 1)")
    history.set_defaults(run=history_scale.main)
    poller = sub.add_parser("poller", help="in-flight sandbox jobs driven to completion by the worker")
    poller.add_argument("--jobs", type=int, default=10_000, help="jobs per mode (10 000)")
    poller.add_argument("--mode", choices=["both", "callbacks", "none"], default="both")
    poller.add_argument("--scale", type=float, default=5.0, help="time compression (5)")
    poller.add_argument("--timeout", type=float, default=1200.0, help="give up on a mode after (1200 s)")
    poller.add_argument("--workers", type=int, default=0, help="gunicorn workers (2 x cores + 1)")
    poller.set_defaults(run=poller_scale.main)
    lat = sub.add_parser("latency", help="our added latency per kind of provider, production poll schedule")
    lat.add_argument("--kind", choices=["all", *latency.KINDS], default="all")
    lat.add_argument("--jobs", type=int, default=10, help="measured jobs per kind (10)")
    lat.add_argument("--warmup", type=int, default=3, help="jobs per kind the schedule learns from first (3)")
    lat.add_argument("--job-seconds", type=float, default=30.0, help="sandbox task length (30 s, ±15 %%)")
    lat.add_argument("--stagger", type=float, default=2.0, help="seconds between measured jobs (2)")
    lat.add_argument("--workers", type=int, default=0, help="gunicorn workers (2 x cores + 1)")
    lat.set_defaults(run=latency.main)
    search = sub.add_parser("search", help="prompt search with and without the trigram index (PostgreSQL)")
    search.add_argument("--rows", type=int, default=1_000_000, help="generations to seed (1 000 000)")
    search.add_argument("--repeat", type=int, default=5, help="runs of each query, median (5)")
    search.set_defaults(run=search_scale.main)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
