"""Fit the movement-only check's numbers on training recordings (never on evaluation seeds).

``python -m app.devtools.calibrate_movement DIR...`` reads the evaluation
cache of movement-only recordings under DIR (run ``livegate eval DIR`` first:
it caches each session's per-frame features and stage evidence) and writes
``app/core/scoring/movement_config.json``:

* ``stage.min_turn`` (nose parallax a cue's turn must reach): half way, in log
  terms, between the largest any training attack reached on its weakest turn cue
  and the 2nd percentile of genuine sessions' weakest turn cue, and never above
  half of that genuine percentile (a genuine turn must clear it with room to spare);
* ``stage.min_nod``: the same for the nod cues (up/down) and the nose's vertical
  parallax against the brow-chin line;
* ``stage.min_depth`` (turn depth, median over the turn cues): half way, in log
  terms, between the deepest training attack that followed every turn cue (its
  nods aside: each axis's rule must hold on its own) and the
  2nd percentile of genuine sessions, never above 0.7 of that percentile;
* ``fusion.bias``: the confidence's operating point. The fusion weights of the
  approach geometry and texture are the light check's (the approach is the same
  in both checks, fitted on far more sessions); ``movement`` adds the movement
  stage's log-odds. The bias puts threshold 60 at the larger of (the highest
  training attack that could pass at all + 0.5) and (the lowest genuine − 1.0,
  so genuine sessions pass with a margin when no attack comes near). Sessions
  that cannot pass at any threshold (a hard failure, or a required check that
  abstained: no decision) do not place it.

* ``stage.unprompted_turn`` / ``stage.unprompted_nod`` (how far the nose may move
  along each axis while no cue asks for it): the largest of 1.25 times the smallest
  level at which no genuine training session shows such a movement, half the
  median genuine answer to a cue of that axis (a movement half as large as people
  make when asked is deliberate, and a median is stable where the largest of a
  few sessions is not), and the cue threshold itself (``min_turn`` / ``min_nod``).

``--fit unprompted`` fits only the last two and keeps the rest; its seeds are
written to ``obtained.unprompted`` beside the earlier fit's.

The seeds used are written to ``obtained`` so an evaluation can prove it used
others. Labels are read only here, after scoring, to split genuine from attacks.

``--evaluate DIR...`` instead re-derives the decisions of evaluation recordings
(already scored once by ``livegate eval``, which caches them) with the current
code and configuration, refuses sessions on training seeds, and prints the
rates per species with exact 95 % intervals.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import pickle
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from app.core.capture.frame import SourceInfo
from app.core.challenge import MOVEMENT_ONLY, Challenge
from app.core.scoring.config import ScoringConfig
from app.core.scoring.contract import CheckResult
from app.core.scoring.evaluate import GENUINE, cache_dir, cache_key, find_recordings
from app.core.scoring.evidence import number
from app.core.scoring.fusion import combine, raw_confidence
from app.core.scoring.movement_config import MovementConfig
from app.core.scoring.stages.base import SessionInput
from app.core.scoring.stages.geometry import GeometryStage
from app.core.scoring.stages.movement import MovementEvidence, MovementStage, axis_of, unprompted_movements
from app.core.scoring.stages.quality import QualityStage
from app.devtools.calibrate import _as_check

#: The quality and geometry stages as configured for scoring (re-run on cached sessions: their rules may have
#: changed since the cache was written; both run on the cached per-frame features).
QUALITY = QualityStage.create(ScoringConfig.load().quality)
GEOMETRY = GeometryStage.create(ScoringConfig.load().stages["geometry"])

#: logit(0.6): the confidence 60 the operating point is mapped to.
LOGIT_60 = math.log(0.6 / 0.4)


def load_cached(paths: list[Path]) -> list[dict[str, Any]]:
    """Cached movement-only sessions (record + input) of the given recordings; others are skipped."""
    out = []
    for path in paths:
        f = cache_dir() / f"{cache_key(path)}.pkl"
        if not f.exists():
            continue
        with open(f, "rb") as fh:
            item = pickle.load(fh)
        if item["input"]["challenge"].get("type") == MOVEMENT_ONLY:
            item["path"] = path
            out.append(item)
    return out


def stage_input(item: dict[str, Any]) -> SessionInput:
    inp = item["input"]
    src = inp["source"]
    return SessionInput(inp["data"], Challenge.from_dict(inp["challenge"]), SourceInfo(kind=src.get("kind", ""), name=src.get("name", "")),
                        seed=int(inp.get("seed", 0)))


def checks_of(record: dict[str, Any], movement: CheckResult, *, quality: CheckResult | None = None,
              geometry: CheckResult | None = None) -> list[CheckResult]:
    """The session's checks with the movement stage (and, when given, the quality and geometry stages) re-run."""
    fresh = {c.name: c for c in (movement, quality, geometry) if c is not None}
    out = list(fresh.values())
    for name, c in record["checks"].items():
        if name not in fresh:
            out.append(_as_check(name, c))
    return out


def rerun_checks(item: dict[str, Any], stage: MovementStage) -> tuple[SessionInput, list[CheckResult]]:
    """A cached session's checks with the stages that run on cached features re-run by the current code."""
    inp = stage_input(item)
    return inp, checks_of(item["record"], stage.evaluate(inp), quality=QUALITY.evaluate(inp), geometry=GEOMETRY.evaluate(inp))


def cannot_pass(checks: list[CheckResult], cfg: MovementConfig) -> bool:
    """True when no operating point can pass the session: a hard failure, or a required check that abstained
    (no decision). Such sessions must not place the operating point."""
    required = set(cfg.fusion.required)
    return any(c.hard_fail or (c.name in required and c.verdict == "abstain") for c in checks)


def fit(items: list[dict[str, Any]], cfg: MovementConfig) -> dict[str, Any]:
    """Fit ``min_turn`` and the fusion bias in place; returns what was measured."""
    genuine = [i for i in items if i["record"]["species"] in GENUINE]
    attacks = [i for i in items if i["record"]["species"] not in GENUINE and i["record"]["species"] != "mask"]
    if len(genuine) < 5:
        raise SystemExit(f"calibrate_movement: need at least 5 genuine movement-only sessions in the cache, found {len(genuine)}")
    stage = MovementStage(cfg.stage)

    def weakest(item: dict[str, Any], axis: str) -> float:
        responses, _, _ = stage.responses(stage_input(item))
        peaks = [r.peak for r in responses if r.axis == axis and math.isfinite(r.peak)]
        return min(peaks) if peaks else math.nan

    def threshold(axis: str, current: float) -> tuple[float, list[float], float]:
        """Half way (in log terms) between the attacks' largest and the genuine 2nd percentile of the weakest
        cue of this axis, never above half of that percentile."""
        g_peak = np.array([weakest(i, axis) for i in genuine])
        a_peak = np.array([weakest(i, axis) for i in attacks]) if attacks else np.zeros(0)
        if not np.isfinite(g_peak).any():
            return current, [], math.nan
        g2 = float(np.nanpercentile(g_peak, 2))
        a_max = float(np.nanmax(a_peak)) if np.isfinite(a_peak).any() else 0.0
        cut = math.sqrt(max(a_max, 0.01) * g2) if g2 > 0 else current
        summary = [round(float(np.nanmin(g_peak)), 4), round(g2, 4), round(float(np.nanmedian(g_peak)), 4)]
        return round(float(min(cut, 0.5 * g2)), 4), summary, round(a_max, 4)

    cfg.stage.min_turn, g_turn, a_turn = threshold("h", cfg.stage.min_turn)
    cfg.stage.min_nod, g_nod, a_nod = threshold("v", cfg.stage.min_nod)
    stage = MovementStage(cfg.stage)

    def depth_of(item: dict[str, Any]) -> tuple[float, bool]:
        """The turn depth (turns' median; every cue's median in a check of turns only) and whether every turn
        cue was followed. Attacks are counted when their turns were followed whatever their nods did: each
        axis's rule must stand on its own (a bent print whose nod slipped past ``min_nod`` still meets this)."""
        ev = stage.evaluate(stage_input(item)).evidence
        if not isinstance(ev, MovementEvidence):
            return math.nan, False
        turn = number(ev.depth_turn)
        turns = [c for c in (ev.cues or []) if c.get("axis", "h") == "h"]
        return (turn if math.isfinite(turn) else number(ev.depth)), bool(turns) and all(c.get("followed") for c in turns)

    g_depth = np.array([depth_of(i)[0] for i in genuine])
    a_follow = [d for d, ok in (depth_of(i) for i in attacks) if ok and math.isfinite(d)]
    gd2 = float(np.nanpercentile(g_depth, 2))
    ad = max(a_follow) if a_follow else 0.0
    cfg.stage.min_depth = round(float(min(math.sqrt(max(ad, 0.05) * gd2), 0.7 * gd2)), 4)
    stage = MovementStage(cfg.stage)
    cfg.fusion.bias = 0.0
    z_g, z_a = [], []
    for group, zs in ((genuine, z_g), (attacks, z_a)):
        for item in group:
            _, checks = rerun_checks(item, stage)
            _, z = raw_confidence(checks, cfg.fusion)
            if not cannot_pass(checks, cfg):
                zs.append(z)
    lowest_genuine = min(z_g) if z_g else 0.0
    highest_attack = max(z_a) if z_a else -math.inf
    point = max(highest_attack + 0.5, lowest_genuine - 1.0)
    cfg.fusion.bias = round(LOGIT_60 - point, 4)
    return {
        "genuine_weakest_peak": g_turn,
        "attack_weakest_peak_max": a_turn,
        "genuine_weakest_nod": g_nod,
        "attack_weakest_nod_max": a_nod,
        "genuine_depth": [round(float(np.nanmin(g_depth)), 3), round(gd2, 3), round(float(np.nanmedian(g_depth)), 3)],
        "attack_depth_max_following_every_turn": round(ad, 3) if a_follow else None,
        "genuine_logit_min": round(lowest_genuine, 3),
        "attack_logit_max_that_could_pass": None if not z_a else round(highest_attack, 3),
        "sessions": {"genuine": len(genuine), "attacks": len(attacks)},
    }


def fit_unprompted(items: list[dict[str, Any]], cfg: MovementConfig) -> dict[str, Any]:
    """Fit ``unprompted_turn`` and ``unprompted_nod`` in place (see the module docstring); returns what was
    measured: per axis the smallest level at which no genuine training session shows an unprompted movement
    (``genuine_max``), and how many attacks show one beyond the fitted level."""
    genuine = [i for i in items if i["record"]["species"] in GENUINE]
    attacks = [i for i in items if i["record"]["species"] not in GENUINE and i["record"]["species"] != "mask"]
    if len(genuine) < 5:
        raise SystemExit(f"calibrate_movement: need at least 5 genuine movement-only sessions in the cache, found {len(genuine)}")
    o = cfg.stage
    stage = MovementStage(o)

    def signals(item: dict[str, Any]) -> tuple[SessionInput, dict[str, np.ndarray]] | None:
        inp = stage_input(item)
        ch = inp.challenge
        if {axis_of(m.direction) for m in ch.moves} != {"h", "v"} or len(ch.cue_ns) < len(ch.moves):
            return None
        noses: dict[str, np.ndarray] = {}
        stage.responses(inp, noses)
        return inp, noses

    def count(sig: tuple[SessionInput, dict[str, np.ndarray]], axis: str, level: float) -> int:
        inp, noses = sig
        options = dataclasses.replace(o, unprompted_turn=level, unprompted_nod=level)
        return len(unprompted_movements(inp.data.t_ns, {axis: noses[axis]} if axis in noses else {}, inp.challenge.moves,
                                        inp.challenge.cue_ns, options))

    g = [x for x in (signals(i) for i in genuine) if x is not None]
    a = [x for x in (signals(i) for i in attacks) if x is not None]
    measured: dict[str, Any] = {"sessions": {"genuine": len(g), "attacks": len(a)}}
    answers: dict[str, list[float]] = {"h": [], "v": []}
    for item in genuine:
        for r in stage.responses(stage_input(item))[0]:
            if math.isfinite(r.peak):
                answers[r.axis].append(r.peak)
    for axis, name, floor in (("h", "unprompted_turn", o.min_turn), ("v", "unprompted_nod", o.min_nod)):
        # The smallest level (5 % steps from half the cue threshold) at which no genuine session moves unasked.
        level_g = 0.5 * floor
        while level_g < 2.0 and any(count(x, axis, level_g) for x in g):
            level_g *= 1.05
        # Half the median genuine answer to a cue of this axis: a movement that large is deliberate, and the
        # median is stable on a small training set where the largest unprompted movement is not.
        half_answer = 0.5 * float(np.median(answers[axis])) if answers[axis] else 0.0
        level = round(float(max(floor, 1.25 * level_g, half_answer)), 4)
        setattr(o, name, level)
        measured[name] = {"genuine_max": round(level_g, 4), "half_median_answer": round(half_answer, 4), "level": level,
                          "attacks_beyond_level": sum(count(x, axis, level) > 0 for x in a)}
    stage = MovementStage(o)
    counts: dict[str, list[int]] = {}
    for item in genuine + attacks:
        ev = stage.evaluate(stage_input(item)).evidence
        n = len(ev.unprompted) if isinstance(ev, MovementEvidence) and isinstance(ev.unprompted, list) else 0
        counts.setdefault(item["record"]["species"], []).append(n)
    # Per species: sessions with no unprompted movement, with one (no decision), with two or more (hard failure).
    measured["unprompted_count_by_species"] = {sp: [sum(n == 0 for n in ns), sum(n == 1 for n in ns), sum(n >= 2 for n in ns)]
                                               for sp, ns in sorted(counts.items())}
    return measured


def seeds_by_species(items: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i in items:
        labels = i["record"].get("labels") or {}
        sp, seed = i["record"]["species"], labels.get("seed")
        if isinstance(seed, int):
            lo, hi = out.get(sp, [seed, seed])
            out[sp] = [min(lo, seed), max(hi, seed)]
    return out


def exact_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval of a rate ``k / n`` (exact binomial; ``(nan, nan)`` for ``n == 0``)."""
    if n <= 0:
        return math.nan, math.nan
    from scipy.stats import beta

    a = (1.0 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def training_overlap(items: list[dict[str, Any]], cfg: MovementConfig) -> list[str]:
    """Sessions whose species and seed lie in a range the configuration was fitted on (any of its fits)."""
    obtained = cfg.obtained or {}
    fits = [obtained.get("training_seeds") or {}, (obtained.get("unprompted") or {}).get("training_seeds") or {}]
    out = []
    for i in items:
        sp, seed = i["record"]["species"], (i["record"].get("labels") or {}).get("seed")
        for ranges in fits:
            lo_hi = ranges.get(sp)
            if isinstance(seed, int) and lo_hi and lo_hi[0] <= seed <= lo_hi[1]:
                out.append(Path(i["path"]).name)
                break
    return out


def evaluate(items: list[dict[str, Any]], cfg: MovementConfig) -> list[dict[str, Any]]:
    """Re-derive each cached session's decision with the current code and configuration.

    Quality, movement and geometry are re-run on the cached per-frame features, texture, injection and the
    rest are read from the cache (the texture model and the frames' pixels are not cached); the decision is
    fusion's ``combine`` as in the pipeline. Returns one row per session (labels read only here)."""
    stage = MovementStage(cfg.stage)
    rows = []
    for item in sorted(items, key=lambda i: Path(i["path"]).name):
        inp, checks = rerun_checks(item, stage)
        dec = combine(checks, cfg.threshold, cfg.fusion, inp.challenge)
        why = next((c for c in checks if c.hard_fail), None) or next((c for c in checks if c.verdict != "pass"), None)
        rows.append({"path": Path(item["path"]).name, "species": item["record"]["species"],
                     "seed": (item["record"].get("labels") or {}).get("seed"), "decision": str(dec.decision),
                     "status": str(dec.status), "confidence": round(float(dec.confidence), 1),
                     "first_objection": None if why is None else f"{why.name}: {why.code}"})
    return rows


def summary(rows: list[dict[str, Any]]) -> str:
    """Per-species table (Markdown): sessions, non-responses, rejected/accepted, APCER/BPCER with a 95 % interval."""
    lines = ["| species | sessions | seeds | non-responses | rejected | accepted | APCER | BPCER | 95 % interval |",
             "|---|---|---|---|---|---|---|---|---|"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["species"], []).append(r)
    for sp in sorted(groups, key=lambda s: (s not in GENUINE, s)):
        rs = groups[sp]
        seeds = sorted(r["seed"] for r in rs if isinstance(r["seed"], int))
        answered = [r for r in rs if r["status"] != "FAILED"]  # FAILED: no decision (a required check abstained)
        accepted = sum(1 for r in answered if r["decision"] == "pass")
        rejected = len(answered) - accepted
        k = rejected if sp in GENUINE else accepted
        lo, hi = exact_interval(k, len(answered))
        rate_text = f"{100 * k / len(answered):.1f} %" if answered else "-"
        lines.append(f"| {sp} | {len(rs)} | {seeds[0] if seeds else '-'}-{seeds[-1] if seeds else '-'} | {len(rs) - len(answered)} "
                     f"| {rejected} | {accepted} | {'-' if sp in GENUINE else rate_text} | {rate_text if sp in GENUINE else '-'} "
                     f"| {100 * lo:.1f}-{100 * hi:.1f} % |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.calibrate_movement", description=__doc__.split("\n")[0])
    parser.add_argument("train", nargs="+", type=Path, help="training recordings (folders); run `livegate eval` on them first")
    parser.add_argument("--dry-run", action="store_true", help="print the fit, write nothing")
    parser.add_argument("--fit", choices=("all", "unprompted"), default="all",
                        help="all: every number (default); unprompted: only the unprompted-movement levels")
    parser.add_argument("--evaluate", action="store_true",
                        help="instead of fitting: re-derive the decisions of the given (evaluation) recordings with the "
                             "current configuration and print per-species rates with 95 %% intervals")
    args = parser.parse_args(argv)
    items = load_cached(find_recordings(args.train))
    if args.evaluate:
        cfg = MovementConfig.load()
        overlap = training_overlap(items, cfg)
        if overlap:
            raise SystemExit(f"calibrate_movement: {len(overlap)} sessions use training seeds (e.g. {overlap[0]}); evaluate on others")
        rows = evaluate(items, cfg)
        for r in rows:
            wrong = (r["decision"] == "pass") != (r["species"] in GENUINE) or r["status"] == "FAILED"
            if wrong:
                print(f"{r['path']}: {r['status']} {r['decision']} {r['confidence']} ({r['first_objection']})")
        print(summary(rows))
        return 0
    cfg = MovementConfig.load()
    if args.fit == "unprompted":
        found = fit_unprompted(items, cfg)
        cfg.version = f"{date.today().isoformat()}.3.unprompted.sim-calibrated"
        cfg.obtained = {**(cfg.obtained or {}), "unprompted": {
            "command": "python -m app.devtools.calibrate_movement --fit unprompted " + " ".join(str(p) for p in args.train),
            "date": date.today().isoformat(), "training_seeds": seeds_by_species(items), **found}}
        print(f"unprompted_turn {cfg.stage.unprompted_turn}, unprompted_nod {cfg.stage.unprompted_nod}; {found}")
        if not args.dry_run:
            print(f"wrote {cfg.save()}")
        return 0
    measured = fit(items, cfg)
    cfg.version = f"{date.today().isoformat()}.sim-calibrated"
    cfg.obtained = {
        "method": (__doc__ or "").split("\n")[0] + " (app.devtools.calibrate_movement; see its docstring)",
        "command": "python -m app.devtools.calibrate_movement " + " ".join(str(p) for p in args.train),
        "date": date.today().isoformat(),
        "training_seeds": seeds_by_species(items),
        **measured,
    }
    print(f"min_turn {cfg.stage.min_turn}, min_nod {cfg.stage.min_nod}, min_depth {cfg.stage.min_depth}, "
          f"fusion bias {cfg.fusion.bias}; {measured}")
    if not args.dry_run:
        print(f"wrote {cfg.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
