"""The hub served by waitress as ``voxloop hub serve`` does, with every request under cProfile.

``python -m bench.profile_hub --port P --threads T --stats FILE`` (configured by the same
VOXLOOP_* environment as the hub). Each server thread keeps its own profiler, switched on only
while the Flask app handles a request (waitress's HTTP parsing is not included); on SIGTERM or
SIGINT the profiles of all threads are merged and written to FILE for ``pstats``.
Used by ``python -m bench.ingest --profile``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import threading
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--stats", required=True)
    args = parser.parse_args()

    from waitress import serve

    from hub import create_app

    app = create_app()
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    local = threading.local()
    inner = app.wsgi_app

    def profiled(environ: dict[str, Any], start_response: Any) -> Any:
        profile = getattr(local, "profile", None)
        if profile is None:
            profile = local.profile = cProfile.Profile()
            with lock:
                profiles.append(profile)
        profile.enable()
        try:
            # materialise the body inside the profile (Flask's answers are lists already)
            return list(inner(environ, start_response))
        finally:
            profile.disable()

    app.wsgi_app = profiled  # type: ignore[method-assign]

    def dump(_signum: int, _frame: object) -> None:
        with lock:
            if profiles:
                stats = pstats.Stats(profiles[0])
                for profile in profiles[1:]:
                    stats.add(profile)
                stats.dump_stats(args.stats)
        os._exit(0)  # waitress holds the main loop; nothing else to tidy up

    signal.signal(signal.SIGTERM, dump)
    signal.signal(signal.SIGINT, dump)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="voxloop")


if __name__ == "__main__":
    main()
