"""The bundle's two programs (stopsearch, stopsearch-app) start here.

In a bundle, ``sys.executable`` is this program, not a Python: the app's child processes
(multiprocessing "spawn") and the pack-chart renderer (``sys.executable -m stopsearch_app...``)
come back to it, and are routed to what they asked for.
"""

import multiprocessing
import runpy
import sys


def run(default_main) -> None:
    multiprocessing.freeze_support()  # a spawned child runs its target and exits here
    if len(sys.argv) > 2 and sys.argv[1] == "-m" and sys.argv[2].startswith("stopsearch_app."):
        module = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        raise SystemExit(0)
    raise SystemExit(default_main())
