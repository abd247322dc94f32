"""The simulated camera's sensor and image pipeline.

Radiance (cd/m^2, camera RGB) -> exposure x gain -> white-balance gains ->
shot + read noise -> clipping -> gamma -> 8-bit -> optional JPEG-like
compression (many webcams deliver MJPEG). Auto-exposure and auto white
balance, when the "driver" does not lock them, adapt slowly toward a target
and so partly cancel the flash response, as real ones do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass
class SensorParams:
    """Camera pipeline parameters (all per-seed variables of the camera)."""

    #: Linear sensor value of an 18%-grey-equivalent target the initial auto-exposure aims for.
    ae_target: float = 0.16
    #: Auto-exposure time constant in seconds; 0 = locked after the initial metering.
    ae_tau: float = 0.0
    #: Stepwise auto-exposure (real webcams): the exposure moves only in steps of this ratio (0.08 = 8 %),
    #: at most one step every ``ae_step_period_s``, when the metered level is off target by more than half a
    #: step; 0 = off. Independent of ``ae_tau`` (a camera has one or the other).
    ae_step: float = 0.0
    ae_step_period_s: float = 0.3
    #: Auto-white-balance time constant in seconds; 0 = locked.
    awb_tau: float = 0.0
    #: Scene irradiance (lux) below which the sensor needs analogue gain > 1.
    gain_knee_lux: float = 150.0
    #: Read noise (linear, at gain 1) and shot-noise coefficient (variance per linear unit).
    read_noise: float = 0.0025
    shot_noise: float = 0.0006
    gamma: float = 2.2
    #: White-balance error: relative gain errors per channel (R, G, B).
    wb_error: tuple[float, float, float] = (0.0, 0.0, 0.0)
    #: JPEG quality of the camera's own compression (0 = uncompressed YUYV).
    jpeg_quality: int = 0
    #: Blur sigma in pixels of soft optics / ISP (cheap cameras); 0 = none.
    blur: float = 0.0
    #: Spatial correlation of the noise (demosaicing spreads each photosite's noise), sigma in pixels.
    noise_correlation: float = 0.6
    #: Fraction of the noise's standard deviation left after the camera's own noise reduction.
    noise_kept: float = 0.7


@dataclass
class SensorState:
    """The adaptive part: exposure scale and white-balance gains."""

    exposure: float = 0.01
    gain: float = 1.0
    #: Seconds since the last auto-exposure step (stepwise AE only).
    since_step: float = 0.0
    wb: np.ndarray = field(default_factory=lambda: np.ones(3, np.float32))


class Sensor:
    """Turns linear radiance frames into BGR uint8 camera frames.

    Parameters
    ----------
    params:
        The pipeline parameters.
    width, height:
        Frame size.
    seed:
        Seeds the noise bank; the per-frame noise window depends on the frame index only.
    """

    def __init__(self, params: SensorParams, width: int, height: int, seed: int) -> None:
        self.p = params
        self.width, self.height = width, height
        self.seed = seed
        self.state = SensorState()
        rng = np.random.default_rng([seed, 7])
        pad = 32
        # A small bank of Gaussian fields; each frame takes a random window of one.
        self._bank = []
        for _ in range(3):
            field_ = rng.standard_normal((height + pad, width + pad, 3), dtype=np.float32)
            if params.noise_correlation > 0:
                field_ = cv2.GaussianBlur(field_, (0, 0), params.noise_correlation)
            field_ *= np.float32(params.noise_kept / max(float(field_.std()), 1e-6))
            self._bank.append(field_)
        self._pad = pad

    def meter(self, radiance: np.ndarray, face_lux: float, ambient_rgb: np.ndarray) -> None:
        """Initial auto-exposure and auto-white-balance on a first view of the scene.

        Exposure puts the frame's mean (centre-weighted) at ``ae_target``; the
        gain rises above 1 when the scene is darker than ``gain_knee_lux``
        (exposure time is capped by the frame rate). White balance divides by
        the ambient colour (grey-world on the room light) with a small error.
        """
        mean = float(self._centre_mean(radiance))
        self.state.exposure = self.p.ae_target / max(mean, 1e-6)
        self.state.gain = max(1.0, self.p.gain_knee_lux / max(face_lux, 1e-3))
        wb = 1.0 / np.maximum(np.asarray(ambient_rgb, np.float64), 1e-3)
        wb = wb / wb[1] * (1.0 + np.asarray(self.p.wb_error))
        self.state.wb = wb.astype(np.float32)

    def _centre_mean(self, radiance: np.ndarray) -> float:
        h, w = radiance.shape[:2]
        centre = radiance[h // 4 : 3 * h // 4 : 4, w // 4 : 3 * w // 4 : 4]
        whole = radiance[::8, ::8]
        return 0.6 * float(centre.mean()) + 0.4 * float(whole.mean())

    def adapt(self, radiance: np.ndarray, dt: float) -> None:
        """Slow auto-exposure / auto-white-balance drift, or stepwise auto-exposure (only when not locked)."""
        if self.p.ae_step > 0:
            self.state.since_step += dt
            if self.state.since_step >= self.p.ae_step_period_s:
                level = self._centre_mean(radiance) * self.state.exposure / self.p.ae_target
                step = math.log1p(self.p.ae_step)
                off = -math.log(max(level, 1e-6))  # > 0: the picture is too dark, expose more
                if abs(off) > 0.5 * step:
                    self.state.exposure *= math.exp(math.copysign(step, off))
                    self.state.since_step = 0.0
        elif self.p.ae_tau > 0:
            mean = self._centre_mean(radiance) * self.state.exposure
            want = self.state.exposure * self.p.ae_target / max(mean, 1e-6)
            k = min(1.0, dt / self.p.ae_tau)
            self.state.exposure *= (want / self.state.exposure) ** k
        if self.p.awb_tau > 0:
            sample = radiance[::8, ::8].reshape(-1, 3).mean(axis=0) * self.state.wb
            grey = sample.mean()
            k = min(1.0, dt / self.p.awb_tau)
            self.state.wb = (self.state.wb * (grey / np.maximum(sample, 1e-6)) ** k).astype(np.float32)

    def develop(self, radiance: np.ndarray, index: int) -> np.ndarray:
        """Radiance (H, W, 3 float32, RGB) -> BGR uint8 with noise, gamma and optional compression."""
        gains = (self.state.wb * np.float32(self.state.exposure)).astype(np.float32)
        lin = cv2.multiply(radiance, gains.reshape(1, 1, 3) * np.ones((1, 1, 3), np.float32))  # 1.0 = full well
        rng = np.random.default_rng([self.seed & 0xFFFFFFFF, index & 0xFFFFFFFF])
        field_ = self._bank[int(rng.integers(len(self._bank)))]
        oy, ox = (int(v) for v in rng.integers(0, self._pad, 2))
        noise = field_[oy : oy + self.height, ox : ox + self.width]
        g = np.float32(self.state.gain)
        np.maximum(lin, 0.0, out=lin)
        var = lin * np.float32(self.p.shot_noise * g)
        var += np.float32((self.p.read_noise * g) ** 2)
        lin += cv2.sqrt(var) * noise
        np.clip(lin, 0.0, 1.0, out=lin)
        encoded = cv2.pow(lin, 1.0 / self.p.gamma)
        bgr = cv2.cvtColor(cv2.convertScaleAbs(encoded, alpha=255.0), cv2.COLOR_RGB2BGR)
        if self.p.blur > 0:
            # Soft optics / ISP of cheap cameras (applied after the sensor: it also smooths noise, as ISPs do).
            bgr = cv2.GaussianBlur(bgr, (0, 0), self.p.blur)
        if self.p.jpeg_quality > 0:
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(self.p.jpeg_quality)])
            if ok:
                bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        return bgr
