"""The simulator's renderer keeps a layer in the frame however far it is turned."""

from __future__ import annotations

import numpy as np

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
