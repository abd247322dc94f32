"""The landmark stage sees the simulated faces: one face per frame, two in the second-face scenario."""

from __future__ import annotations

import pytest

from app.core.landmarks import LandmarkStage
from app.core.simulate import open_sim_source
from app.core.simulate.params import FACE_SPECIES

T0 = 10**12
#: Quick approach: far -> oval within ~1 s, so a short clip covers far, approach and hold.
FAST = {"wait_s": "0.1", "approach_s": "0.8", "t0": str(T0)}


@pytest.fixture(autouse=True)
def _face_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEGATE_SIM_CACHE", str(tmp_path_factory.getbasetemp() / "sim-faces"))


@pytest.fixture(scope="module")
def stage():
    with LandmarkStage.create() as st:
        yield st


def _face_counts(stage: LandmarkStage, species: str, params: dict[str, str], frames: int, every: int) -> list[int]:
    counts = []
    source = open_sim_source(species, params, realtime=False)
    with source:
        for i in range(frames):
            frame = source.read()
            if i % every == 0:
                counts.append(stage.process(frame).face_count)
    return counts


@pytest.mark.parametrize("species", FACE_SPECIES)
def test_exactly_one_face_in_95_percent_of_frames(stage: LandmarkStage, species: str) -> None:
    counts = _face_counts(stage, species, {"seed": "7", **FAST}, frames=48, every=2)
    share = sum(c == 1 for c in counts) / len(counts)
    assert share >= 0.95, f"sim:{species}: one face in {share:.0%} of frames (counts {counts})"


def test_second_face_is_found(stage: LandmarkStage) -> None:
    params = {"seed": "7", "behaviour": "second-face", "second_after_s": "0.1", **FAST}
    counts = _face_counts(stage, "live", params, frames=75, every=3)
    # The second person has fully entered 0.9 s + 0.8 s after the user reached the oval (~1 s).
    late = counts[-6:]
    assert sum(c == 2 for c in late) >= 5, f"second face missing: {counts}"
