"""Fit the scoring configuration on simulated training seeds; check it on separate validation seeds.

Usage (after ``livegate eval`` has scored the suites once, which fills the cache)::

    python -m app.devtools.calibrate --train out/suites/train out/suites/val out/suites/holdout \
        out/suites/holdout2 out/suites/dimattack --val out/suites/holdout3 out/suites/holdout5

What is fitted, in order, on the training suite only:

1. the light stage's display-to-camera lag window, from the lags of genuine sessions (margins added), and its
   foreign-structure and colour-by-colour mismatch limits (1.25 x the most any genuine training face showed,
   at least 0.3 and 0.4);
2. each stage's logistic score over its evidence features (L2-regularised, balanced classes): light on
   genuine vs reflective attacks (prints, masks, screens), geometry on genuine vs flat or bent attacks,
   injection on genuine vs injected streams;
3. the fusion weights over the stages' physical evidence (each weight's sign fixed by the physics, so more
   liveness evidence never lowers the confidence), on genuine vs every attack species except masks (3D masks
   are reported, not fitted against) among the sessions no hard rule has already failed;
4. the operating point: the lowest confidence that rejects every training attack (masks excepted) with a margin,
   mapped to the default threshold 60 by shifting the fusion bias.

Then the validation suite is re-scored from the cache and its metrics are written into the config's
``obtained`` section together with the seeds, counts and the command.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import logging
import math
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.core.capture.frame import SourceInfo
from app.core.challenge import Challenge
from app.core import defaults
from app.core.enums import Species, Status
from app.core.scoring.config import ScoringConfig
from app.core.scoring.contract import CheckResult
from app.core.scoring.evaluate import (
    GENUINE,
    TOLERATED,
    SessionRecord,
    cache_dir,
    cache_key,
    check_records,
    find_recordings,
    metrics,
    score_one,
    species_of,
)
from app.core.scoring.fusion import combine, fusion_input
from app.core.scoring.pipeline import SessionScorer
from app.core.scoring.registry import STAGES
from app.core.scoring.stages.base import SessionInput
from app.core.scoring.stages.texture import TextureStage

log = logging.getLogger(__name__)

#: Features of each stage's score and the sign physics prescribes for their coefficient (+1: more of it is
#: more live, -1: less live). Signs keep the fit from learning how the simulator happens to draw: for example
#: the simulated webcams jitter more than the simulated injected streams, while real players and virtual
#: cameras jitter more than real sensors, so frame jitter may only ever count against liveness.
#: How well the face follows the sequence (R^2, gain over decoys, SNR) decides the hard failure and is
#: not part of the score: a print follows the sequence as well as a face does.
LIGHT_FEATURES = {"shade": +1, "surround": -1, "response_spread": +1, "wipe_lead_ms": +1}
GEOMETRY_FEATURES = {"nose_excess": +1, "contour_excess": +1, "depth_nose": +1, "dose_response": +1,
                     "nose_depth_cm": +1, "contour_depth_cm": +1, "nose_growth": +1}
INJECTION_FEATURES = {"jitter": -1, "dark_noise": +1, "temporal_noise": +1, "blockiness": -1}
#: Attacks each stage's score is fitted against: the ones its physics is meant to catch. Masks are 3D and
#: reflect like skin (light and geometry cannot see them); replays and injections fail the sequence test.
LIGHT_ATTACKS = (Species.PRINT, Species.CURVED_PRINT)
GEOMETRY_ATTACKS = (Species.PRINT, Species.CURVED_PRINT, Species.SCREEN_REPLAY)
#: Inputs of the fusion model and the sign of their weight (see ``FusionOptions``).
FUSION_INPUTS = {
    "light.gain_db": +1,
    "light.shade": +1,
    "light.side_centre": -1,
    "light.surround": -1,
    "light.response_spread": +1,
    "light.wipe_lead_ms": +1,
    "light.foreign_excess": -1,
    "geometry.nose_excess": +1,
    "geometry.contour_excess": +1,
    "geometry.nose_depth_cm": +1,
    "geometry.contour_depth_cm": +1,
    "geometry.nose_growth": +1,
    "texture.logit": +1,
}
#: Hard limits learned from genuine sessions sit this far above the most any genuine training session showed.
LIMIT_HEADROOM = 1.25
#: Ridge strength of the fusion fit (on standardised inputs): small suites, so prefer small weights.
FUSION_L2 = 1.0
#: Largest share of training genuine sessions the operating point may reject to keep every attack out.
MAX_TRAIN_BPCER = 0.05
INJECTION_ATTACKS = (Species.INJECTION, Species.INJECTION_FORGED_LIGHT)
#: The threshold the operating point is mapped onto.
DEFAULT_THRESHOLD = defaults.THRESHOLD


@dataclass
class CachedSession:
    """A scored recording's stage input, read back from the evaluation cache."""

    path: str
    species: str
    labels: dict[str, Any]
    inp: SessionInput
    texture_scores: list[float] = field(default_factory=list)


def load_sessions(dirs: list[Path], *, fill: bool = True) -> list[CachedSession]:
    """Cached inputs of every recording under ``dirs`` (scoring the missing ones first when ``fill``)."""
    out: list[CachedSession] = []
    cdir = cache_dir()
    scorer: SessionScorer | None = None
    try:
        for path in find_recordings(dirs):
            f = cdir / f"{cache_key(path)}.pkl"
            if not f.is_file() and fill:
                scorer = scorer or SessionScorer()
                rec, slim = score_one(path, scorer, None)
                if slim is not None:
                    cdir.mkdir(parents=True, exist_ok=True)
                    from dataclasses import asdict

                    with open(f, "wb") as fh:
                        pickle.dump({"record": asdict(rec), "input": slim}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            if not f.is_file():
                log.debug("no cached input for %s", path)
                continue
            with open(f, "rb") as fh:
                entry = pickle.load(fh)
            slim, rec = entry["input"], entry["record"]
            src = SourceInfo(**slim["source"])
            inp = SessionInput(slim["data"], Challenge.from_dict(slim["challenge"]), src, seed=int(slim["seed"]))
            labels = rec.get("labels") or {}
            out.append(CachedSession(str(path), species_of(labels), labels, inp, list(slim.get("texture_scores") or [])))
    finally:
        if scorer is not None:
            scorer.close()
    return out


def rescore(cs: CachedSession, scorer: SessionScorer, threshold: float) -> SessionRecord:
    """Run the session stages and fusion on a cached input (what ``finish()`` does, minus images)."""
    checks: list[CheckResult] = []
    for spec in scorer.specs_for(cs.inp.challenge):
        stage = scorer.stage(spec.name)
        if isinstance(stage, TextureStage):
            # The texture model's scores come from the cache (the re-scoring scorer loads no model).
            checks.append(stage.judge(cs.texture_scores, []) if cs.texture_scores else stage.not_scored())
            continue
        checks.append(stage.evaluate(cs.inp))
    fusion, _ = scorer.fusion_for(cs.inp.challenge)
    dec = combine(checks, threshold, fusion, cs.inp.challenge, scorer.registry)
    return SessionRecord(cs.path, cs.species, dec.confidence, dec.decision, dec.status, check_records(checks), {}, cs.labels)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, nonneg: bool = False, signs: list[int] | None = None
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression with balanced classes; coefficients in the inputs' units.

    NaN inputs are replaced by 0, as the stages' scores do. ``nonneg`` forces every coefficient >= 0 (and
    does not centre the inputs); ``signs`` (+1, -1 or 0 per input) constrains each coefficient's sign.
    """
    from scipy.optimize import minimize

    x = np.nan_to_num(np.asarray(x, np.float64), nan=0.0)
    y = np.asarray(y, np.float64)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    if nonneg:
        mu = np.zeros_like(mu)  # keep the sign meaning of each input
    z = (x - mu) / sd
    w_pos = 0.5 / max(y.mean(), 1e-9)
    w_neg = 0.5 / max(1 - y.mean(), 1e-9)
    sw = np.where(y > 0.5, w_pos, w_neg) / len(y)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        s = z @ w + b
        p = 1.0 / (1.0 + np.exp(-np.clip(s, -30, 30)))
        eps = 1e-12
        val = -np.sum(sw * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))) + 0.5 * l2 * np.sum(w * w) / len(y)
        g = sw * (p - y)
        grad = np.concatenate([z.T @ g + l2 * w / len(y), [g.sum()]])
        return float(val), grad

    if nonneg:
        signs = [1] * z.shape[1]
    bounds = None
    if signs is not None:
        bounds = [(0.0, None) if sg > 0 else (None, 0.0) if sg < 0 else (None, None) for sg in signs] + [(None, None)]
    res = minimize(loss, np.zeros(z.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    w, b = res.x[:-1], res.x[-1]
    coef = w / sd
    bias = float(b - np.sum(coef * mu))
    return coef, bias


def _as_check(name: str, c: dict[str, Any]) -> CheckResult:
    """A session record's check rebuilt with its stage's evidence type."""
    spec = STAGES.get(name)
    evidence = spec.evidence.from_dict(c.get("evidence")) if spec is not None else None
    check = CheckResult(name, c["verdict"], c["score"], c.get("reason", ""), hard_fail=c.get("hard_fail", False))
    if evidence is not None:
        check.evidence = evidence
    return check


def _features(stage: Any, cs: CachedSession, kind: str) -> dict[str, float] | None:
    if kind in ("light", "geometry"):
        analysis = stage.analyse(cs.inp)
        return stage.features(analysis.evidence) if analysis.ok else None
    ev = stage.measure(cs.inp.data)
    return stage.features(ev)


def calibrate(train: list[CachedSession], val: list[CachedSession], base: ScoringConfig) -> tuple[ScoringConfig, dict[str, Any]]:
    """Fit a config on ``train``; return it and the validation metrics."""
    cfg = base
    # The sweep-order rule (light stage) is a fixed rule, not fitted: it is off while the scores and fusion are
    # fitted, so they learn from the attacks only that rule blocks (a flat print, a tint painted without the
    # wipe) and still separate them should a forger follow the wipe. It is back on for the final metrics.
    sweep = {k: getattr(cfg.light, k) for k in ("sweep_min_usable", "sweep_min_agree", "sweep_fail")}
    cfg.light.sweep_min_usable, cfg.light.sweep_min_agree, cfg.light.sweep_fail = 0, 0, 0.0
    scorer = SessionScorer(cfg, load_texture=False)
    notes: dict[str, Any] = {}

    # 1. Lag window from genuine sessions (searched wide first).
    wide = scorer.light.options
    wide_window = wide.lag_window_ms
    wide.lag_window_ms = wide.lag_search_ms
    lags, forged = [], []
    for cs in train:
        if cs.species in GENUINE or cs.species == Species.INJECTION_FORGED_LIGHT:
            analysis = scorer.light.analyse(cs.inp)
            if analysis.ok and analysis.evidence.gain_db > 3:
                (lags if cs.species in GENUINE else forged).append(float(analysis.evidence.lag_ms))
    wide.lag_window_ms = wide_window
    if lags:
        lo = math.floor(min(lags) / 10) * 10 - 30
        hi = math.ceil(max(lags) / 10) * 10 + 50
        cfg.light.lag_window_ms = (float(max(lo, wide.lag_search_ms[0])), float(hi))
    # Foreign colour structure and colour-by-colour mismatch: the most a genuine training face showed, with
    # 25 % headroom (never below the floors), among genuine sessions the other light rules let through (a face
    # that failed the sequence test leaves everything unexplained and says nothing about these limits).
    observed: dict[str, list[float]] = {"foreign_structure": [], "step_mismatch": []}
    limits = (scorer.light.options.foreign_fail, scorer.light.options.step_fail)
    scorer.light.options.foreign_fail = scorer.light.options.step_fail = math.inf
    for cs in train:
        if cs.species in GENUINE:
            res = scorer.light.evaluate(cs.inp)
            for key, values in observed.items():
                value = getattr(res.evidence, key)
                if not res.hard_fail and isinstance(value, float) and math.isfinite(value):
                    values.append(value)
    scorer.light.options.foreign_fail, scorer.light.options.step_fail = limits
    for key, option, floor in (("foreign_structure", "foreign_fail", 0.3), ("step_mismatch", "step_fail", 0.4)):
        values = observed[key]
        if values:
            setattr(cfg.light, option, round(max(floor, LIMIT_HEADROOM * max(values)), 3))
            notes[f"genuine_{key}"] = [round(float(np.median(values)), 3), round(max(values), 3)]
    notes["genuine_lag_ms"] = [round(min(lags), 1), round(float(np.median(lags)), 1), round(max(lags), 1)] if lags else []
    notes["forged_lag_ms"] = [round(min(forged), 1), round(max(forged), 1)] if forged else []
    scorer = SessionScorer(cfg, load_texture=False)

    # 2. Stage scores.
    for kind, names, attacks, stage in (
        ("light", LIGHT_FEATURES, LIGHT_ATTACKS, scorer.light),
        ("geometry", GEOMETRY_FEATURES, GEOMETRY_ATTACKS, scorer.geometry),
        ("injection", INJECTION_FEATURES, INJECTION_ATTACKS, scorer.injection),
    ):
        rows, ys = [], []
        for cs in train:
            if cs.species not in GENUINE and cs.species not in attacks:
                continue
            f = _features(stage, cs, kind)
            if f is None:
                continue
            rows.append([f.get(n, math.nan) for n in names])
            ys.append(1.0 if cs.species in GENUINE else 0.0)
        if len(set(ys)) < 2:
            log.warning("stage %s: training data lacks genuine or attack sessions; keeping its coefficients", kind)
            continue
        coef, bias = fit_logistic(np.array(rows), np.array(ys), l2=2.0, signs=list(names.values()))
        opts = getattr(cfg, kind)
        opts.coef = {n: round(float(c), 5) for n, c in zip(names, coef)}
        opts.bias = round(float(bias), 5)
        notes[f"{kind}_training"] = {"genuine": int(sum(ys)), "attacks": int(len(ys) - sum(ys))}
    scorer = SessionScorer(cfg, load_texture=False)

    # 3. Fusion: one logistic model over the stages' physical evidence (signs constrained).
    keys = list(FUSION_INPUTS)
    rows, ys = [], []
    for cs in train:
        rec = rescore(cs, scorer, DEFAULT_THRESHOLD)
        if cs.species in TOLERATED or any(c.get("hard_fail") for c in rec.checks.values()) or rec.status != Status.SUCCEEDED:
            continue
        by_name = {n: _as_check(n, c) for n, c in rec.checks.items()}
        rows.append([fusion_input(k, by_name, {}) for k in keys])
        ys.append(1.0 if cs.species in GENUINE else 0.0)
    if len(set(ys)) == 2:
        coef, bias = fit_logistic(np.array(rows), np.array(ys), l2=FUSION_L2, signs=[FUSION_INPUTS[k] for k in keys])
        cfg.fusion.weights = {k: round(float(c), 5) for k, c in zip(keys, coef)}
        cfg.fusion.bias = round(float(bias), 5)
        cfg.fusion.fill = {}
    elif ys:
        notes["fusion"] = "all non-blocked training sessions were of one class: weights kept"
    stage_names = keys
    # 4. Operating point -> the default threshold.
    z_gen, z_att = [], []
    for row, y in zip(rows, ys):
        z = cfg.fusion.bias + sum(cfg.fusion.weights.get(n, 0.0) * v for n, v in zip(stage_names, row))
        (z_gen if y > 0.5 else z_att).append(z)
    if z_gen:
        margin = 0.5
        z_star = (max(z_att) + margin) if z_att else (min(z_gen) - 2.0)
        rejected = float(np.mean(np.asarray(z_gen) < z_star))
        if rejected > MAX_TRAIN_BPCER:
            # Keeping every training attack out would reject too many genuine users: settle at the allowed share.
            z_star = float(np.quantile(z_gen, MAX_TRAIN_BPCER))
            notes["operating_point_compromise"] = f"keeping all attacks out would reject {rejected:.0%} of genuine training sessions"
        shift = math.log(DEFAULT_THRESHOLD / (100 - DEFAULT_THRESHOLD)) - z_star
        cfg.fusion.bias = round(cfg.fusion.bias + shift, 4)
        notes["operating_point"] = {"max_attack_logit": round(max(z_att), 3) if z_att else None,
                                    "min_genuine_logit": round(min(z_gen), 3), "margin": margin}
    cfg.threshold = DEFAULT_THRESHOLD
    for key, value in sweep.items():
        setattr(cfg.light, key, value)
    scorer = SessionScorer(cfg, load_texture=False)
    train_recs = [rescore(cs, scorer, cfg.threshold) for cs in train]
    val_recs = [rescore(cs, scorer, cfg.threshold) for cs in val]
    notes["train_metrics"] = _summary(metrics(train_recs, cfg.threshold))
    notes["validation_metrics"] = _summary(metrics(val_recs, cfg.threshold)) if val_recs else {}
    return cfg, {"notes": notes, "train": train_recs, "val": val_recs}


def _summary(m: dict[str, Any]) -> dict[str, Any]:
    def r(v: Any) -> Any:
        return round(v, 4) if isinstance(v, float) and math.isfinite(v) else (None if isinstance(v, float) else v)

    return {
        "bpcer": r(m["bpcer"]),
        "bpnrr": r(m["bpnrr"]),
        "apnrr": r(m["apnrr"]),
        "apcer_worst_excl_mask": r(m["apcer_worst_excl_mask"]),
        "apcer_by_species": {s: r(e.get("apcer")) for s, e in m["species"].items() if "apcer" in e},
        "sessions_by_species": {s: e["n"] for s, e in m["species"].items()},
    }


def _seeds(sessions: list[CachedSession]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for cs in sessions:
        seed = cs.labels.get("seed")
        if isinstance(seed, int):
            out.setdefault(cs.species, []).append(seed)
    return {k: [min(v), max(v)] for k, v in sorted(out.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.calibrate", description=__doc__.split("\n")[0])
    parser.add_argument("--train", nargs="+", type=Path, required=True)
    parser.add_argument("--val", nargs="*", type=Path, default=[])
    parser.add_argument("--out", type=Path, default=None, help="config to write (default: the shipped fusion_config.json)")
    parser.add_argument("--version", default=None, help="config_version to record")
    parser.add_argument("--cached-only", action="store_true", help="use only recordings already in the evaluation cache")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    train = load_sessions(args.train, fill=not args.cached_only)
    val = load_sessions(args.val, fill=not args.cached_only) if args.val else []
    train_paths = {cs.path for cs in train}
    if any(cs.path in train_paths for cs in val):
        raise SystemExit("validation and training suites overlap; use separate seeds")
    cfg, out = calibrate(train, val, ScoringConfig())
    today = _dt.date.today().isoformat()
    cfg.version = args.version or f"{today}.sim-calibrated"
    cfg.obtained = {
        "method": "app.devtools.calibrate (see its docstring): lag window from genuine lags; per-stage L2 logistic "
                  "regressions; sign-constrained fusion weights; operating point = max training attack logit + margin, "
                  f"mapped to threshold {DEFAULT_THRESHOLD:g}",
        "command": "python -m app.devtools.calibrate --train " + " ".join(map(str, args.train))
                   + (" --val " + " ".join(map(str, args.val)) if args.val else ""),
        "date": today,
        "training": {"sessions": len(train), "seeds": _seeds(train)},
        "validation": {"sessions": len(val), "seeds": _seeds(val)},
        **out["notes"],
    }
    path = cfg.save(args.out)
    sys.stdout.write(f"wrote {path}\n")
    sys.stdout.write(f"train: {out['notes']['train_metrics']}\nval:   {out['notes'].get('validation_metrics')}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
