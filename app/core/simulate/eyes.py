"""The eyes' mirror: the kiosk screen's reflection in each cornea (the catchlight).

The cornea's outer surface is a convex mirror of radius ~7.8 mm (focal length ~3.9 mm). A screen 30 cm wide at
40 cm appears in it as a virtual image about 3 mm wide, a few pixels at a webcam's resolution, in the colours
the screen shows, at the camera's lag like everything else the screen lights. A mirror keeps the radiance of
what it reflects, times the cornea's reflectance (Fresnel: ~2.5 % at normal incidence, spectrally flat), so
the catchlight takes the screen's own colour, not the skin's.

Drawn per eye as the mirror image of every screen patch: the point of the corneal sphere whose normal halves
the angle between the camera and the patch, with the patch's size shrunk by the mirror (``R / 2 / distance``),
splatted into the radiance image (sub-pixel, area-conserving). Closed lids (blinks) hide it; a mask without
eye holes has no cornea in view (its painted eyes reflect only through the mask's own gloss, rendered with the
rest of its surface).
"""

from __future__ import annotations

import numpy as np

from app.core.simulate.render import LayerRenderer, Pose, RenderContext

#: Radius of the cornea's outer surface (metres).
CORNEA_RADIUS_M = 0.0078
#: Half-angle of the corneal cap about its apex seen as the iris (radians): asin(6 mm / 7.8 mm).
CORNEA_CAP = float(np.arcsin(6.0 / 7.8))
#: MediaPipe's iris-centre landmarks (one per eye).
IRIS_CENTRES = (468, 473)
#: Sub-samples per screen patch edge (the patch's mirror image is spread over them).
SUBSAMPLES = 4


def draw_catchlights(out: np.ndarray, renderer: LayerRenderer, ctx: RenderContext, pose: Pose, apexes_local: np.ndarray,
                     reflectance: float, open_fraction: float, scale: float = 1.0) -> int:
    """Add both corneas' reflections of the screen to ``out`` (linear radiance at the renderer's resolution).

    Parameters
    ----------
    apexes_local:
        (2, 3) the corneal apexes (the iris centres on the face's surface) in the head's local frame.
    reflectance:
        The cornea's reflectance (0.02-0.03).
    open_fraction:
        How open the eyes are (1 open, 0 shut): the lid hides the catchlight from the top as it closes.
    scale:
        This head's size relative to the model (the cornea scales with it).

    Returns
    -------
    int
        How many eyes drew a catchlight (0 when shut, turned away or the screen is not mirrored toward the camera).
    """
    if open_fraction <= 0.05 or reflectance <= 0:
        return 0
    cam = renderer.camera
    light = renderer.light
    rc = CORNEA_RADIUS_M * scale
    centres, areas, band = renderer.centres, renderer.areas, renderer.band
    dw, dh = light.width_m / light.cols, light.height_m / light.rows
    # Sub-sample each patch (its mirror image is a few sub-pixels wide): offsets within the patch.
    g = (np.arange(SUBSAMPLES) + 0.5) / SUBSAMPLES - 0.5
    ox, oy = np.meshgrid(g * dw, g * dh)
    sub = (centres[:, None, :] + np.stack([ox.ravel(), oy.ravel(), np.zeros(ox.size)], axis=1)[None]).reshape(-1, 3)
    sub_band = np.repeat(band, ox.size)
    sub_area = np.repeat(areas, ox.size) / ox.size
    forward = pose.R @ np.array([0.0, 0.0, -1.0])
    drawn = 0
    for apex_local in apexes_local:
        apex = pose.R @ apex_local + pose.T
        centre = apex - rc * forward
        to_cam = -centre / np.linalg.norm(centre)
        if float(to_cam @ forward) < 0.5:
            continue  # the eye looks far away from the camera
        to_scr = sub - centre
        dist = np.linalg.norm(to_scr, axis=1)
        to_scr /= dist[:, None]
        normal = to_cam[None] + to_scr
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        on_cap = normal @ forward > np.cos(CORNEA_CAP)
        point = centre[None] + rc * normal
        # The lid closes from the top: points above the remaining opening are hidden.
        lid = (point - apex) @ (pose.R @ np.array([0.0, 1.0, 0.0]))  # metres below the apex along the head's down axis
        visible = on_cap & (lid > (1.0 - 2.0 * open_fraction) * 0.005)
        if not visible.any():
            continue
        uv = cam.project(point[visible])
        z = point[visible, 2]
        # Mirror image of each sub-patch: its area shrinks by (R / 2 / distance)^2; in pixels by (f / z)^2.
        shrink = (rc / 2.0 / dist[visible]) ** 2
        px_area = sub_area[visible] * shrink * (cam.f / z) ** 2
        slab = ctx.frame_light.slab_of_rows(uv[:, 1], cam.height)
        colour = ctx.frame_light.bands[slab, sub_band[visible]]  # (n, 3) luminance of the patch
        energy = (reflectance * px_area)[:, None] * colour  # radiance x pixel area
        splat(out, uv - 0.5, energy.astype(np.float32))
        drawn += 1
    return drawn


def splat(out: np.ndarray, uv: np.ndarray, energy: np.ndarray) -> None:
    """Bilinear, area-conserving splat of point energies (N, 3) (radiance x pixel area) into ``out`` (H, W, 3) at
    pixel positions ``uv`` (N, 2)."""
    h, w = out.shape[:2]
    x0 = np.floor(uv[:, 0]).astype(int)
    y0 = np.floor(uv[:, 1]).astype(int)
    fx = (uv[:, 0] - x0).astype(np.float32)[:, None]
    fy = (uv[:, 1] - y0).astype(np.float32)[:, None]
    for dx, dy, wt in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xs, ys = x0 + dx, y0 + dy
        ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        np.add.at(out, (ys[ok], xs[ok]), energy[ok] * wt[ok])
