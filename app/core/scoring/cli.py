"""``livegate verify RECORDING [--json] [--threshold T]``: score a recording headless.

Exit codes: 0 pass, 1 fail (or could not be scored), 2 bad input, 3 unavailable.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import Any

import cv2

from app.core import defaults
from app.core.enums import Decision, Status
from app.core.errors import RecordingError
from app.core.scoring.contract import ImageOut, LivenessResult

EXIT_PASS, EXIT_FAIL = 0, 1


def _jpeg_b64(img: ImageOut) -> str:
    ok, buf = cv2.imencode(".jpg", img.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return base64.b64encode(buf.tobytes()).decode("ascii") if ok else ""


def result_json(res: LivenessResult, *, with_images: bool = False, with_plots: bool = False) -> dict[str, Any]:
    """The documented JSON of a result; optionally with base64 JPEG images and plot series."""
    images = None
    if with_images:
        images = {
            "ReferenceImage": {"Bytes": _jpeg_b64(res.reference)} if res.reference is not None else {},
            "AuditImages": [{"Bytes": _jpeg_b64(a)} for a in res.audit],
        }
    return res.to_dict(images, plots=with_plots)


def verify_recording(args: argparse.Namespace) -> int:
    """Handler of ``livegate verify``.

    Raises
    ------
    RecordingError
        Bad or unreadable recording (exit 2 through the CLI).
    ModelError
        Landmark model unavailable (exit 3 through the CLI).
    """
    from app.core.scoring.pipeline import score_recording

    path = Path(args.recording)
    if args.threshold is not None and not defaults.valid_threshold(args.threshold):
        raise RecordingError(f"--threshold must be between 0 and 100, got {args.threshold}")
    try:
        res = score_recording(path, threshold=args.threshold)
    except ValueError as exc:
        raise RecordingError(f"{path}: {exc}") from exc
    return print_result(res, as_json=getattr(args, "json", False))


def print_result(res: LivenessResult, *, as_json: bool) -> int:
    """Print a result as ``verify`` (and ``check``) do; returns the exit code: 0 pass, 1 anything else."""
    if as_json:
        sys.stdout.write(json.dumps(result_json(res), indent=2) + "\n")
    else:
        lines = [
            f"session:    {res.session_id}",
            f"decision:   {res.decision.upper() if res.status == Status.SUCCEEDED else 'NO DECISION, TRY AGAIN'}  "
            f"(confidence {res.confidence:.1f}, threshold {res.threshold:.1f}, status {res.status})",
        ]
        for c in res.checks:
            score = "  -  " if c.score is None else f"{c.score:.2f}"
            lines.append(f"  {c.name:10} {c.verdict:8} {score:>5}  {c.reason}")
        lines.append("reasons:")
        lines.extend(f"  - {r}" for r in res.reasons)
        sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_PASS if res.decision == Decision.PASS else EXIT_FAIL
