"""Regenerate ``docs/accuracy.md`` with one command.

    python -m app.devtools.accuracy                 # score the held-out suites, write docs/accuracy.md
    python -m app.devtools.accuracy --generate      # first simulate whatever is missing of the suite

The held-out suite lives in ``out/suites/holdout7/<species>/`` (git-ignored) and is generated with
``livegate simulate`` (simulator 1.1.0: attacks also in dim and very bright rooms) from seeds that calibration
and development never saw (23000 upwards); it was scored only after the configuration was fixed. The suite
before it, ``out/suites/holdout6`` (19000 upwards), was scored with the previous configuration; what it showed
(two screen replays accepted) led to the per-channel rule, so it counts as seen.
Calibration trains on ``out/suites/train`` (seeds 1000 upwards), ``val`` (5000), ``holdout`` (7000),
``holdout2`` (9000) and ``dimattack`` (17100, prints in dim rooms); the later suites ``holdout3`` (11000),
``holdout4`` (13000, genuine only), ``holdout5`` (15000) and ``holdout6`` (19000) were looked at while
developing the cues and serve as validation.
Every recording is scored with the shipped configuration. The per-frame part of scoring (landmarks and
per-frame features) is read from the evaluation cache when this exact recording was already scored by this
version of the feature code; the session stages and fusion always run again, so a changed configuration is
always reflected. Labels are read only after scoring, to group the results.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import logging
import math
import pickle
import statistics
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from app.core.enums import Species
from app.core.scoring.config import ScoringConfig, calibrated_threshold
from app.core.scoring.evaluate import (
    GENUINE,
    TOLERATED,
    SessionRecord,
    cache_dir,
    cache_key,
    det_points,
    draw_det,
    find_recordings,
    metrics,
    report_markdown,
    score_one,
)

log = logging.getLogger(__name__)

SPECIES_COUNTS = {
    Species.LIVE: 75,
    Species.LIVE_HARD: 75,
    Species.PRINT: 100,
    Species.CURVED_PRINT: 100,
    Species.SCREEN_REPLAY: 100,
    Species.INJECTION: 100,
    Species.INJECTION_FORGED_LIGHT: 100,
    Species.MASK: 100,
}
#: Held-out suites and their first seed.
HOLDOUT_SUITES = {Path("out/suites/holdout7"): 23000}

#: What the suite before the held-out one showed with this configuration (it is seen, so not in the targets).
SEEN_SUITE_NOTE = (
    "- The previous fresh suite (seeds 19000+, 750 sessions; seen, since it led to the per-channel rule) with this "
    "configuration: 1 of 100 screen replays accepted (a chance match of another check's colours, see \"Chance "
    "matches\" below), every other attack rejected, 2 of 150 genuine faces rejected (1.3 %, both in very bright "
    "rooms). Both fresh suites together: 1 of 1200 attacks outside masks accepted, BPCER 1.0 % (3 of 299)."
)

REAL_WORLD = """## What these numbers do not show (needs real-world data)

The suites are simulated (`app/core/simulate`, see `docs/simulator.md`). The cues were chosen because they follow
from the physics and hold for real cameras, but every number above was measured on rendered sessions:

- **Display-to-camera lag window.** Calibrated on the simulator's latencies (45-100 ms). Real webcams, USB
  hubs, compositors and OS camera stacks differ; the window must be measured per device class (the estimated
  lag is in every result's evidence, so it can be collected from genuine sessions in the field).
- **Face response amplitude and shading.** Real skin (sub-surface scattering, make-up, beards, oily highlights),
  glasses, hats and strong side light change how the centre and the sides of the face respond; the
  `side_centre`, `surround` and `response_spread` coefficients need refitting on real captures, especially for
  very dark skin in bright rooms (the hardest case: least screen light relative to ambient).
- **Auto-exposure and white balance.** The simulator's AE/AWB are first-order lags; real drivers step, hunt and
  clip. The ratio mode and trend terms cope with smooth drift; stepwise AE needs real recordings.
- **Injection evidence.** Sensor noise, frame jitter and block artefacts depend on the sensor, the USB
  compression (MJPEG) and the virtual-camera software; the injection stage's coefficients are simulator-fitted.
  The colour challenge remains the main defence and does not depend on them.
- **Masks.** 3D masks pass geometry by construction; only reflectance and texture separate them. The rate
  reported for `mask` is what the simulator's mask material gives, not a claim about real masks.
- **Passive texture model.** MiniFASNet was trained on real photos; its scores on rendered faces say little
  about its real-world value in either direction.
- **Landmark jitter** of MediaPipe on real webcams at 25-60 cm, which sets the geometry stage's noise floor.
- **Perspective cues from the approach** (`nose_growth`, `nose_depth_cm`, `contour_depth_cm`). They follow from
  the pinhole model (a nose 2-5 cm in front of the eyes grows faster than the eye span as the face comes from
  ~55 to ~30 cm), but the sizes assume a 65° lens and 63 mm between the eyes (+-20 %), the simulated face has
  one generic depth profile, and MediaPipe's landmarks are a learned fit that may pull a real nose toward an
  average shape. Their weights need refitting on real approaches (several lenses, noses, glasses, beards).
- **Foreign colour structure** (`foreign_structure`, hard limit `foreign_fail`). The limit is 1.25x the most
  a simulated genuine face showed. Real rooms add flicker, auto-exposure steps and people walking by; a light
  switched on during the flashes would fail a genuine user with the reason "changed colour in a pattern of its
  own". Its genuine distribution must be measured in the field before the limit is trusted.
- **Dark and very bright rooms.** With the screen as the only light, a face and a picture brighten by the same
  fraction everywhere, so the shading cues go silent and only timing (the wipe order) and perspective remain,
  while landmarks grow noisier; in a very bright room the screen adds little light and the colour response is
  small. Since simulator 1.1.0 every attack species is also rendered in dim (8-35 lux, 25 % of seeds) and very
  bright (700-2200 lux, 15 %) rooms. With the wipe order read from one least-squares fit, no dim-room genuine
  face of seeds 19000+ and 23000+ was rejected (0 of 66; 8 of 99 on the earlier held-out seeds with the
  previous estimate); the rejected ones were in very bright rooms (3 of 47). A failure in a dark room ends
  with advice to turn on a room light (`screen_lit`: response to white >= 0.5 of the face's level, a simulated
  boundary). A left-right wipe (the cheeks, facing left and right, would follow it at different times; a flat
  picture hardly) is the next cue to add; real captures in dark and bright rooms are needed to size any of this.
- **Colour-by-colour mismatch** (`step_mismatch`, hard limit `step_fail`): the mean of the three colours the
  face followed worst, relative to the typical colour change. A replay whose recorded colours resemble this
  session's in a few steps passes the overall sequence test but not this one. Real auto-exposure that steps
  on bright colours, or a camera that clips under the white flash, raises the value for genuine users; the
  limit (1.25x the simulated genuine maximum) needs field data. A face clipped white during the colours makes
  the light check abstain (no decision, "reduce the light") instead of being called a replay.
- **Chance matches of a replayed check.** A colour sequence is 7 flashes from 7 saturated colours, so each
  camera channel sees a 7-step on/off pattern, and a replayed video of another check can follow this one's
  pattern closely in one or two channels by chance; a fitted 3x3 colour mixing then explains most of the face's
  change (R² 0.77-0.82 for the two replays accepted on seeds 19000+ before the per-channel rule, within the
  genuine range of every sequence test). The per-channel rule (every camera channel that changes clearly must
  follow this sequence better than a typical never-shown one, a fixed 0 dB limit; simulated genuine faces
  reach 0.52 dB at worst) caught one of them (-1.0 dB); the other's weakest channel (0.7 dB) lies inside the
  genuine range, so with this configuration 1 of the 200 screen replays of seeds 19000+ and 23000+ is accepted
  (0.5 %; 0 of the 100 in the untouched suite above). The remedy is more entropy in the challenge (more
  flashes, or intermediate intensities), which needs every suite re-simulated. Real replays add moire, glare
  and refresh flicker that the simulator renders only in part.
- **Wipe order** (`wipe_lead_ms`, photometric stereo from the top-down colour wipe) depends on the real
  display's wipe rendering, its refresh and the camera's rolling shutter.
"""


def generate_missing(root: Path, counts: dict[str, int], seed: int) -> None:
    """Simulate the sessions of the suite that are not there yet (in chunks of 10 seeds)."""
    for species, count in counts.items():
        folder = root / species
        have = {p.name for p in folder.glob("*.lgrec")} if folder.is_dir() else set()
        for start in range(seed, seed + count, 10):
            names = {f"{species}-{s:06d}.lgrec" for s in range(start, min(start + 10, seed + count))}
            if names <= have:
                continue
            n = min(10, seed + count - start)
            cmd = [sys.executable, "-m", "app", "simulate", "--species", species, "--count", str(n), "--seed", str(start), "--out", str(folder)]
            log.info("generating %s", " ".join(cmd[2:]))
            subprocess.run(cmd, check=True)


def collect(paths: list[Path], config: ScoringConfig) -> list[SessionRecord]:
    """Score every recording (per-frame part from the cache when valid), stages and fusion always fresh."""
    from app.devtools.calibrate import CachedSession, load_sessions, rescore
    from app.core.scoring.pipeline import SessionScorer

    cdir = cache_dir()
    missing = [p for p in paths if not (cdir / f"{cache_key(p)}.pkl").is_file()]
    if missing:
        scorer = SessionScorer()
        try:
            for p in missing:
                rec, slim = score_one(p, scorer, None)
                if slim is not None:
                    cdir.mkdir(parents=True, exist_ok=True)
                    with open(cdir / f"{cache_key(p)}.pkl", "wb") as fh:
                        pickle.dump({"record": asdict(rec), "input": slim}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            scorer.close()
    sessions: list[CachedSession] = load_sessions(paths, fill=False)
    scorer = SessionScorer(config, load_texture=False)
    records = []
    for cs in sessions:
        rec = rescore(cs, scorer, calibrated_threshold(config))
        with open(cdir / f"{cache_key(Path(cs.path))}.pkl", "rb") as fh:
            original = pickle.load(fh)["record"]
        # Timings are those of the full scoring run (landmarks, per-frame features, stages with the texture model).
        rec.timings = dict(original.get("timings") or {})
        records.append(rec)
    return records


def write_doc(records: list[SessionRecord], config: ScoringConfig, out: Path, suites: list[Path], det_png: Path) -> str:
    """Markdown of the accuracy document."""
    m = metrics(records, calibrated_threshold(config))
    counts: dict[str, int] = {}
    seeds: dict[str, list[int]] = {}
    for r in records:
        counts[r.species] = counts.get(r.species, 0) + 1
        s = r.labels.get("seed")
        if isinstance(s, int):
            seeds.setdefault(r.species, []).append(s)
    lines = [
        "# Accuracy on simulated suites",
        "",
        "Regenerate with `python -m app.devtools.accuracy` (add `--generate` to simulate missing sessions first;",
        "see the module docstring). Do not edit by hand.",
        "",
        f"- Generated: {_dt.date.today().isoformat()}; scoring config `{config.version}`; default threshold {calibrated_threshold(config):g}.",
        f"- Suites: {', '.join(str(s) for s in suites)}; seeds per species: "
        + "; ".join(f"{sp} {seed_ranges(v)} ({counts[sp]})" for sp, v in sorted(seeds.items())) + ".",
        "- Calibration used other seeds (training suite): "
        + "; ".join(f"{sp} {r[0]}-{r[1]}" for sp, r in sorted((config.obtained.get("training", {}).get("seeds") or {}).items()))
        + " (see `obtained` in `app/core/scoring/fusion_config.json`).",
        "",
        "## Targets",
        "",
    ]
    strict = {s: e.get("apcer") for s, e in m["species"].items() if s not in GENUINE and s not in TOLERATED}
    ok_apcer = all(v == 0 for v in strict.values() if v is not None and not math.isnan(v))
    n_gen = sum(e["n"] for s, e in m["species"].items() if s in GENUINE)
    lines.append(f"- 0 attacks accepted in every species except mask: **{'met' if ok_apcer else 'NOT met'}** "
                 f"(worst excluding mask: {_pct(m['apcer_worst_excl_mask'])}).")
    lines.append(f"- BPCER <= 1 % at the default threshold: **{'met' if m['bpcer'] <= 0.01 else 'NOT met'}** ({_pct(m['bpcer'])}, "
                 f"{n_gen} genuine sessions; BPNRR {_pct(m['bpnrr'])}).")
    lines.append(SEEN_SUITE_NOTE)
    small = [s for s, n in counts.items() if (s in GENUINE and False) or (s not in GENUINE and n < 100)]
    if small or n_gen < 100:
        lines.append(f"- Suite size: the targets ask for >= 100 genuine and >= 100 per attack species; this run has "
                     + ", ".join(f"{s} {n}" for s, n in sorted(counts.items())) + ". With n sessions and 0 errors the 95 % upper "
                     "bound on a rate is about 3/n.")
    lines.append("")
    body = report_markdown(records, calibrated_threshold(config), None, title="Results").split("\n")
    lines.extend(["#" + ln if ln.startswith("#") else ln for ln in body])
    lines.append("## DET curve (worst attack species, masks excluded, vs BPCER)")
    lines.append("")
    lines.append(f"PNG: `{det_png}` (regenerated with this document, not committed).")
    lines.append("")
    lines.append("| threshold | APCER (worst, excl. mask) | BPCER |")
    lines.append("|---|---|---|")
    for thr, ap, bp in det_points(records)[::40]:
        lines.append(f"| {thr:.0f} | {_pct(ap)} | {_pct(bp)} |")
    lines.append("")
    per_frame = [r.timings.get("per_frame_median") for r in records if r.timings.get("per_frame_median")]
    decision = [r.timings.get("decision") for r in records if r.timings.get("decision")]
    if per_frame and decision:
        lines.append("## Speed (as measured while scoring the suite; shared, heavily loaded 2-core machine)")
        lines.append("")
        lines.append(f"- Per-frame analysis (`LiveAnalyzer.add`, without landmarks): median {statistics.median(per_frame):.2f} ms "
                     f"(p95 of session medians {np.percentile(per_frame, 95):.2f} ms).")
        lines.append(f"- Decision after the last frame (`finish()`, all stages incl. texture model): median "
                     f"{statistics.median(decision):.0f} ms, p95 {np.percentile(decision, 95):.0f} ms.")
        lines.append("- `livegate bench --only scoring` measures both on a hand-made session (no landmarks needed).")
        lines.append("")
    lines.append(REAL_WORLD)
    return "\n".join(lines) + "\n"


def seed_ranges(seeds: list[int]) -> str:
    """Seeds as contiguous ranges: ``[7000..7049, 9000..9049]`` -> ``"7000-7049, 9000-9049"``."""
    out: list[str] = []
    ordered = sorted(set(seeds))
    if not ordered:
        return ""
    start = prev = ordered[0]
    for s_ in ordered[1:] + [None]:  # type: ignore[list-item]
        if s_ is not None and s_ == prev + 1:
            prev = s_
            continue
        out.append(f"{start}-{prev}" if prev != start else f"{start}")
        if s_ is not None:
            start = prev = s_
    return ", ".join(out)


def _pct(v: Any) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.accuracy", description="Regenerate docs/accuracy.md.")
    parser.add_argument("--suites", nargs="+", type=Path, default=list(HOLDOUT_SUITES))
    parser.add_argument("--generate", action="store_true", help="simulate the missing sessions of the held-out suites first")
    parser.add_argument("--out", type=Path, default=Path("docs/accuracy.md"))
    parser.add_argument("--report-dir", type=Path, default=Path("out/reports"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.generate:
        for suite in args.suites:
            if suite not in HOLDOUT_SUITES:
                raise SystemExit(f"--generate knows the seeds of {', '.join(map(str, HOLDOUT_SUITES))} only, not {suite}")
            generate_missing(suite, SPECIES_COUNTS, HOLDOUT_SUITES[suite])
    config = ScoringConfig.load()
    records = collect(find_recordings(args.suites), config)
    det = draw_det(records, args.report_dir / "accuracy.det.png", calibrated_threshold(config))
    text = write_doc(records, config, args.out, args.suites, det)
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {args.out} ({len(records)} sessions)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
