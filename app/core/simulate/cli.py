"""``livegate simulate``: write simulated sessions (recordings) or contact sheets."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app.core.errors import ConfigError
from app.core.simulate.params import SPECIES

log = logging.getLogger(__name__)


def _species_list(text: str) -> list[str]:
    names = list(SPECIES) if text in ("all", "*") else [s.strip() for s in text.split(",") if s.strip()]
    bad = [n for n in names if n not in SPECIES]
    if bad:
        raise ConfigError(f"unknown species {', '.join(bad)}; choose from: {', '.join(SPECIES)} (or all)")
    return names


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in getattr(args, "set", None) or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE; got {item!r}")
        out[key.strip()] = value.strip()
    if getattr(args, "behaviour", None):
        out["behaviour"] = args.behaviour
    if getattr(args, "face", None):
        out["face"] = str(args.face)
    return out


def run(args: argparse.Namespace) -> int:
    """Entry point of ``livegate simulate`` (see ``livegate simulate --help``)."""
    species = _species_list(args.species if not args.contact_sheet or args.species != "live" else "all")
    out = Path(args.out)
    if args.count < 1:
        raise ConfigError(f"--count must be at least 1; got {args.count}")
    if args.contact_sheet:
        from app.core.simulate.contact import write_contact_sheets

        paths = write_contact_sheets(out, species=species, seed=args.seed, face=str(args.face) if args.face else None)
        for p in paths:
            print(f"{p}  {p.stat().st_size // 1024} KB")
        return 0
    from app.core.simulate.session import generate

    overrides = _overrides(args)
    from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY

    kind = MOVEMENT_ONLY if getattr(args, "challenge", "light") == "movement" else MOVEMENT_AND_LIGHT
    for sp in species:
        for r in generate(sp, args.count, args.seed, out, overrides=overrides, challenge_type=kind):
            secs = r.frames / 30.0
            note = "" if r.fitted else "  (no fit: time-out)"
            print(f"{r.path}  {r.frames} frames  {secs:.1f} s  {r.bytes / 1e6:.1f} MB{note}")
    sys.stdout.flush()
    return 0
