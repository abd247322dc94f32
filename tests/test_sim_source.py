"""The sim: frame source: contract, determinism, behaviours, errors."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.capture.base import FrameSource
from app.core.capture.spec import open_source
from app.core.challenge import Oval, fit_state
from app.core.errors import CameraStalled, ConfigError
from app.core.simulate import SPECIES, open_sim_source
from app.core.simulate.source import SimSource

T0 = 10**12


@pytest.fixture(autouse=True)
def _face_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEGATE_SIM_CACHE", str(tmp_path_factory.getbasetemp() / "sim-faces"))


def _frames(species: str, params: dict[str, str], n: int) -> list[np.ndarray]:
    with open_sim_source(species, {"t0": str(T0), **params}, realtime=False) as src:
        return [src.read().image for _ in range(n)]


@pytest.mark.parametrize("species", ["live", "screen-replay", "injection-forged-light"])
def test_same_seed_same_frames(species: str) -> None:
    a = _frames(species, {"seed": "11"}, 4)
    b = _frames(species, {"seed": "11"}, 4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_different_seed_different_participant() -> None:
    a = _frames("live", {"seed": "11"}, 1)[0]
    b = _frames("live", {"seed": "12"}, 1)[0]
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 3


def test_source_contract_and_info() -> None:
    src = open_sim_source("live", {"seed": "3"}, realtime=False)
    assert isinstance(src, FrameSource)
    with src:
        frames = [src.read() for _ in range(3)]
        info = src.info
    assert [f.index for f in frames] == [0, 1, 2]
    assert all(f.image.shape == (480, 640, 3) and f.image.dtype == np.uint8 for f in frames)
    assert frames[0].t_ns < frames[1].t_ns < frames[2].t_ns
    assert abs((frames[2].t_ns - frames[0].t_ns) / 2 - 33_333_333) < 5_000_000
    assert info.kind == "sim" and info.width == 640 and info.height == 480 and info.fps == 30.0
    assert info.device["virtual"] is False and info.device["virtual_reason"] == ""
    assert "live" not in info.name  # the species is ground truth, never shown as the device name


@pytest.mark.parametrize(
    ("species", "params", "virtual"),
    [
        ("injection", {}, True),
        ("injection", {"hide_virtual": "1"}, False),
        ("injection-forged-light", {}, True),
        ("print", {}, False),
    ],
)
def test_virtual_camera_verdict(species: str, params: dict[str, str], virtual: bool) -> None:
    with open_sim_source(species, {"seed": "4", **params}, realtime=False) as src:
        device = src.info.device
    assert device["virtual"] is virtual
    assert bool(device["virtual_reason"]) is virtual
    assert device["name"]


def test_spec_string_opens_a_sim_source() -> None:
    src = open_source("sim:live?seed=2&behaviour=never-approach", realtime=False)
    assert isinstance(src, SimSource)
    assert src.params["seed"] == 2 and src.params["behaviour"] == "never-approach"


@pytest.mark.parametrize(
    ("species", "params", "message"),
    [
        ("hologram", {}, "unknown simulator species"),
        ("live", {"behaviour": "dance"}, "unknown behaviour"),
        ("live", {"colour_of_sky": "1"}, "unknown simulator parameter"),
        ("live", {"ambient_lux": "bright"}, "not a number"),
        ("live", {"oval": "1,2,3"}, "oval must be"),
        ("live", {"seed": "x"}, "seed must be an integer"),
    ],
)
def test_bad_parameters_are_refused(species: str, params: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_sim_source(species, params)


def test_every_species_opens_and_renders() -> None:
    for species in SPECIES:
        with open_sim_source(species, {"seed": "1", "t0": str(T0)}, realtime=False) as src:
            frame = src.read()
        assert frame.image.std() > 5, species


def test_stall_raises_camera_stalled_virtual_clock() -> None:
    with open_sim_source("live", {"seed": "1", "behaviour": "stall", "stall_after": "0.2"}, realtime=False) as src:
        delivered = 0
        with pytest.raises(CameraStalled, match="stopped delivering"):
            for _ in range(30):
                src.read()
                delivered += 1
    assert delivered in (6, 7)  # frames at 0, 33, ... ~200 ms


def test_stall_raises_camera_stalled_realtime() -> None:
    with open_sim_source("live", {"seed": "1", "behaviour": "stall", "stall_after": "0.1"}, realtime=True) as src:
        with pytest.raises(CameraStalled):
            for _ in range(30):
                src.read(timeout=0.2)


def _last_truth_box(src: SimSource, frames: int):
    for _ in range(frames):
        src.read()
    assert src.truth is not None and src.truth.faces
    return max(src.truth.faces, key=lambda f: f.box.w).box


def test_user_aims_at_the_oval_given_by_set_oval() -> None:
    oval = Oval(300.0, 250.0, 288.0, 466.0)
    params = {"seed": "5", "wait_s": "0", "approach_s": "0.5", "autostart": "0", "t0": str(T0)}
    with open_sim_source("live", params, realtime=False) as src:
        far = _last_truth_box(src, 20)
        assert fit_state(far, oval).far_enough  # waits far until the app shows its oval
        src.set_oval(oval)
        near = _last_truth_box(src, 40)
    state = fit_state(near, oval)
    assert state.fits, state


@pytest.mark.parametrize(
    ("behaviour", "check"),
    [
        ("never-approach", lambda boxes, oval: all(fit_state(b, oval).far_enough for b in boxes)),
        ("too-close", lambda boxes, oval: all(fit_state(b, oval).too_close for b in boxes)),
    ],
)
def test_uncooperative_behaviours(behaviour: str, check) -> None:
    params = {"seed": "5", "behaviour": behaviour, "wait_s": "0", "approach_s": "0.5", "t0": str(T0)}
    with open_sim_source("live", params, realtime=False) as src:
        boxes = [_last_truth_box(src, 10) for _ in range(4)]
        oval = src.oval
    assert oval is not None and check(boxes, oval)


def test_leaving_user_disappears() -> None:
    params = {"seed": "5", "behaviour": "leaves", "wait_s": "0", "approach_s": "0.3", "leave_after_s": "0.3", "t0": str(T0)}
    with open_sim_source("live", params, realtime=False) as src:
        for _ in range(45):
            src.read()
        assert src.truth is not None and src.truth.faces == []


def test_attacks_are_staged_in_every_room_light(monkeypatch: pytest.MonkeyPatch) -> None:
    """An attacker chooses the room: every attack species is drawn in dim, bright and normal rooms, a live
    user always in a normal one, and the room draw leaves the seed's other parameters as they were."""
    from app.core.simulate.params import ROOM_LUX, sample_params

    for species in ("print", "curved-print", "screen-replay", "injection", "mask"):
        drawn = [sample_params(species, s) for s in range(400)]
        regimes = {p["light_regime"] for p in drawn}
        assert regimes == {"dim", "bright", "normal"}, species
        for p in drawn:
            lo, hi = ROOM_LUX[p["light_regime"]] if p["light_regime"] != "normal" else (70.0, 350.0)
            assert lo <= p["ambient_lux"] <= hi
    assert {sample_params("live", s)["light_regime"] for s in range(200)} == {"normal"}
    dim = next(p for p in (sample_params("print", s) for s in range(400)) if p["light_regime"] == "dim")
    monkeypatch.setattr("app.core.simulate.params.ATTACK_ROOM_SHARES", (0.0, 0.0, 1.0))
    normal = sample_params("print", dim["seed"])
    assert normal["light_regime"] == "normal"
    assert {k for k in dim if dim[k] != normal[k]} == {"light_regime", "ambient_lux"}
