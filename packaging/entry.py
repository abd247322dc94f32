"""Entry point of the frozen app: the livegate command, GUI by default.

Before a command that needs the models runs, the models are checked against
the manifest's SHA-256. A default build ships none: on first start they are
fetched into the user's cache (a mirror folder from ``LIVEGATE_MODEL_MIRROR``
first, then the upstream addresses; the MiniFASNet ONNX graphs are converted
on this machine). An offline build carries them inside; an altered bundled file
is reported here and refused on load.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence

#: Commands that never load a model (or manage the models themselves).
NO_MODELS = frozenset({"version", "models", "devices", "sessions", "token", "verify-result"})
#: Seconds per download attempt on the automatic first-start fetch (an unreachable host must not stall start-up long).
FIRST_START_URL_TIMEOUT_S = 10.0


def command_of(argv: Sequence[str]) -> str:
    """The sub-command ``argv`` runs (``gui`` when none is given); ``help`` for ``-h``/``--help``."""
    for arg in argv:
        if arg in ("-h", "--help"):
            return "help"
        if not arg.startswith("-"):
            return arg
    return "gui"


def ensure_models(argv: Sequence[str]) -> None:
    """Check the models and fetch missing ones before a command that needs them. Never raises.

    A failed fetch is reported on stderr and the command still runs: it then
    reports the missing model itself (the GUI on its error screen, the CLI with
    exit code 3) with the fix (``livegate models fetch --from DIR``).
    """
    if command_of(argv) in NO_MODELS | {"help"} or os.environ.get("LIVEGATE_SKIP_MODEL_CHECK") == "1":
        return
    from app.core.errors import LivegateError
    from app.core.models import ModelStore

    try:
        store = ModelStore(url_timeout_s=FIRST_START_URL_TIMEOUT_S)
        statuses = store.verify()
    except (LivegateError, OSError) as exc:
        print(f"livegate: cannot check the models: {exc}", file=sys.stderr)
        return
    bad = [name for name, status in statuses.items() if status != "ok"]
    if not bad:
        return
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and os.path.commonpath([os.path.abspath(store.cache_dir), os.path.abspath(bundle)]) == os.path.abspath(bundle):
        # Offline build: the shipped files are read-only parts of the app, never replaced behind the user's back.
        details = ", ".join(f"{name} ({statuses[name]})" for name in bad)
        print(f"livegate: bundled model(s) failed the SHA-256 check: {details}; reinstall the app", file=sys.stderr)
        return
    print(f"livegate: fetching {len(bad)} model(s) into {store.cache_dir} (first start) ...", file=sys.stderr)
    for name in bad:
        try:
            store.fetch(name)
        except (LivegateError, OSError) as exc:
            print(f"livegate: {exc}", file=sys.stderr)
        else:
            print(f"livegate: model {name} ok", file=sys.stderr)


def main() -> int:
    # onnxruntime (1.29 and later) writes a device identifier and queues usage events for upload under
    # ~/.cache/Microsoft unless this is set before it loads; an on-device liveness check sends nothing anywhere.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    from app.cli import main as cli_main

    ensure_models(sys.argv[1:])
    return cli_main()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
