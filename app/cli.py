"""The ``livegate`` command.

Exit codes: 0 ok, 1 check failed, 2 bad input, 3 unavailable. Every error is
one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from app import __version__
from app.core.errors import LivegateError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNAVAILABLE = 0, 1, 2, 3

log = logging.getLogger("livegate.cli")


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and one line on bad usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


# --- commands ---------------------------------------------------------------------------


def cmd_version(args: argparse.Namespace) -> int:
    print(f"livegate {__version__}")
    return EXIT_OK


def cmd_devices(args: argparse.Namespace) -> int:
    from app.core.capture.devices import list_cameras

    fallback = None
    if not sys.platform.startswith("linux"):  # no V4L2: ask Qt Multimedia for the names
        from app.gui.window import qt_camera_names

        fallback = qt_camera_names
    cams = list_cameras(fallback)
    if args.pin is not None or args.unpin:
        return _pin_camera(args.pin, cams)
    if args.json:
        print(json.dumps([c.to_dict() for c in cams], indent=2))
        return EXIT_OK
    if not cams:
        print("No camera found on this machine. Connect one, or use a simulated source (sim:live) or a recording.")
        return EXIT_OK
    for cam in cams:
        flag = f"  VIRTUAL: {cam.virtual_reason}" if cam.virtual else ""
        print(f"camera:{cam.index}  {cam.name}  [{cam.driver or '?'} {cam.bus_info or ''}]{flag}")
    return EXIT_OK


def _pin_camera(selector: str | None, cams: list) -> int:
    """``devices --pin SELECTOR`` / ``--unpin``: let checks run with this one camera only (settings ``pinned_camera``)."""
    from app.core.capture.devices import find_camera
    from app.core.errors import ConfigError
    from app.core.settings import load_settings, replace, save_settings

    settings = load_settings()
    if selector is None:
        save_settings(replace(settings, pinned_camera=""))
        print("No camera is pinned: checks may use any real camera.")
        return EXIT_OK
    device = find_camera(selector.removeprefix("camera:"), cams)
    if device is None:
        raise ConfigError(f"no camera matches {selector!r}; `livegate devices` lists them")
    if device.virtual:
        raise ConfigError(f"{device.name!r} looks like a virtual camera ({device.virtual_reason}); only a real camera can be pinned")
    save_settings(replace(settings, pinned_camera=device.fingerprint))
    how = "its driver, bus and name" if device.bus_info else "its name only (this system reports no bus), which software can copy"
    print(f"Pinned camera:{device.index} {device.name!r}: checks will run with this camera only, recognised by {how}.")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from app.core.models import ModelStore

    store = ModelStore(mirror=Path(args.from_dir) if args.from_dir else None)
    if args.action == "list":
        for name, entry in store.manifest.items():
            print(f"{name:22} {entry.file:34} {entry.version:16} {store.status(name):8} {entry.licence}")
        return EXIT_OK
    if args.action == "fetch":
        for name in store.manifest:
            path = store.fetch(name, force=args.force)
            if not args.quiet:
                print(f"ok  {name}  {path}")
        return EXIT_OK
    statuses = store.verify()
    bad = {n: s for n, s in statuses.items() if s != "ok"}
    for name, status in statuses.items():
        print(f"{status:8} {name}  {store.path_of(name)}")
    if bad:
        print(f"livegate: {len(bad)} model(s) missing or altered: {', '.join(bad)}; run `livegate models fetch`", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from app.core.recording import Recording

    # Check the whole file (container, manifest, every frame header) before scoring and its models
    # load: a bad recording is refused in a fraction of a second, with nothing else on stderr.
    Recording(args.recording).close()
    try:
        from app.core.scoring.cli import verify_recording
    except ImportError:
        verify_recording = None  # type: ignore[assignment]
    if verify_recording is not None:
        return verify_recording(args)
    return _landmark_summary(args)


def _landmark_summary(args: argparse.Namespace) -> int:
    """Pre-scoring behaviour: face/landmark summary of a recording, exit 3."""
    from app.core.landmarks import LandmarkStage
    from app.core.recording import Recording

    with Recording(args.recording) as rec, LandmarkStage.create() as stage:
        counts = {0: 0, 1: 0, 2: 0}
        for frame in rec.frames():
            n = stage.process(frame).face_count
            counts[min(n, 2)] += 1
    summary = {
        "frames": rec.meta.frame_count,
        "frames_without_face": counts[0],
        "frames_with_one_face": counts[1],
        "frames_with_several_faces": counts[2],
        "scoring": "not yet available",
    }
    print(json.dumps(summary, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in summary.items()))
    print("livegate: scoring is not yet available in this build", file=sys.stderr)
    return EXIT_UNAVAILABLE


def cmd_bench(args: argparse.Namespace) -> int:
    from app.devtools.bench import run_benchmarks

    return run_benchmarks(args)


def _display_available() -> bool:
    """False on a Linux machine with no screen (and no Qt platform chosen explicitly)."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def cmd_gui(args: argparse.Namespace) -> int:
    if not _display_available():
        raise LivegateError(
            "no display found: the app needs a screen. On a headless machine run it on a virtual one "
            "(`xvfb-run -a make run ARGS='--source sim:live'`), or take screenshots with `make screenshots`"
        )
    try:
        from app.gui.main import run_gui
    except ImportError as exc:
        raise LivegateError(f"the GUI cannot start: {exc}; run the set-up (make run) again") from exc
    return run_gui(args)


def _delegate(module: str, func: str) -> Callable[[argparse.Namespace], int]:
    """A handler implemented in another module, imported only when used."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise LivegateError(f"this command is not available in this build ({exc})") from exc
        return int(getattr(mod, func)(args))

    return handler


# --- parser -----------------------------------------------------------------------------

CHECK_HELP = """\
Run one complete live check without the app's window: camera check, guidance until the face fits the oval,
the hold, the colour sequence, scoring. Colours are shown to a simulated participant (sim:) through the same
screen state the app uses; recording: and file: sources replay frames (they must not pass). A camera needs
the app (livegate gui) to show the colours on its screen.

The check is stored as a session in the local store like the app's (same settings, same lock-out: failed
checks count toward pausing the device). Use --no-store for QA runs on a machine that serves customers, or
while another Livegate process (the app, livegate serve) owns the store.

Exit codes: 0 pass; 1 fail, no decision, face-fit time-out; 2 bad input; 3 unavailable (source, model,
scoring, store, lock-out). --json prints the same result document as `livegate verify --json`."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="livegate", description="On-device face-liveness checker.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("version", help="print the version")
    p.set_defaults(func=cmd_version)

    p = sub.add_parser("gui", help="open the app (default)")
    p.add_argument("--source", help="frame source: camera:0, camera:<name>, sim:live, recording:<path>")
    p.add_argument("--kiosk", action="store_true", help="full screen kiosk mode")
    p.add_argument("--demo", action="store_true", help="demo mode: confidence and plots shown")
    p.add_argument(
        "--api",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start the local integration API (default: on in kiosk mode)",
    )
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("devices", help="list cameras with their virtual-camera verdict; pin the kiosk's camera")
    p.add_argument("--json", action="store_true")
    pin = p.add_mutually_exclusive_group()
    pin.add_argument("--pin", metavar="CAMERA", help="run checks with this camera only (index, camera:N or name)")
    pin.add_argument("--unpin", action="store_true", help="let checks use any real camera again")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("models", help="list, fetch or verify the models")
    p.add_argument("action", choices=["list", "fetch", "verify"])
    p.add_argument("--from", dest="from_dir", metavar="DIR", help="local mirror folder tried first")
    p.add_argument("--force", action="store_true", help="fetch again even when present")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("verify", help="score a recording headless")
    p.add_argument("recording", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--threshold", type=float, default=None)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "check",
        help="run one complete live check without the app's window (sim:, recording:, file:)",
        description=CHECK_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", required=True, help="sim:<species> (e.g. sim:live, sim:print), recording:<path> or file:<path>")
    p.add_argument("--json", action="store_true", help="print the result document (as `livegate verify --json`)")
    p.add_argument("--threshold", type=float, default=None, help="confidence needed to pass, 0-100 (default: the settings')")
    p.add_argument(
        "--challenge",
        choices=["light", "movement"],
        default="light",
        help="light: movement and colours (default); movement: head turns and nods on random cues, no flashes (reduced assurance)",
    )
    p.add_argument(
        "--store",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="store the check as a session that counts toward the lock-out, like the app's (default: on)",
    )
    p.set_defaults(func=_delegate("app.core.check.cli", "run"))

    p = sub.add_parser("bench", help="print performance numbers")
    p.add_argument("--frames", type=int, default=150)
    p.add_argument("--only", default="", help="comma-separated benchmark names (kiosk-soak runs only when named)")
    p.add_argument("--checks", type=int, default=200, help="checks of the kiosk-soak benchmark (at least 6: five warm up)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("simulate", help="render simulated sessions (live users and attacks)")
    p.add_argument("--species", default="live", help="species, comma-separated list or all")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("out/sim"))
    p.add_argument("--contact-sheet", action="store_true", help="write a contact sheet PNG per species instead")
    p.add_argument("--face", type=Path, default=None, help="portrait photo to use as the face")
    p.add_argument("--behaviour", default=None,
                   help="cooperative, never-approach, too-close, leaves, second-face or stall")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a simulator parameter (repeatable)")
    p.add_argument("--challenge", choices=["light", "movement"], default="light",
                   help="light: the colour sequence (default); movement: head-turn and nod cues, no flashes")
    p.set_defaults(func=_delegate("app.core.simulate.cli", "run"))

    p = sub.add_parser("redteam", help="search an attack species' parameters for the session scored highest")
    p.add_argument("--species", required=True, help="attack species, e.g. injection-forged-inwindow")
    p.add_argument("--budget", type=int, default=50, help="sessions to render and score")
    p.add_argument("--seed", type=int, default=0, help="seed of the search (same seed, same attacks)")
    p.add_argument("--out", type=Path, default=None, help="folder for the JSON report (and the best session)")
    p.add_argument("--sweep", default=None, help="'lag': decision vs forger lag 0-400 ms instead of a search")
    p.add_argument("--step", type=int, default=20, help="sweep: lag step in ms")
    p.add_argument("--seeds", type=int, default=3, help="sweep: scene seeds per lag")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="fix an attack parameter (repeatable)")
    p.add_argument("--jobs", default="1", help="worker processes, or 'auto' (two only on an idle machine)")
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("--no-best-recording", dest="write_best", action="store_false",
                   help="with --out: do not write the best session as a recording")
    p.set_defaults(func=_delegate("app.devtools.redteam", "run"))

    p = sub.add_parser("eval", help="evaluate scoring on labelled recordings (ISO/IEC 30107-3 metrics)")
    p.add_argument("dirs", nargs="+", type=Path)
    p.add_argument("--report", type=Path, default=None)
    p.add_argument("--threshold", type=float, default=None)
    p.set_defaults(func=_delegate("app.core.scoring.evaluate", "run"))

    p = sub.add_parser("screenshots", help="drive the GUI with sim: sources and save a screenshot of every screen")
    p.add_argument("outdir", type=Path)
    p.add_argument("--small", type=Path, default=None, metavar="DIR", help="also write copies under 150 KB to DIR (docs)")
    p.add_argument("--only", default="", help="comma-separated scenarios: start,hints,light,leave,problems,sessions,kiosk,spanish,access,movement")
    p.set_defaults(func=_delegate("app.devtools.screenshots", "run"))

    p = sub.add_parser("sessions", help="session history: list, show, export, purge, delete")
    p.add_argument("action", choices=["list", "show", "export", "purge", "delete"])
    p.add_argument("ids", nargs="*", help="session ids (show, export, delete)")
    p.add_argument("--out", type=Path, default=None, help="export: ZIP file to write")
    p.add_argument("--status", default=None, help="filter: CREATED, IN_PROGRESS, SUCCEEDED, FAILED, EXPIRED, ERROR")
    p.add_argument("--customer", default=None, help="filter: exact customer reference")
    p.add_argument("--since", default=None, help="filter: created at or after (ISO 8601 date/time, UTC)")
    p.add_argument("--until", default=None, help="filter: created before (ISO 8601 date/time, UTC)")
    p.add_argument("--limit", type=int, default=None, help="list/export: at most this many sessions (1-1000)")
    p.add_argument("--older-than", type=float, default=None, metavar="DAYS", help="purge: age in days (default: the retention setting)")
    p.add_argument("--with-recordings", action="store_true", help="export: include decrypted recordings")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_delegate("app.core.store.cli", "sessions"))

    p = sub.add_parser("serve", help="run the local integration API")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback bind address")
    p.add_argument(
        "--aws-region", action="append", default=None, metavar="REGION",
        help="service-protocol API: accept signatures for this region only (repeatable; default: any region)",
    )
    p.set_defaults(func=_delegate("app.core.api.cli", "serve"))

    p = sub.add_parser("token", help="print the API bearer token (or, with --aws, the service-protocol access keys)")
    p.add_argument("--rotate", action="store_true", help="replace the token (or the access keys) with new ones first")
    p.add_argument("--aws", action="store_true", help="print AWS_ACCESS_KEY_ID=... and AWS_SECRET_ACCESS_KEY=... for SDK clients")
    p.set_defaults(func=_delegate("app.core.api.cli", "token"))

    p = sub.add_parser("verify-result", help="check a result JSON's signature (exit 0 valid, 1 invalid, 2 unreadable)")
    p.add_argument("file", type=Path, nargs="?")
    p.add_argument("--export-key", action="store_true", help="print this device's public key (PEM) instead")
    p.add_argument("--key", action="append", metavar="PEM", help="also trust this public key (repeatable)")
    p.set_defaults(func=_delegate("app.core.store.cli", "verify_result"))

    from app.core.fleet.cli import add_parser as add_fleet_parser

    add_fleet_parser(sub, _Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from app.core.logs import setup_logging
    from app.core.paths import repair_permissions

    setup_logging(logging.DEBUG if args.debug else logging.INFO)
    repair_permissions()  # data and settings private again (0700/0600) whatever an earlier run or umask left
    if args.command is None:
        args = parser.parse_args([*(["--debug"] if args.debug else []), "gui"])
    try:
        return int(args.func(args))
    except LivegateError as exc:
        if args.debug:
            raise
        # One line even when the message quotes a file name or value holding line breaks.
        print(f"livegate: {' '.join(str(exc).splitlines())}", file=sys.stderr)
        return exc.exit_code if exc.exit_code else EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("livegate: interrupted", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
