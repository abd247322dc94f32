"""Simulator optics (issue 16): materials' own response to the screen's light, catchlights, mask conditions,
the skin around the eyes (a face's own, or the wearer's in a mask's eye holes)."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.facemesh import eye_centres, inter_ocular
from app.core.screen import ScreenState
from app.core.simulate import open_sim_source
from app.core.simulate.params import MASK_MATERIALS, MATERIAL_RANGES, PERIOCULAR_RANGES, resolve_params, sample_params
from app.core.simulate.render import Material, screen_light_response
from app.core.simulate.simulation import FRAME_NS, periocular_material

T0 = 10**12
FAST = {"wait_s": "0.05", "approach_s": "0.5"}


@pytest.fixture(autouse=True)
def _face_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEGATE_SIM_CACHE", str(tmp_path_factory.getbasetemp() / "sim-faces"))


def test_screen_light_response_spreads_red_further_than_blue_and_keeps_inside_the_object() -> None:
    direct = np.zeros((40, 60, 3), np.float32)
    direct[:, 30:] = 1.0  # a sharp edge in the screen's light on the surface
    alpha = np.ones((40, 60), np.float32)
    alpha[:, :5] = 0.0  # the object's edge: nothing may leak past it
    skin = Material(screen_gain=(1.1, 0.95, 1.0), scatter_m=(0.002, 0.0008, 0.0002))
    out = screen_light_response(direct, alpha, skin, px_per_m=1500.0)  # 3 px / 1.2 px / 0.3 px

    def edge_width(c: int) -> int:
        row = out[20, :, c] / skin.screen_gain[c]
        return int(((row > 0.1) & (row < 0.9)).sum())

    assert edge_width(0) > edge_width(1) > edge_width(2)
    assert out[20, 55, 0] == pytest.approx(1.1, rel=1e-3) and out[20, 55, 2] == pytest.approx(1.0, rel=1e-3)
    assert float(np.abs(out[:, 5:25]).max()) < 0.05  # far from the edge, still dark
    surface = Material()  # paper, resin: reflects where the light falls
    assert not surface.responds
    assert np.array_equal(screen_light_response(direct, alpha, surface, 1500.0), direct)


def test_mask_conditions_and_their_optics_come_from_their_documented_ranges() -> None:
    seen = set()
    for seed in range(40):
        p = sample_params("mask", seed)
        seen.add((p["mask_material"], p["mask_eye_holes"]))
        for key, (lo, hi) in MATERIAL_RANGES[p["mask_material"]].items():
            name = {"specular": "mask_specular", "roughness": "mask_roughness"}.get(key, f"mask_{key}")
            assert lo - 1e-9 <= p[name] <= hi + 1e-9, (seed, name)
        for key, (lo, hi) in MATERIAL_RANGES["skin"].items():
            assert lo - 1e-9 <= p[f"skin_{key}"] <= hi + 1e-9
    assert seen == {(m, h) for m in MASK_MATERIALS for h in (0, 1)}
    asked = resolve_params("mask", {"seed": "5", "mask_material": "silicone", "mask_scatter_r_mm": "0.9"})
    assert asked["mask_material"] == "silicone" and 0.02 <= asked["mask_specular"] <= 0.04
    assert asked["mask_scatter_r_mm"] == 0.9  # an explicit value wins over the material's draw
    assert "optics" not in sample_params("print", 1) and "skin_k_r" in sample_params("live-hard", 1)


def _eye_response(species: str, extra: dict[str, str]) -> tuple[float, float]:
    """(pupil glint's rise, cheek's rise) under a white flash, each relative to its level before it."""
    screen = ScreenState()
    screen.show((255, 255, 255), T0 + 24 * FRAME_NS, wipe_ns=0, gain=0.86)
    with open_sim_source(species, {"seed": "3", "t0": str(T0), **FAST, **extra}, screen=screen, realtime=False) as src:
        frames = [src.read().image.astype(np.float64) for _ in range(31)]
        pts = src.truth.faces[0].points
    x, y = (int(round(v)) for v in pts[468])
    cx, cy = (int(round(v)) for v in pts[205])  # right cheek

    def glint(img: np.ndarray) -> float:
        patch = img[y - 4 : y + 12, x - 8 : x + 9].reshape(-1, 3).sum(axis=1)
        return float(np.sort(patch)[-20:].mean())

    def cheek(img: np.ndarray) -> float:
        return float(img[cy - 6 : cy + 6, cx - 6 : cx + 6].sum(axis=2).mean())

    before, after = frames[21], frames[30]
    return glint(after) / glint(before) - 1.0, cheek(after) / cheek(before) - 1.0


@pytest.mark.parametrize(("species", "extra", "mirror"), [
    ("live", {}, True),
    ("mask", {"mask_eye_holes": "1", "mask_material": "matte-resin"}, True),
    ("mask", {"mask_eye_holes": "0", "mask_material": "matte-resin"}, False),
])
def test_real_eyes_mirror_the_flash_and_painted_eyes_do_not(species: str, extra: dict[str, str], mirror: bool) -> None:
    eye, skin = _eye_response(species, extra)
    assert skin > 0.05  # the flash reached the face
    if mirror:
        assert eye > 1.5 * skin, (eye, skin)  # the cornea's glint brightens by far more than its own level
    else:
        assert eye < 1.2 * skin, (eye, skin)  # a painted eye brightens like the rest of the mask


def _lid_over_cheek(species: str, extra: dict[str, str]) -> float:
    """log(the skin under the eyes' relative red rise / the cheeks') minus the same in green, under a white
    flash: ~0 where lids and cheeks are one material."""
    screen = ScreenState()
    screen.show((255, 255, 255), T0 + 24 * FRAME_NS, wipe_ns=0, gain=0.86)
    with open_sim_source(species, {"seed": "3", "t0": str(T0), **FAST, **extra}, screen=screen, realtime=False) as src:
        frames = [src.read().image.astype(np.float64) for _ in range(31)]
        pts = src.truth.faces[0].points
    d = inter_ocular(pts)

    def mean_rgb(img: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
        return np.mean([img[int(y0):int(y1), int(x0):int(x1)].reshape(-1, 3).mean(axis=0)[::-1] for x0, y0, x1, y1 in boxes], axis=0)

    lids = [(x - 0.14 * d, y + 0.08 * d, x + 0.14 * d, y + 0.14 * d) for x, y in eye_centres(pts)]
    cheeks = [(pts[i, 0] - 0.13 * d, pts[i, 1] - 0.13 * d, pts[i, 0] + 0.13 * d, pts[i, 1] + 0.13 * d) for i in (205, 425)]
    before, after = frames[21], frames[30]
    rise_l = mean_rgb(after, lids) / mean_rgb(before, lids) - 1.0
    rise_k = mean_rgb(after, cheeks) / mean_rgb(before, cheeks) - 1.0
    return float(np.log(rise_l[0] / rise_k[0]) - np.log(rise_l[1] / rise_k[1]))


def test_a_masks_eye_holes_show_the_wearers_skin_answering_the_screen_as_skin() -> None:
    """Through the holes the wearer's own skin answers the screen's red more than the resin around it; a face
    (with its own periocular variation) and a mask without holes are one material."""
    assert _lid_over_cheek("mask", {"mask_eye_holes": "1", "mask_material": "matte-resin"}) > 0.1
    assert abs(_lid_over_cheek("mask", {"mask_eye_holes": "0", "mask_material": "matte-resin"})) < 0.08
    assert abs(_lid_over_cheek("live", {})) < 0.08


def test_periocular_skin_comes_from_its_documented_ranges() -> None:
    for species in ("live", "live-hard", "mask"):
        for seed in range(20):
            p = sample_params(species, seed)
            for key, (lo, hi) in PERIOCULAR_RANGES.items():
                assert lo - 1e-9 <= p[key] <= hi + 1e-9, (species, seed, key)
            peri = periocular_material(p)
            assert peri is not None and peri.screen_gain[0] == pytest.approx(p["skin_k_r"] * p["peri_k_r_rel"])
    assert periocular_material(sample_params("print", 1)) is None


def _blink_change(species: str, extra: dict[str, str]) -> tuple[np.ndarray, np.ndarray, float]:
    """Which texels a full blink changes (H, W bool), the mask's hole map (zeros for a face) and the largest
    change where the holes' weight is below 2 %."""
    from app.core.simulate.simulation import Simulation
    from app.core.simulate.species import eye_hole_map

    p = resolve_params(species, {"seed": "3", **extra})
    sim = Simulation(species, p)
    head = sim.scene.subjects[0]
    before = head.layer.albedo.copy()
    head._apply_blink(1.0)
    delta = np.abs(head.layer.albedo - before).max(axis=2)
    holes = eye_hole_map(sim.face, float(p.get("mask_hole_scale", 1.0)))
    head._apply_blink(0.0)
    assert np.array_equal(head.layer.albedo, before)  # opening the eyes restores the texture exactly
    return delta > 1e-4, holes, float(delta[holes < 0.02].max())


def test_a_blink_moves_a_faces_skin_above_the_eye_but_never_a_masks_rigid_surface() -> None:
    face, almond, _ = _blink_change("live", {"blink_skin_reach": "2.0"})
    _, _, mask_outside = _blink_change("mask", {"mask_eye_holes": "1", "blink_skin_reach": "2.0", "mask_hole_scale": "1.0"})
    assert (face & (almond < 0.02)).sum() > 500  # a face: the skin above the almond follows the lids
    assert mask_outside < 0.02  # a mask: outside its holes (the surface, the cut edge) nothing moves
    short, _, _ = _blink_change("live", {"blink_skin_reach": "1.2"})
    assert short.sum() < face.sum()  # the reach is the person's
    for seed in range(20):
        p = sample_params("mask", seed)
        assert 0.85 <= p["mask_hole_scale"] <= 1.25 and 1.2 <= p["blink_skin_reach"] <= 2.0


def test_glasses_are_rigid_a_blink_moves_the_lids_behind_the_lenses_not_the_rims() -> None:
    from app.core.simulate.simulation import Simulation, skin_texture

    seed = next(s for s in range(40) if sample_params("live-hard", s)["glasses"])
    # Painted on the skin (standoff 0, as before the frame stood off the face; tests/test_sim_glasses.py has the 3D
    # frame): the face's texture carries the rims, and a blink never changes them.
    p = resolve_params("live-hard", {"seed": str(seed), "glasses_standoff_mm": "0"})
    sim = Simulation("live-hard", p)
    head = sim.scene.subjects[0]
    assert head.frame is None
    assert np.array_equal(head.layer.albedo, skin_texture(sim.face, p, living_eyes=True))  # drawn as before
    before = head.layer.albedo.copy()
    head._apply_blink(1.0)
    weight, _ = head._overlay
    delta = np.abs(head.layer.albedo - before).max(axis=2)
    assert float(delta[weight == 0].max()) == 0.0 and int((delta > 1e-4).sum()) > 500
