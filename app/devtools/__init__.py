"""Development tools: benchmarks, screenshots, calibration, the accuracy report, soak runs, simulator probes
and hand-made test data.

Nothing that runs at a counter imports this package (an import-linter contract in ``pyproject.toml``); the
``livegate`` subcommands that use it (``bench``, ``screenshots``) load it on demand.
"""
