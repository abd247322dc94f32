"""Real-camera variation for simulated genuine users: stepwise auto-exposure and head drift while holding still.

Off by default (existing seeds render exactly as before); drawn for new suites with ``real_variation=1``.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.core.simulate import open_sim_source
from app.core.simulate.params import REAL_VARIATION_RANGES, resolve_params, sample_params
from app.core.simulate.sensor import Sensor, SensorParams

FAST = {"wait_s": "0.1", "approach_s": "0.8", "t0": str(10**12), "seed": "7"}


@pytest.fixture(autouse=True)
def _face_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEGATE_SIM_CACHE", str(tmp_path_factory.getbasetemp() / "sim-faces"))


def test_variation_is_off_by_default_and_drawn_on_request() -> None:
    plain = sample_params("live", 31000)
    assert plain["ae_step"] == 0.0 and plain["hold_drift_deg"] == 0.0 and plain["hold_drift_mm"] == 0.0
    varied = resolve_params("live", {"seed": "31000", "real_variation": "1"})
    for key, (lo, hi) in REAL_VARIATION_RANGES.items():
        assert lo <= varied[key] <= hi, key
    # Every other parameter of the seed is what it was.
    assert {k: v for k, v in varied.items() if k not in REAL_VARIATION_RANGES and k != "real_variation"} == \
        {k: v for k, v in plain.items() if k not in REAL_VARIATION_RANGES}
    # An explicit value wins; the draw is the seed's own.
    assert resolve_params("live", {"seed": "31000", "real_variation": "1", "ae_step": "0.2"})["ae_step"] == 0.2
    assert resolve_params("live", {"seed": "31000", "real_variation": "1"}) == varied


def test_stepwise_auto_exposure_moves_in_steps() -> None:
    sensor = Sensor(SensorParams(ae_step=0.1, ae_step_period_s=0.3), 64, 48, seed=1)
    radiance = np.full((48, 64, 3), 0.5, np.float32)
    sensor.meter(radiance, 200.0, np.ones(3))
    start = sensor.state.exposure
    exposures = []
    for i in range(30):  # the room gets 40 % brighter: the camera steps the exposure down
        sensor.adapt(radiance * np.float32(1.4), 0.1)
        exposures.append(sensor.state.exposure)
    ratios = np.unique(np.round(np.log(np.array(exposures) / start) / np.log1p(0.1), 6))
    assert set(ratios.tolist()) <= {0.0, -1.0, -2.0, -3.0, -4.0} and ratios.min() <= -3.0  # whole steps only
    changes = np.flatnonzero(np.diff(exposures))
    assert len(changes) >= 3 and np.diff(changes).min() >= 2  # at most one step per 0.3 s period
    locked = Sensor(SensorParams(), 64, 48, seed=1)
    locked.meter(radiance, 200.0, np.ones(3))
    before = locked.state.exposure
    locked.adapt(radiance * np.float32(1.4), 1.0)
    assert locked.state.exposure == before  # off by default


def _face_levels(params: dict[str, str], frames: int) -> list[float]:
    levels = []
    with open_sim_source("live", params, realtime=False) as src:
        for _ in range(frames):
            levels.append(float(src.read().image[200:300, 270:370].mean()))
    return levels


def test_a_varied_genuine_user_changes_brightness_while_holding_still() -> None:
    plain = _face_levels(FAST, 75)
    varied = _face_levels({**FAST, "real_variation": "1"}, 75)
    hold = slice(45, 75)  # after the approach (~1 s)
    assert np.ptp(varied[hold]) > np.ptp(plain[hold]) + 3.0
