"""Frame-level physics of the simulator: the face answers the displayed colour, with the latency, only when it should."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.simulate import open_sim_source
from app.devtools.sim_probe import QUICK, scripted_screen, step_response, trace

T0 = 10**12
LATENCY_FRAMES = 2  # QUICK sets latency_ms=66.7
# Frame index -> displayed colour. Black baseline, then red, blue, lime, white with black between.
SCHEDULE = [
    (10, (0, 0, 0)),
    (16, (255, 0, 0)),
    (24, (0, 0, 0)),
    (30, (0, 0, 255)),
    (38, (0, 0, 0)),
    (44, (0, 255, 0)),
    (52, (0, 0, 0)),
    (58, (255, 255, 255)),
]
FRAMES = 66
#: (name, channel, first frame shown, black frames before it)
FLASHES = [("red", 0, 16, slice(12, 16)), ("blue", 2, 30, slice(26, 30)), ("lime", 1, 44, slice(40, 44))]


@pytest.fixture(autouse=True)
def _face_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEGATE_SIM_CACHE", str(tmp_path_factory.getbasetemp() / "sim-faces"))


def _run(species: str, seed: int = 5):
    screen = scripted_screen(SCHEDULE, T0)
    source = open_sim_source(species, {"seed": str(seed), "t0": str(T0), **QUICK}, screen=screen, realtime=False)
    with source:
        return trace(source, FRAMES)


def _responses(face: np.ndarray) -> dict[str, np.ndarray]:
    """Per flash: mean face RGB during the flash (after the latency) minus the black before it."""
    out = {}
    for name, _, first, before in FLASHES:
        after = slice(first + LATENCY_FRAMES + 1, first + 8)
        out[name] = step_response(face, before, after)
    return out


@pytest.mark.parametrize("species", ["live", "print", "mask"])
def test_face_follows_displayed_colour_with_latency(species: str) -> None:
    tr = _run(species)
    for name, channel, first, before in FLASHES:
        resp = _responses(tr.face)[name]
        assert resp[channel] > 8.0, f"{species}: {name} flash raised channel {channel} by only {resp[channel]:.1f}"
        others = [resp[c] for c in range(3) if c != channel]
        assert resp[channel] > 2.0 * max(max(others), 0.5), f"{species}: {name} response not dominated by its channel: {resp}"
        series = tr.face[:, channel]
        base = float(series[before].mean())
        final = float(series[first + 4 : first + 8].mean())
        # Nothing before the latency has passed; more than half of the step once it has.
        assert abs(series[first + LATENCY_FRAMES - 1] - base) < 0.25 * abs(final - base), f"{species}: {name} arrived early"
        assert abs(series[first + LATENCY_FRAMES + 1] - base) > 0.5 * abs(final - base), f"{species}: {name} arrived late"


@pytest.mark.parametrize("species", ["screen-replay", "injection"])
def test_replayed_and_injected_faces_ignore_the_displayed_colour(species: str) -> None:
    tr = _run(species)
    followed = 0
    for name, channel, _, _ in FLASHES:
        resp = _responses(tr.face)[name]
        others = [resp[c] for c in range(3) if c != channel]
        if resp[channel] > 8.0 and resp[channel] > 2.0 * max(max(others), 0.5):
            followed += 1
    assert followed == 0, f"{species}: the face followed {followed} of {len(FLASHES)} displayed colours"


def test_forged_light_arrives_late() -> None:
    """The forger tints with the displayed colour, but well after the camera latency."""
    screen = scripted_screen([(10, (0, 0, 0)), (16, (255, 0, 0))], T0)
    source = open_sim_source("injection-forged-light", {"seed": "5", "t0": str(T0), "forge_delay_ms": "300"}, screen=screen, realtime=False)
    with source:
        tr = trace(source, 36)
    red = tr.face[:, 0]
    base = red[12:16].mean()
    assert abs(red[16 + LATENCY_FRAMES + 1] - base) < 2.0, "forged tint appeared with a camera's latency"
    assert red[30:36].mean() - base > 5.0, "forged tint never appeared"


def test_background_responds_much_less_than_face() -> None:
    tr = _run("live")
    white = slice(58 + LATENCY_FRAMES + 1, FRAMES)
    black = slice(53, 58)
    face = step_response(tr.face, black, white).mean()
    background = step_response(tr.background, black, white).mean()
    assert face > 10.0
    assert face / max(abs(background), 0.2) > 5.0, f"face {face:.1f} vs background {background:.1f}"
