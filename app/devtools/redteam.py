"""``livegate redteam``: search an attack species' parameters for the session the current scoring likes most.

The search (deterministic for a seed):

1. **Random search** (60 % of the budget): new sessions, each with a fresh scene seed (victim footage, room,
   camera, this check's challenge) and the attacker's parameters drawn from the species' documented ranges
   (:data:`app.core.simulate.params.ATTACK_RANGES`).
2. **Local refinement** (the rest): around the best three so far, keeping their scene seed and moving the
   attacker's parameters by a Gaussian step that shrinks from 25 % to 5 % of each range (a categorical
   parameter switches with probability 0.3); a better attack joins the best three.

Every session is scored through the code path of ``livegate verify`` (landmark stage, then
:class:`~app.core.scoring.pipeline.LiveAnalyzer` with the context read from the manifest sections), in memory:
frames go through the recording's JPEG quality instead of a file. The decision is the one a written recording
gets (``--out`` writes the best session as a recording, so ``livegate verify`` can confirm it).

``--sweep lag`` renders a species at every forger lag 0-400 ms (``--step``) for ``--seeds`` scene seeds and prints
the decision and confidence per lag.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from app.core.errors import ConfigError
from app.core.simulate.params import ATTACK_RANGES, SEARCH_DRAWN, SPECIES, Range, sample_params

log = logging.getLogger(__name__)

GENUINE = ("live", "live-hard")
#: Share of the budget spent on random search before refinement.
RANDOM_SHARE = 0.6
#: How many of the best attacks the refinement explores around.
TOP = 3


@dataclass
class Attempt:
    """One scored attack session."""

    index: int
    phase: str  # "random" | "refine" | "sweep"
    species: str
    seed: int
    params: dict[str, Any]  # the attacker's parameters (searched and fixed)
    confidence: float = 0.0
    decision: str = ""
    status: str = ""
    reasons: list[str] = field(default_factory=list)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    frames: int = 0
    seconds: float = 0.0
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == "SUCCEEDED" and self.decision == "pass"

    def rank(self) -> tuple[int, float, int]:
        """Higher is a stronger attack: accepted first, then confidence; earlier attempts win ties."""
        return (int(self.accepted), self.confidence if not self.error else -1.0, -self.index)

    def overrides(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.params.items()}


def attack_space(species: str, fixed: dict[str, str] | None = None) -> dict[str, Range]:
    """The parameters searched for ``species`` (its documented ranges minus the ones fixed on the command line)."""
    fixed = fixed or {}
    return {k: r for k, r in ATTACK_RANGES.get(species, {}).items() if k not in fixed}


# -- scoring one session (the path of ``livegate verify``, in memory) -------------------------------------


class Evaluator:
    """Renders and scores sessions with one shared :class:`SessionScorer` (texture model loaded once)."""

    def __init__(self, threshold: float | None = None) -> None:
        from app.core.scoring.pipeline import SessionScorer

        self.threshold = threshold
        self.scorer = SessionScorer()

    def versions(self) -> dict[str, str]:
        return dict(self.scorer.versions)

    def __call__(self, attempt: Attempt) -> Attempt:
        import cv2

        from app.core.capture.frame import Frame
        from app.core.landmarks import LandmarkStage
        from app.core.recording import JPEG_QUALITY
        from app.core.scoring.pipeline import LiveAnalyzer, context_from_recording
        from app.core.simulate.session import run_session

        start = time.perf_counter()
        encoded: list[tuple[bytes, int, int]] = []

        def sink(frame: Frame) -> None:
            # The recording writer's encoding: the scorer sees exactly the pixels a written recording holds.
            ok, buf = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                raise ValueError(f"frame {frame.index} could not be encoded")
            encoded.append((buf.tobytes(), frame.t_ns, frame.index))

        try:
            result, _ = run_session(attempt.species, attempt.seed, overrides=attempt.overrides(), frame_sink=sink)
            session_id = f"redteam-{attempt.species}-{attempt.seed}-{attempt.index}"
            meta = SimpleNamespace(
                challenge=result.challenge, extra={"session_id": session_id}, camera=result.camera,
                display=result.display, timestamps_ns=[t for _, t, _ in encoded], frame_count=len(encoded),
                width=640, height=480,
            )
            ctx = context_from_recording(Path(session_id + ".lgrec"), meta, self.threshold)
            analyzer = LiveAnalyzer(ctx, scorer=self.scorer)
            with LandmarkStage.create() as stage:
                for raw, t_ns, index in encoded:
                    image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
                    frame = Frame(image, t_ns, index)
                    analyzer.add(frame, stage.process(frame))
            res = analyzer.finish()
            attempt.confidence = round(float(res.confidence), 2)
            attempt.decision = str(res.decision)
            attempt.status = str(res.status)
            attempt.reasons = [str(r) for r in res.reasons]
            attempt.checks = {
                c.name: {"verdict": str(c.verdict), "score": None if c.score is None else round(float(c.score), 3),
                         "reason": str(c.reason)}
                for c in res.checks
            }
            attempt.frames = len(encoded)
        except (ValueError, ArithmeticError) as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"
            log.warning("attempt %d (%s seed %d) could not be scored: %s", attempt.index, attempt.species, attempt.seed, exc)
        attempt.seconds = round(time.perf_counter() - start, 2)
        return attempt

    def close(self) -> None:
        self.scorer.close()


_WORKER: Evaluator | None = None


def _worker_init(threshold: float | None) -> None:
    global _WORKER
    from app.core.logs import setup_logging

    setup_logging(logging.WARNING)
    _WORKER = Evaluator(threshold)


def _worker_run(attempt: Attempt) -> Attempt:
    assert _WORKER is not None
    return _WORKER(attempt)


class Runner:
    """Evaluates batches of attempts in this process or in ``jobs`` worker processes (results in input order)."""

    def __init__(self, jobs: int, threshold: float | None, evaluate: Any = None) -> None:
        self.jobs = max(1, int(jobs))
        self._pool: Any = None
        self._local: Any = evaluate
        self.versions: dict[str, str] = {}
        if evaluate is None and self.jobs == 1:
            ev = Evaluator(threshold)
            self.versions = ev.versions()
            self._local = ev
        elif evaluate is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_worker_init, initargs=(threshold,))

    def run(self, attempts: list[Attempt], progress: Any = None) -> list[Attempt]:
        """Evaluate ``attempts``; ``progress`` is called with each as soon as it is done (in input order)."""
        done = []
        results = self._pool.map(_worker_run, attempts) if self._pool is not None else (self._local(a) for a in attempts)
        for a in results:
            done.append(a)
            if progress:
                progress(a)
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        elif isinstance(self._local, Evaluator):
            self._local.close()


def auto_jobs() -> int:
    """Two processes only on an idle machine (load below 0.5 per core), else one."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 1
    cores = os.cpu_count() or 1
    return 2 if cores >= 2 and load < 0.5 * cores - 0.5 else 1


# -- the search ---------------------------------------------------------------------------------------------


def _rng(species: str, seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(species.encode()), *stream])


def _attack_params(species: str, seed: int, fixed: dict[str, str]) -> dict[str, Any]:
    """The attacker's parameters of a fresh session: as the simulator samples them for ``seed``, plus fixed ones."""
    if species in SEARCH_DRAWN:
        rng = _rng(species, seed, 0x53524348)  # "SRCH"
        out = {k: r.sample(rng) for k, r in ATTACK_RANGES[species].items()}
    else:
        p = sample_params(species, seed)
        out = {k: p[k] for k in ATTACK_RANGES.get(species, {}) if k in p}
    out.update(fixed)
    return out


def _perturb(parent: dict[str, Any], space: dict[str, Range], scale: float, rng: np.random.Generator) -> dict[str, Any]:
    child = dict(parent)
    for name, r in space.items():
        if r.choices:
            if len(r.choices) > 1 and rng.random() < 0.3:
                child[name] = r.choices[int(rng.integers(0, len(r.choices)))]
            continue
        value = float(parent.get(name, (r.lo + r.hi) / 2)) + rng.normal(0.0, scale * (r.hi - r.lo))
        value = round(min(r.hi, max(r.lo, value)), r.nd)
        child[name] = int(value) if r.nd == 0 else value
    return child


def search(species: str, budget: int, seed: int, runner: Runner, *, fixed: dict[str, str] | None = None,
           progress: Any = None) -> list[Attempt]:
    """Random search then local refinement; returns every attempt in evaluation order."""
    fixed = dict(fixed or {})
    space = attack_space(species, fixed)
    rng = _rng(species, seed, 1)
    n_random = budget if not space else max(1, min(budget, math.ceil(RANDOM_SHARE * budget)))
    attempts: list[Attempt] = []
    batch = [Attempt(i, "random", species, s, _attack_params(species, s, fixed))
             for i, s in enumerate(int(x) for x in rng.integers(1, 2**31 - 1, n_random))]
    attempts.extend(runner.run(batch, progress))
    n_refine = budget - n_random
    j = 0
    while j < n_refine:
        top = sorted(attempts, key=lambda a: a.rank(), reverse=True)[:TOP]
        size = min(runner.jobs, n_refine - j)
        batch = []
        for b in range(size):
            parent = top[(j + b) % len(top)]
            scale = 0.25 - 0.20 * (j + b) / max(1, n_refine - 1)
            params = _perturb(parent.params, space, scale, rng)
            batch.append(Attempt(len(attempts) + b, "refine", species, parent.seed, params))
        attempts.extend(runner.run(batch, progress))
        j += size
    return attempts


def lag_sweep(species: str, seed: int, seeds: int, step_ms: int, runner: Runner, *, fixed: dict[str, str] | None = None,
              max_lag_ms: int = 400, progress: Any = None) -> list[Attempt]:
    """The species at forger lags 0..max_lag_ms for ``seeds`` scene seeds (``seed``, ``seed + 1``, ...)."""
    if "forge_delay_ms" not in ATTACK_RANGES.get(species, {}):
        raise ConfigError(f"--sweep lag needs a forger species with forge_delay_ms; {species} has none")
    fixed = dict(fixed or {})
    batch = []
    for lag in range(0, max_lag_ms + 1, max(1, step_ms)):
        for s in range(seed, seed + seeds):
            params = _attack_params(species, s, fixed)
            params["forge_delay_ms"] = lag
            batch.append(Attempt(len(batch), "sweep", species, s, params))
    return runner.run(batch, progress)


# -- reports ------------------------------------------------------------------------------------------------


def _fmt_params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


def _failed_checks(a: Attempt) -> str:
    bad = [f"{n} {c['verdict']}" for n, c in a.checks.items() if c["verdict"] != "pass"]
    return ", ".join(bad) if bad else "every check passed"


def attempt_line(a: Attempt) -> str:
    outcome = a.error or f"{a.decision.upper() if a.status == 'SUCCEEDED' else 'NO DECISION'} {a.confidence:5.1f}"
    return f"#{a.index:<3} {a.phase:6} seed {a.seed:<10} {outcome:16} {a.seconds:5.1f} s  {_fmt_params(a.params)}"


def summary(species: str, budget: int, seed: int, attempts: list[Attempt], versions: dict[str, str], jobs: int,
            wall_s: float) -> dict[str, Any]:
    ranked = sorted(attempts, key=lambda a: a.rank(), reverse=True)
    secs = [a.seconds for a in attempts if not a.error]
    return {
        "species": species,
        "budget": budget,
        "seed": seed,
        "jobs": jobs,
        "versions": versions,
        "accepted": sum(a.accepted for a in attempts),
        "errors": sum(bool(a.error) for a in attempts),
        "seconds_per_evaluation_median": round(statistics.median(secs), 2) if secs else None,
        "wall_seconds": round(wall_s, 1),
        "best": [asdict(a) for a in ranked[:5]],
        "attempts": [asdict(a) for a in attempts],
    }


def report_text(s: dict[str, Any]) -> str:
    lines = [f"red team: {s['species']}, budget {s['budget']}, seed {s['seed']}, {s['jobs']} process(es); "
             f"scoring config {s['versions'].get('scoring_config', '?')}",
             f"accepted: {s['accepted']} of {s['budget']}; errors: {s['errors']}; "
             f"{s['seconds_per_evaluation_median']} s per evaluation (median), {s['wall_seconds']} s in all",
             "strongest attacks:"]
    for b in s["best"][:3]:
        a = Attempt(**b)
        lines.append("  " + attempt_line(a))
        lines.append(f"      checks: {_failed_checks(a)}")
        for r in a.reasons[:4]:
            lines.append(f"      - {r}")
    return "\n".join(lines)


def sweep_table(species: str, attempts: list[Attempt]) -> str:
    """Markdown: decision and confidence per forger lag."""
    by_lag: dict[int, list[Attempt]] = {}
    for a in attempts:
        by_lag.setdefault(int(a.params["forge_delay_ms"]), []).append(a)
    lines = [f"| lag (ms) | accepted | confidences ({species}) | light verdicts |", "|---|---|---|---|"]
    for lag in sorted(by_lag):
        group = by_lag[lag]
        confs = ", ".join(f"{a.confidence:.0f}" if not a.error else "error" for a in group)
        light = ", ".join(a.checks.get("light", {}).get("verdict", "-") for a in group)
        lines.append(f"| {lag} | {sum(a.accepted for a in group)} of {len(group)} | {confs} | {light} |")
    return "\n".join(lines)


# -- command line -------------------------------------------------------------------------------------------


def _fixed(items: list[str] | None, species: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE; got {item!r}")
        out[key.strip()] = value.strip()
    if out:
        from app.core.simulate.params import resolve_params

        resolve_params(species, out)  # unknown keys and bad values fail here, with the simulator's message
    return out


def run(args: argparse.Namespace) -> int:
    """Entry point of ``livegate redteam`` (see ``livegate redteam --help``)."""
    species = str(args.species)
    if species not in SPECIES or species in GENUINE:
        attacks = [s for s in SPECIES if s not in GENUINE]
        raise ConfigError(f"--species must be an attack species: {', '.join(attacks)}; got {species!r}")
    if args.budget < 1:
        raise ConfigError(f"--budget must be at least 1; got {args.budget}")
    if args.sweep not in (None, "lag"):
        raise ConfigError(f"--sweep supports only 'lag'; got {args.sweep!r}")
    if args.threshold is not None and not 0.0 <= float(args.threshold) <= 100.0:
        raise ConfigError(f"--threshold must be between 0 and 100, got {args.threshold}")
    if args.sweep == "lag" and "forge_delay_ms" not in ATTACK_RANGES.get(species, {}):
        raise ConfigError(f"--sweep lag needs a forger species with forge_delay_ms; {species} has none")
    fixed = _fixed(args.set, species)
    jobs = auto_jobs() if str(args.jobs) == "auto" else int(args.jobs)
    if jobs < 1:
        raise ConfigError(f"--jobs must be at least 1 or auto; got {args.jobs}")
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)

    runner = Runner(jobs, args.threshold)
    start = time.perf_counter()
    so_far: list[Attempt] = []
    kind = "sweep-lag" if args.sweep == "lag" else "redteam"
    partial = out / f"{kind}-{species}-seed{args.seed}.partial.json" if out is not None else None

    def progress(a: Attempt) -> None:
        print(attempt_line(a), flush=True)
        so_far.append(a)
        if partial is not None:
            # A long search leaves a usable report even when it is stopped early.
            s = summary(species, args.budget, args.seed, so_far, runner.versions, runner.jobs, time.perf_counter() - start)
            partial.write_text(json.dumps({**s, "partial": True}, indent=1), encoding="utf-8")

    try:
        if args.sweep == "lag":
            attempts = lag_sweep(species, args.seed, args.seeds, args.step, runner, fixed=fixed, progress=progress)
            table = sweep_table(species, attempts)
            secs = [a.seconds for a in attempts if not a.error]
            print(f"\ndecision vs forger lag: {species}, seeds {args.seed}-{args.seed + args.seeds - 1}, "
                  f"{statistics.median(secs) if secs else 0:.1f} s per evaluation\n{table}")
            if partial is not None:
                partial.unlink(missing_ok=True)
            if out is not None:
                base = out / f"sweep-lag-{species}-seed{args.seed}"
                base.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
                base.with_suffix(".json").write_text(json.dumps(
                    {"species": species, "seed": args.seed, "seeds": args.seeds, "step_ms": args.step,
                     "versions": runner.versions, "attempts": [asdict(a) for a in attempts]}, indent=1), encoding="utf-8")
                print(f"wrote {base}.md and .json")
            return 0
        attempts = search(species, args.budget, args.seed, runner, fixed=fixed, progress=progress)
        s = summary(species, args.budget, args.seed, attempts, runner.versions, runner.jobs, time.perf_counter() - start)
        print("\n" + report_text(s))
        if out is not None:
            path = out / f"redteam-{species}-seed{args.seed}.json"
            path.write_text(json.dumps(s, indent=1), encoding="utf-8")
            if partial is not None:
                partial.unlink(missing_ok=True)
            print(f"wrote {path}")
            if args.write_best and s["best"]:
                from app.core.simulate.session import run_session

                best = Attempt(**s["best"][0])
                rec = out / f"redteam-{species}-seed{args.seed}-best.lgrec"
                run_session(species, best.seed, out=rec, overrides=best.overrides())
                print(f"wrote {rec} (check it with `livegate verify {rec}`)")
        return 0
    finally:
        runner.close()
        sys.stdout.flush()
