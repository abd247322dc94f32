"""``livegate eval DIR... [--report OUT] [--threshold T]``: ISO/IEC 30107-3 metrics on labelled recordings.

Every recording is scored exactly as ``livegate verify`` scores it; only
afterwards are its labels read (species, parameters), to group the results.
Scoring never sees the labels.

Metrics (ISO/IEC 30107-3): APCER per attack species and the worst species,
BPCER, APNRR/BPNRR (non-responses: sessions that could not be scored),
BPCER20/BPCER100 (BPCER at the threshold where the worst species' APCER
reaches 5 % / 1 %), score distributions, a DET curve (PNG), per-stage
timings. Written as Markdown.

Sessions' stage evidence is cached under ``out/cache/scoring`` (git-ignored)
so ``app.devtools.calibrate`` can refit without re-running landmarks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import pickle
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.core.enums import GENUINE_SPECIES, TOLERATED_SPECIES, Decision, Status, Verdict
from app.core.errors import LivegateError, RecordingError
from app.core.scoring.contract import CheckResult
from app.core.scoring.registry import STAGES

log = logging.getLogger(__name__)

GENUINE = GENUINE_SPECIES
#: Attack species whose acceptance the targets tolerate (3D masks pass geometry; reported honestly).
TOLERATED = TOLERATED_SPECIES


@dataclass
class SessionRecord:
    """One scored recording: outcome, per-stage numbers and (after scoring) its labels."""

    path: str
    species: str
    confidence: float
    decision: Decision
    status: Status
    checks: dict[str, dict[str, Any]]
    timings: dict[str, float]
    labels: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    #: The check the recording was made with, from its challenge (never from labels): "light" or "movement".
    mode: str = "light"

    @property
    def genuine(self) -> bool:
        return self.species in GENUINE

    @property
    def responded(self) -> bool:
        return self.status == Status.SUCCEEDED and not self.error


def find_recordings(dirs: Iterable[Path]) -> list[Path]:
    """All ``.lgrec`` files under the given folders (or the files themselves), sorted."""
    out: list[Path] = []
    for d in dirs:
        d = Path(d)
        if d.is_file():
            out.append(d)
        elif d.is_dir():
            out.extend(sorted(d.rglob("*.lgrec")))
        else:
            raise RecordingError(f"{d} is neither a recording nor a folder")
    return sorted(set(out))


def species_of(labels: dict[str, Any] | None) -> str:
    """Species named by a recording's labels ("unknown" without labels)."""
    if not labels:
        return "unknown"
    for key in ("species", "attack_species"):
        if isinstance(labels.get(key), str):
            return str(labels[key])
    params = labels.get("params")
    if isinstance(params, dict) and isinstance(params.get("species"), str):
        return str(params["species"])
    return "unknown"


def label_param(labels: dict[str, Any], key: str) -> Any:
    """A simulator parameter from the labels (top level or under ``params``)."""
    if key in labels:
        return labels[key]
    params = labels.get("params")
    return params.get(key) if isinstance(params, dict) else None


def cache_dir() -> Path:
    """Where per-session stage inputs are cached (``LIVEGATE_SCORING_CACHE`` overrides)."""
    env = os.environ.get("LIVEGATE_SCORING_CACHE", "").strip()
    if env:
        return Path(env)
    from app.core import paths

    root = paths.source_root()
    return (root / "out" / "cache" / "scoring") if root else Path(paths.data_dir()) / "cache" / "scoring"


def cache_key(path: Path) -> str:
    """Cache file name of a recording: its path, size, time and the feature code's version."""
    from app.core.scoring.features import FEATURES_VERSION

    st = path.stat()
    text = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|features-v{FEATURES_VERSION}"
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def _slim_input(inp: Any, texture_scores: list[float]) -> dict[str, Any]:
    """What calibration needs of a session: the features (without images) and texture scores."""
    return {"data": inp.data, "challenge": inp.challenge.to_dict(), "source": inp.source.to_dict(), "seed": inp.seed,
            "texture_scores": texture_scores}


def check_records(checks: list[CheckResult]) -> dict[str, dict[str, Any]]:
    """A session record's view of its checks (plain data: it is cached and written as JSON)."""
    out: dict[str, dict[str, Any]] = {}
    for c in checks:
        evidence = c.evidence.to_dict()
        out[c.name] = {"verdict": c.verdict, "score": c.score, "hard_fail": c.hard_fail, "reason": c.reason,
                       "features": evidence.get("features", {}), "evidence": evidence}
    return out


def score_one(path: Path, scorer: Any, threshold: float | None) -> tuple[SessionRecord, dict[str, Any] | None]:
    """Score one recording (labels untouched), then attach its labels."""
    from app.core.recording import read_labels
    from app.core.scoring.pipeline import analyse_recording

    start = time.perf_counter()
    try:
        analyzer, res = analyse_recording(path, threshold=threshold, scorer=scorer)
    except Exception as exc:  # noqa: BLE001 - one unreadable or malformed file is an error row, never the end of the run
        try:
            labels = read_labels(path) or {}
        except Exception:  # noqa: BLE001 - the labels of a broken file are as broken as its frames
            labels = {}
        kind = "" if isinstance(exc, (LivegateError, ValueError)) else f"{type(exc).__name__}: "
        rec = SessionRecord(str(path), species_of(labels), 0.0, Decision.FAIL, Status.FAILED, {}, {}, labels, error=f"{kind}{exc}"[:500])
        log.warning("%s could not be scored: %s", path, rec.error)
        return rec, None
    total_ms = (time.perf_counter() - start) * 1000
    checks = check_records(res.checks)
    timings = dict(res.timings_ms)
    timings["session_total"] = total_ms
    tex = checks.get("texture", {}).get("evidence", {}).get("scores", [])
    slim = _slim_input(analyzer.session_input(), list(tex) if isinstance(tex, list) else [])
    # Labels are read only now, after the decision is made.
    labels = read_labels(path) or {}
    rec = SessionRecord(str(path), species_of(labels), float(res.confidence), res.decision, res.status, checks, timings, labels,
                        mode=mode_of(res.challenge.type))
    return rec, slim


def mode_of(challenge_type: str) -> str:
    """Report group of a challenge type: the light check or the movement-only check."""
    from app.core.challenge import MOVEMENT_ONLY

    return "movement" if challenge_type == MOVEMENT_ONLY else "light"


def mode_stages(mode: str) -> tuple[str, ...]:
    """Stages reported for a mode, in result order: the declared stages that run for that check (the light
    check runs no stage declared ``needs_moves``, the movement-only check none declared ``needs_colours``)."""
    movement = mode == "movement"
    return tuple(s.name for s in STAGES if not (s.needs_colours if movement else s.needs_moves))


#: Titles of the per-mode reports.
MODE_TITLES = {"light": "Livegate evaluation: light check", "movement": "Livegate evaluation: movement-only check (reduced assurance)"}
#: What the movement-only check cannot see, written beside its numbers.
MOVEMENT_LIMITS = (
    "A 3D mask worn by a person (or a live accomplice) turns like a head: the movement check cannot see it; "
    "only the texture model may.",
    "A replay of the victim's own movement-only check passes when its recorded movements happen to match this "
    "session's three random cues (1 in 48 direction sequences) and to start a human reaction time after each of "
    "this session's cues: about 1 in 150 attempts, 3.3 % within the lock-out's five (docs/accuracy.md).",
    "A face made to measure for these cues (an interactive deepfake or a puppet steering a 3D head model, shown "
    "on a screen or injected) is outside what this check can rule out.",
    "No screen light: a well-lit face on a screen turned on cue shows no nose parallax, but a screen playing a "
    "3D-rendered head turned on cue would; the light check (standard assurance) sees such a screen.",
)


def score_all(paths: list[Path], threshold: float | None, *, write_cache: bool = True) -> Iterator[SessionRecord]:
    """Score recordings one after the other with one shared scorer."""
    from app.core.scoring.pipeline import SessionScorer

    scorer = SessionScorer()
    cdir = cache_dir()
    try:
        for i, path in enumerate(paths):
            rec, slim = score_one(path, scorer, threshold)
            if write_cache and slim is not None:
                try:
                    from app.core import paths as _paths

                    _paths.make_private_dir(cdir)  # stage inputs are face-derived: owner-only (0700/0600)
                    fd = os.open(cdir / f"{cache_key(path)}.pkl", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _paths.PRIVATE_FILE_MODE)
                    with open(fd, "wb") as fh:
                        _paths.set_private(cdir / f"{cache_key(path)}.pkl")
                        pickle.dump({"record": asdict(rec), "input": slim}, fh, protocol=pickle.HIGHEST_PROTOCOL)
                except OSError as exc:
                    log.warning("cannot cache %s: %s", path, exc)
            log.info("%d/%d %s %s %.1f", i + 1, len(paths), rec.species, rec.decision, rec.confidence)
            yield rec
    finally:
        scorer.close()


# --- metrics ---------------------------------------------------------------------------------


def rate(num: int, den: int) -> float:
    return num / den if den else math.nan


def metrics(records: list[SessionRecord], threshold: float) -> dict[str, Any]:
    """ISO/IEC 30107-3 metrics at one threshold (decisions re-derived from confidences and hard failures)."""
    by_species: dict[str, list[SessionRecord]] = defaultdict(list)
    for r in records:
        by_species[r.species].append(r)
    genuine = [r for r in records if r.genuine]
    g_resp = [r for r in genuine if r.responded]
    out: dict[str, Any] = {"threshold": threshold, "species": {}}
    for sp, recs in sorted(by_species.items()):
        resp = [r for r in recs if r.responded]
        accepted = [r for r in resp if accepts(r, threshold)]
        entry = {
            "n": len(recs),
            "responses": len(resp),
            "non_responses": len(recs) - len(resp),
            "accepted": len(accepted),
            "nrr": rate(len(recs) - len(resp), len(recs)),
        }
        if sp in GENUINE:
            entry["bpcer"] = rate(len(resp) - len(accepted), len(resp))
        else:
            entry["apcer"] = rate(len(accepted), len(resp))
        out["species"][sp] = entry
    attack_species = [s for s in out["species"] if s not in GENUINE and s != "unknown"]
    apcers = {s: out["species"][s]["apcer"] for s in attack_species}
    out["apcer_worst"] = max(apcers.values()) if apcers else math.nan
    out["apcer_worst_species"] = max(apcers, key=lambda s: apcers[s]) if apcers else ""
    strict = {s: v for s, v in apcers.items() if s not in TOLERATED}
    out["apcer_worst_excl_mask"] = max(strict.values()) if strict else math.nan
    out["bpcer"] = rate(sum(1 for r in g_resp if not accepts(r, threshold)), len(g_resp))
    out["bpnrr"] = rate(len(genuine) - len(g_resp), len(genuine))
    attacks = [r for r in records if not r.genuine and r.species != "unknown"]
    out["apnrr"] = rate(sum(1 for r in attacks if not r.responded), len(attacks))
    for name, exclude in (("", ()), ("_excl_mask", TOLERATED)):
        for target, label in ((0.05, "bpcer20"), (0.01, "bpcer100")):
            out[label + name] = bpcer_at_apcer(records, target, exclude)
    return out


def blocked(r: SessionRecord) -> bool:
    """True when the session fails whatever the threshold (no response, or a hard failure)."""
    return (not r.responded) or any(c.get("hard_fail") for c in r.checks.values())


def accepts(r: SessionRecord, threshold: float) -> bool:
    """Would this session pass at ``threshold``?"""
    return (not blocked(r)) and r.confidence >= threshold


def _effective_scores(records: list[SessionRecord]) -> np.ndarray:
    """Confidence, or -1 for sessions that cannot pass at any threshold."""
    return np.asarray([-1.0 if blocked(r) else r.confidence for r in records], np.float64)


def bpcer_at_apcer(records: list[SessionRecord], target: float, exclude: tuple[str, ...] = ()) -> float:
    """BPCER at the lowest threshold where every attack species' APCER is at most ``target``."""
    genuine = [r for r in records if r.genuine and r.responded]
    species = sorted({r.species for r in records if not r.genuine and r.species not in exclude and r.species != "unknown"})
    if not genuine or not species:
        return math.nan
    g = _effective_scores(genuine)
    needed = 0.0
    for sp in species:
        a = np.sort(_effective_scores([r for r in records if r.species == sp and r.responded]))
        if a.size == 0:
            continue
        allowed = int(math.floor(target * a.size))  # attacks that may still pass
        # threshold must exceed the (allowed+1)-th highest attack score
        k = a.size - allowed - 1
        if k >= 0 and a[k] >= 0:
            needed = max(needed, float(a[k]) + 1e-6)
    return float(np.mean(g < needed))


def det_points(records: list[SessionRecord], exclude: tuple[str, ...] = TOLERATED) -> list[tuple[float, float, float]]:
    """(threshold, APCER of the worst species, BPCER) over all thresholds 0..100."""
    genuine = _effective_scores([r for r in records if r.genuine and r.responded])
    species = sorted({r.species for r in records if not r.genuine and r.species not in exclude and r.species != "unknown"})
    attack = {sp: _effective_scores([r for r in records if r.species == sp and r.responded]) for sp in species}
    pts = []
    for thr in np.linspace(0, 100, 401):
        ap = max((float(np.mean(a >= thr)) for a in attack.values() if a.size), default=math.nan)
        bp = float(np.mean(genuine < thr)) if genuine.size else math.nan
        pts.append((float(thr), ap, bp))
    return pts


def draw_det(records: list[SessionRecord], out: Path, threshold: float) -> Path:
    """DET curve (probit axes) of the worst attack species (with and without masks) vs BPCER."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import norm

    fig, ax = plt.subplots(figsize=(6, 5), dpi=110)
    eps = 1e-3
    ticks = [0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95]
    for exclude, label, style in ((TOLERATED, "worst species, masks excluded", "-"), ((), "worst species, all", "--")):
        pts = det_points(records, exclude)
        ap = np.clip([p[1] for p in pts], eps, 1 - eps)
        bp = np.clip([p[2] for p in pts], eps, 1 - eps)
        ax.plot(norm.ppf(ap), norm.ppf(bp), style, label=label)
    m = metrics(records, threshold)
    ax.plot(norm.ppf(np.clip(m["apcer_worst_excl_mask"], eps, 1 - eps)), norm.ppf(np.clip(m["bpcer"], eps, 1 - eps)), "o",
            label=f"default threshold {threshold:g}")
    ax.set_xticks(norm.ppf(ticks), [f"{t:.1%}" for t in ticks])
    ax.set_yticks(norm.ppf(ticks), [f"{t:.1%}" for t in ticks])
    ax.set_xlabel("APCER (attacks accepted)")
    ax.set_ylabel("BPCER (genuine rejected)")
    ax.set_title("Livegate DET (simulated suites; values at 0 drawn at 0.1 %)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def _pct(v: float) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}%"


def _q(values: list[float]) -> str:
    if not values:
        return "-"
    a = np.asarray(values)
    return " / ".join(f"{np.percentile(a, p):.1f}" for p in (0, 5, 50, 95, 100))


def report_markdown(records: list[SessionRecord], threshold: float, det_png: Path | None, *, title: str = "Livegate evaluation",
                    stages: tuple[str, ...] | None = None, limits: tuple[str, ...] = ()) -> str:
    """The Markdown report (one check mode; ``stages``: the stages reported, default the light check's)."""
    stages = mode_stages("light") if stages is None else stages
    m = metrics(records, threshold)
    lines = [f"# {title}", ""]
    failed = sum(1 for r in records if r.error)
    lines.append(f"Recordings: {len(records)} ({len(records) - failed} scored, {failed} could not be scored); "
                 f"default threshold: {threshold:g}. Labels were read only after scoring.")
    lines.append("")
    lines.append("## Per species (at the threshold)")
    lines.append("")
    lines.append("| species | sessions | non-responses | accepted | APCER | BPCER | confidence min / p5 / median / p95 / max |")
    lines.append("|---|---|---|---|---|---|---|")
    by: dict[str, list[SessionRecord]] = defaultdict(list)
    for r in records:
        by[r.species].append(r)
    for sp, e in m["species"].items():
        conf = [r.confidence for r in by[sp] if r.responded]
        lines.append(
            f"| {sp} | {e['n']} | {e['non_responses']} | {e['accepted']} | {_pct(e.get('apcer', math.nan)) if 'apcer' in e else '-'} "
            f"| {_pct(e['bpcer']) if 'bpcer' in e else '-'} | {_q(conf)} |"
        )
    lines.append("")
    lines.append("## ISO/IEC 30107-3 summary")
    lines.append("")
    lines.append(f"- APCER, worst species: {_pct(m['apcer_worst'])} ({m['apcer_worst_species']}); "
                 f"worst excluding masks: {_pct(m['apcer_worst_excl_mask'])}")
    lines.append(f"- BPCER: {_pct(m['bpcer'])}; BPNRR: {_pct(m['bpnrr'])}; APNRR: {_pct(m['apnrr'])}")
    lines.append(f"- BPCER20: {_pct(m['bpcer20'])} (masks excluded: {_pct(m['bpcer20_excl_mask'])}); "
                 f"BPCER100: {_pct(m['bpcer100'])} (masks excluded: {_pct(m['bpcer100_excl_mask'])})")
    lines.append("")
    hard = [r for r in records if r.species == "live-hard"]
    if hard:
        lines.append("## live-hard: BPCER by condition")
        lines.append("")
        lines.append("| condition | sessions | rejected | BPCER |")
        lines.append("|---|---|---|---|")
        groups: dict[str, list[SessionRecord]] = defaultdict(list)
        for r in hard:
            gain = label_param(r.labels, "skin_gain")
            tone = "unknown" if gain is None else ("darker skin (skin_gain < 0.7)" if float(gain) < 0.7 else "lighter skin (skin_gain >= 0.7)")
            groups[f"skin tone: {tone}"].append(r)
            regime = label_param(r.labels, "light_regime")
            groups[f"light: {regime}"].append(r)
            glasses = label_param(r.labels, "glasses")
            groups[f"glasses: {'yes' if glasses else 'no'}"].append(r)
        for name in sorted(groups):
            rs = [r for r in groups[name] if r.responded]
            rej = sum(1 for r in rs if not accepts(r, threshold))
            lines.append(f"| {name} | {len(rs)} | {rej} | {_pct(rate(rej, len(rs)))} |")
        lines.append("")
    regimes = sorted({str(label_param(r.labels, "light_regime")) for r in records if label_param(r.labels, "light_regime")})
    if len(regimes) > 1:
        lines.append("## By room light (responding sessions: genuine rejected / attacks accepted)")
        lines.append("")
        lines.append("| species | " + " | ".join(regimes) + " |")
        lines.append("|---|" + "---|" * len(regimes))
        for sp in sorted(by):
            cells = []
            for regime in regimes:
                rs = [r for r in by[sp] if r.responded and label_param(r.labels, "light_regime") == regime]
                wrong = sum(1 for r in rs if accepts(r, threshold) != (sp in GENUINE))
                cells.append(f"{wrong}/{len(rs)}" if rs else "-")
            lines.append(f"| {sp} | " + " | ".join(cells) + " |")
        lines.append("")
    if limits:
        lines.append("## What this check cannot see")
        lines.append("")
        lines.extend(f"- {text}" for text in limits)
        lines.append("")
    lines.append("## Stage verdicts by species")
    lines.append("")
    lines.append("| species | " + " | ".join(f"{s} pass/fail/abstain" for s in stages) + " |")
    lines.append("|---|" + "---|" * len(stages))
    for sp in sorted(by):
        cells = []
        for s in stages:
            v = [r.checks.get(s, {}).get("verdict") for r in by[sp]]
            cells.append(f"{v.count(Verdict.PASS)}/{v.count(Verdict.FAIL)}/{v.count(Verdict.ABSTAIN)}")
        lines.append(f"| {sp} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("## Timings (ms, median / p95)")
    lines.append("")
    keys = sorted({k for r in records for k in r.timings if not k.startswith("_")})
    lines.append("| timing | median | p95 |")
    lines.append("|---|---|---|")
    for k in keys:
        vals = [r.timings[k] for r in records if k in r.timings]
        if vals:
            lines.append(f"| {k} | {statistics.median(vals):.1f} | {np.percentile(vals, 95):.1f} |")
    lines.append("")
    errors = [r for r in records if r.error]
    if errors:
        lines.append("## Recordings that could not be scored")
        lines.append("")
        for r in errors:
            lines.append(f"- {Path(r.path).name}: {r.error}")
        lines.append("")
    if det_png is not None:
        lines.append(f"DET curve: `{det_png}`")
        lines.append("")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Handler of ``livegate eval``: score, group by label, report."""
    from app.core.scoring.config import calibrated_threshold
    from app.core.scoring.movement_config import MovementConfig

    paths = find_recordings(args.dirs)
    if not paths:
        raise RecordingError(f"no .lgrec recordings found under {', '.join(str(d) for d in args.dirs)}")
    defaults = {"light": calibrated_threshold(), "movement": MovementConfig.load().threshold}
    records = list(score_all(paths, float(args.threshold) if args.threshold is not None else None))
    report = Path(args.report) if args.report else None
    # Each check is reported on its own (its own threshold, stages and limits), the light check first.
    parts = []
    for mode in ("light", "movement"):
        group = [r for r in records if r.mode == mode]
        if not group:
            continue
        threshold = float(args.threshold) if args.threshold is not None else defaults[mode]
        det = None
        if report is not None:
            suffix = ".det.png" if mode == "light" else f".{mode}.det.png"
            det = draw_det(group, report.with_suffix(suffix), threshold)
        parts.append(report_markdown(group, threshold, det, title=MODE_TITLES[mode], stages=mode_stages(mode),
                                     limits=MOVEMENT_LIMITS if mode == "movement" else ()))
    text = "\n".join(parts)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text + "\n", encoding="utf-8")
        (report.with_suffix(".json")).write_text(json.dumps([asdict(r) for r in records], default=_json_default) + "\n", encoding="utf-8")
    import sys

    sys.stdout.write(text + "\n")
    return 0


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
