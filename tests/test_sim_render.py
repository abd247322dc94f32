"""The simulator's renderer keeps a layer in the frame however far it is turned."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.simulate.render import LayerRenderer, PinholeCamera, Pose, ScreenLight, SurfaceLayer


def _wide_layer(width_m: float, scale: float = 0.005) -> SurfaceLayer:
    w = int(width_m / scale)
    h = w // 2
    height = np.zeros((h, w), np.float32)
    height[h // 4: 3 * h // 4, w // 3: 2 * w // 3] = 0.05  # a head-sized bump in front of the layer
    normals = np.zeros((h, w, 3), np.float32)
    normals[..., 2] = -1.0
    return SurfaceLayer(albedo=np.full((h, w, 3), 0.5, np.float32), alpha=np.ones((h, w), np.float32),
                        height=height, normals=normals, scale=scale, centre=(w / 2, h / 2))


def test_a_wide_layer_turned_far_close_up_keeps_its_box() -> None:
    cam = PinholeCamera(640, 480, 65.0)
    renderer = LayerRenderer(cam, ScreenLight())
    layer = _wide_layer(1.0)
    ahead = renderer.bbox(layer, Pose.make(0.0, 0.0, 2.0))
    assert ahead is not None and ahead != (0, 0, renderer.grid_w, renderer.grid_h)
    # Turned 40 degrees at 35 cm, one side of a 1 m layer (shoulders) reaches beside the camera: the layer is
    # still in front of it and must be drawn (it was culled, and the person vanished while turned).
    turned = Pose.make(0.0, 0.0, 0.35, yaw=np.radians(40.0))
    corners = layer.corners_local() @ turned.R.T + turned.T
    assert (corners[:, 2] <= 0.02).any() and not (corners[:, 2] <= 0.02).all()
    assert renderer.bbox(layer, turned) == (0, 0, renderer.grid_w, renderer.grid_h)
    # Wholly behind the camera: nothing to draw.
    assert renderer.bbox(layer, Pose.make(0.0, 0.0, -0.5)) is None


def _residual(renderer: LayerRenderer, layer: SurfaceLayer, pose: Pose) -> np.ndarray:
    """Per ray: how far the point the renderer found lies off the height field (metres), where it hit the layer."""
    import cv2

    box = renderer.bbox(layer, pose)
    assert box is not None
    tx, ty, lam, dx, dy = renderer._intersect(layer, pose, box)  # noqa: SLF001 - the renderer's own geometry
    local = (np.dstack([lam * dx, lam * dy, lam]) - pose.T) @ pose.R  # camera frame -> layer frame
    height_at = cv2.remap(layer.height, tx, ty, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    inside = cv2.remap(layer.alpha, tx, ty, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0) > 0.5
    # The layer's height points toward the camera: local z = -height.
    return np.abs(-local[..., 2] - height_at)[inside & (height_at > 1e-3)]


def test_a_steep_relief_turned_far_is_hit_where_the_ray_meets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.core.simulate.render as render

    cam = PinholeCamera(640, 480, 65.0)
    renderer = LayerRenderer(cam, ScreenLight())
    scale = 0.0005
    n = 240
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    r2 = ((xx - n / 2) ** 2 + (yy - n / 2) ** 2) * scale**2
    height = (0.035 * np.exp(-r2 / (2 * 0.012**2))).astype(np.float32)  # a nose-like bump, 3.5 cm high
    normals = np.zeros((n, n, 3), np.float32)
    normals[..., 2] = -1.0
    layer = SurfaceLayer(albedo=np.full((n, n, 3), 0.5, np.float32), alpha=np.ones((n, n), np.float32),
                         height=height, normals=normals, scale=scale, centre=(n / 2, n / 2))
    turned = Pose.make(0.0, 0.0, 0.35, yaw=np.radians(40.0))
    marched = _residual(renderer, layer, turned)
    assert np.median(marched) < 5e-4 and np.percentile(marched, 95) < 1.5e-3
    # The fixed-point steps alone (as before): far off the surface on the bump's steep side.
    monkeypatch.setattr(render, "MARCH_BELOW_COS", -1.0)
    fixed = _residual(renderer, layer, turned)
    assert np.percentile(fixed, 95) > 3 * np.percentile(marched, 95)
