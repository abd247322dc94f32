"""The scoring stages, each declared once.

A stage module under ``app/core/scoring/stages/`` declares itself with :meth:`StageRegistry.register`::

    STAGE = STAGES.register(StageSpec("light", LightStage, LightOptions, LightEvidence, order=20, plots=True,
                                      needs_colours=True, capture_sensitive=True))

A stage declared ``needs_colours`` runs only for the light check, one declared ``needs_moves`` only for the
movement-only check (:meth:`StageSpec.runs_for`); every other stage runs for both.

and everything else follows from that entry: the configuration section ``stages.<section>`` of
``fusion_config.json`` is read into the stage's options class, the scorer builds the stages and runs them in
``order`` (calling ``evaluate_with_plots`` where ``plots`` is set), fusion asks the spec whether a stage is
needed without colours, and cached results are rebuilt with the evidence class. Adding a stage therefore
touches the stage's own file, its configuration section and its tests, nothing else.

The default registry :data:`STAGES` finds the stage modules by listing the ``stages`` package the first time
it is asked for its stages; tests build their own :class:`StageRegistry` to try throwaway stages.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.core.challenge import Challenge
from app.core.errors import ConfigError
from app.core.scoring.contract import CheckResult
from app.core.scoring.evidence import Evidence


class SessionStage(Protocol):
    """What the scorer needs of a stage: ``evaluate`` (or ``evaluate_with_plots`` when it draws plots) and
    ``close``."""

    name: str

    def evaluate(self, session: Any) -> CheckResult:
        """Judge one session (a :class:`~app.core.scoring.stages.base.SessionInput`)."""

    def close(self) -> None:
        """Release resources."""


@dataclass
class BuildContext:
    """What the scorer offers stages while building them.

    Attributes
    ----------
    models:
        Ready-made models by stage name (tests pass doubles); a stage loads its own when absent.
    load_models:
        False: a stage must not load models (it then abstains as "not installed").
    versions:
        Stages add the versions of what they loaded (reported with every result).
    """

    models: dict[str, Any] = field(default_factory=dict)
    load_models: bool = True
    versions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageSpec:
    """One stage's declaration.

    Attributes
    ----------
    name:
        The stage's name in results (``Checks[].Name``) and in the fusion weights.
    stage:
        The stage class; built with ``stage.build(options, context)`` when it has that class method, else
        ``stage(options)``.
    options:
        The options dataclass, filled from the configuration section.
    evidence:
        The evidence dataclass (rebuilds cached and stored results).
    order:
        Run order (and the order of ``Checks`` in the result).
    plots:
        The stage draws operator plots: the scorer calls ``evaluate_with_plots``.
    section:
        Its section under ``stages`` in the configuration (default: ``name``).
    needs_colours:
        The stage judges the colour challenge: it is neither run nor required for a movement-only check.
    needs_moves:
        The stage judges the head-turn cues of a movement-only check: it is run (and can be required) only
        for that check, never for the light check. Its options are the ``stage`` section of the movement-only
        check's own configuration (``movement_config.json``), which also holds that check's fusion and threshold.
    capture_sensitive:
        Poor capture (over-exposure, darkness, back light) can hide what it measures: its failures come with
        advice on the capture conditions.
    feature_ranges:
        The range a genuine face produces for each of its score features: fusion clips its inputs to them, so
        a value beyond what a face can produce adds nothing more.
    """

    name: str
    stage: type
    options: type
    evidence: type[Evidence]
    order: int
    plots: bool = False
    section: str = ""
    needs_colours: bool = False
    needs_moves: bool = False
    capture_sensitive: bool = False
    feature_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.section:
            object.__setattr__(self, "section", self.name)
        if self.needs_colours and self.needs_moves:
            raise TypeError(f"stage {self.name} cannot need both the colours and the head-turn cues (no check has both)")
        if not dataclasses.is_dataclass(self.options):
            raise TypeError(f"stage {self.name}: options must be a dataclass, got {self.options!r}")
        if self.plots and not callable(getattr(self.stage, "evaluate_with_plots", None)):
            raise TypeError(f"stage {self.name} is declared to draw plots but has no evaluate_with_plots()")
        if not callable(getattr(self.stage, "evaluate", None)):
            raise TypeError(f"stage {self.name} has no evaluate()")
        if getattr(self.stage, "name", self.name) != self.name:
            raise TypeError(f"stage class {self.stage.__name__} is named {self.stage.name!r}, declared as {self.name!r}")

    def runs_for(self, challenge: Challenge) -> bool:
        """Whether the stage judges sessions of ``challenge``'s check (see ``needs_colours``/``needs_moves``)."""
        if challenge.movement_only:
            return not self.needs_colours
        return not self.needs_moves

    def build(self, options: Any, context: BuildContext) -> Any:
        """The stage, built with its options."""
        if not isinstance(options, self.options):
            raise ConfigError(
                f"scoring config section stages.{self.section} holds {type(options).__name__}, "
                f"expected {self.options.__name__} for stage {self.name}"
            )
        factory = getattr(self.stage, "build", None)
        return factory(options, context) if callable(factory) else self.stage(options)


class StageRegistry:
    """Stage declarations by name, iterated in run order."""

    def __init__(self, *, discover: str | None = None) -> None:
        """``discover``: a package whose modules are imported (once) before the stages are first listed."""
        self._specs: dict[str, StageSpec] = {}
        self._discover = discover

    def register(self, spec: StageSpec) -> StageSpec:
        """Declare a stage; a second declaration of a name or a section is an error."""
        if spec.name in self._specs:
            raise ValueError(f"scoring stage {spec.name!r} is declared twice")
        if any(s.section == spec.section for s in self._specs.values()):
            raise ValueError(f"scoring config section {spec.section!r} is claimed by two stages")
        self._specs[spec.name] = spec
        return spec

    def _load(self) -> None:
        if self._discover is None:
            return
        package, self._discover = self._discover, None
        pkg = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            importlib.import_module(f"{package}.{info.name}")

    def specs(self) -> list[StageSpec]:
        """Every declared stage, in run order."""
        self._load()
        return sorted(self._specs.values(), key=lambda s: (s.order, s.name))

    def __iter__(self) -> Iterator[StageSpec]:
        return iter(self.specs())

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._specs

    def get(self, name: str) -> StageSpec | None:
        """The declaration of ``name``, or None."""
        self._load()
        return self._specs.get(name)

    def names(self) -> list[str]:
        return [s.name for s in self.specs()]

    def for_challenge(self, challenge: Challenge) -> list[StageSpec]:
        """The stages that judge sessions of ``challenge``'s check, in run order."""
        return [s for s in self.specs() if s.runs_for(challenge)]

    def sections(self) -> dict[str, StageSpec]:
        """Declarations by configuration section of ``fusion_config.json`` (the stages of the light check's
        configuration; a stage declared ``needs_moves`` is configured in the movement-only check's own file)."""
        return {s.section: s for s in self.specs() if not s.needs_moves}

    def default_options(self) -> dict[str, Any]:
        """Each section's options with the code defaults."""
        return {section: s.options() for section, s in self.sections().items()}

    def check(self, sections: dict[str, Any], unknown: tuple[str, ...] = ()) -> None:
        """Raise :class:`ConfigError` unless ``sections`` holds exactly the declared stages' sections."""
        declared = self.sections()
        missing = [s for s in declared if s not in sections]
        extra = sorted(set(unknown) | {s for s in sections if s not in declared})
        if missing:
            raise ConfigError(f"scoring config has no section for stage(s) {', '.join(missing)} (stages.<name> in fusion_config.json)")
        if extra:
            raise ConfigError(
                f"scoring config has section(s) stages.{', stages.'.join(extra)} for no declared stage "
                f"(declared: {', '.join(declared)})"
            )


#: The shipped stages (the modules of ``app.core.scoring.stages`` register themselves here).
STAGES = StageRegistry(discover="app.core.scoring.stages")
