"""Every staged screen in every variant: what the customer may see, and the Spanish translation.

The screens are staged from fixed data (``app.gui.catalogue``), exactly as
``livegate screenshots`` stages them for ``index.json``, without grabbing
images, so the test stays fast.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.core.settings import Settings
from app.devtools.catalogue import STAGED_CONFIDENCE, STAGED_FAIL_CONFIDENCE, STAGED_THRESHOLD, VARIANTS, staged_results, staged_screens, variant, visible_texts
from app.gui.controller import CheckController
from app.gui.preview import RasterCanvas
from app.gui.verdict import suspected
from app.gui.window import MainWindow

pytestmark = pytest.mark.gui

TS = Path(__file__).resolve().parents[1] / "resources" / "i18n" / "livegate_es.ts"


def _build(qapp, name: str, size: tuple[int, int] = (1100, 720)) -> list[dict]:
    """Stage every screen in variant ``name``; index entries as ``livegate screenshots`` writes them."""
    entries = []
    with variant(qapp, name):
        controller = CheckController(settings=Settings(), source_spec=None)
        window = MainWindow(controller=controller, canvas=RasterCanvas(), camera_lister=list)
        window.resize(*size)
        window.show()
        try:
            findings = [f for r, _ in staged_results().values() for f in suspected(r)]
            for staged in staged_screens():
                staged.stage(window)
                qapp.processEvents()
                texts = visible_texts(window)
                entries.append({
                    "screen": staged.screen, "audience": staged.audience, "kind": staged.kind, "variant": name,
                    "texts": [t for t, rec in texts if not rec], "recorded": [t for t, rec in texts if rec],
                    "findings": findings,
                })
        finally:
            window.allow_close()
            window.close()
            controller.shutdown()
    return entries


@pytest.fixture(scope="module")
def index(qapp) -> list[dict]:
    return [entry for name in VARIANTS for entry in _build(qapp, name)]


def test_no_customer_screen_shows_a_score_or_a_finding(index: list[dict]) -> None:
    reasons = {reason for result, _ in staged_results().values() if result is not None for reason in result.reasons}
    reasons |= {c.reason for result, _ in staged_results().values() if result is not None for c in result.checks}
    numbers = {f"{STAGED_CONFIDENCE:.0f}", f"{STAGED_FAIL_CONFIDENCE:.0f}", f"{STAGED_THRESHOLD:.0f}"}
    customer = [e for e in index if e["audience"] == "customer"]
    assert len(customer) > 30
    for entry in customer:
        for text in entry["texts"] + entry["recorded"]:
            where = f"{entry['variant']}/{entry['screen']}: {text!r}"
            assert "%" not in text, where
            assert not re.search(r"confiden|confianza|score|puntuaci", text, re.I), where
            assert not any(re.search(rf"\b{n}\b", text) for n in numbers), where
            assert not any(r in text for r in reasons), where
            assert not any(f in text for f in entry["findings"]), where


def test_staff_screens_carry_the_evidence(index: list[dict]) -> None:
    staff = {e["screen"]: e for e in index if e["audience"] == "staff" and e["variant"] == "default"}
    assert "PASS - review" in staff["result-review-staff"]["texts"]
    assert any("Screen or replay suspected" in t for t in staff["result-fail-attack-staff"]["texts"])
    assert any("Device suspected" in t for t in staff["result-fail-device-staff"]["texts"])
    # The reasons are rendered from their codes (not as recorded English), with the numbers they quote.
    assert any("over-exposed" in t and "34%" in t for t in staff["result-try-again-staff"]["texts"])
    assert any("312 ms" in t for t in staff["result-fail-attack-staff"]["texts"])
    assert any("Concern: As the face came closer" in t for t in staff["result-review-staff"]["texts"])
    assert all(not e["recorded"] for e in staff.values() if e["kind"] == "result" and e["screen"] != "result-unavailable-staff")


def test_staff_hear_of_a_suspected_attack_without_a_decision(index: list[dict]) -> None:
    """A check that ended without a decision after the light stage saw a flat or glossy surface: staff are told
    what is suspected, the customer only gets TRY AGAIN and the generic tips."""
    by = {(e["screen"], e["variant"]): e for e in index}
    staff, customer = by[("result-try-again-replay-staff", "default")], by[("result-try-again-replay", "default")]
    assert "No decision" in staff["texts"]
    assert any("Screen or replay suspected" in t for t in staff["texts"])
    assert "TRY AGAIN" in customer["texts"] and not any("suspected" in t for t in customer["texts"])
    assert any("Se sospecha" in t or "sospecha" in t for t in by[("result-try-again-replay-staff", "es")]["texts"])


def test_staged_results_carry_a_code_for_every_reason() -> None:
    for name, (result, _) in staged_results().items():
        if result is None:
            continue
        assert len(result.reason_codes) == len(result.reasons) and all(result.reason_codes), name
        doc = result.to_dict()
        assert doc["ReasonCodes"] == result.reason_codes and len(doc["ReasonParams"]) == len(doc["Reasons"]), name
        assert all(c["ReasonCode"] for c in doc["Checks"]), name


def test_every_reason_sentence_and_phrase_has_a_spanish_translation() -> None:
    from app.gui.reasons import CONTEXT, phrases, templates

    translated = {}
    for ctx in ET.parse(TS).getroot().iter("context"):
        if ctx.findtext("name") == CONTEXT:
            translated = {m.findtext("source"): m.findtext("translation") for m in ctx.iter("message")}
    wanted = [*templates().values(), *phrases()]
    assert [w for w in wanted if not translated.get(w) or translated[w] == w] == []
    for source, spanish in translated.items():  # the translation fills the same values as the English
        assert set(re.findall(r"\{(\w+)", spanish)) <= set(re.findall(r"\{(\w+)", source)), source


def test_reasons_without_codes_are_shown_as_recorded(qapp) -> None:
    from app.gui.reasons import render

    assert render(None, {}, "Old English sentence.") == ("Old English sentence.", False)
    assert render("light.unknown_code", {}, "Recorded.") == ("Recorded.", False)
    assert render("light.late", {}, "Missing its lag.") == ("Missing its lag.", False)
    assert render("light.late", {"lag": 312.5}, "x") == (
        "The face changed colour 312 ms after the screen did, later than a real camera can be: the colour response looks forged.", True)


def test_every_result_and_error_screen_exists_in_every_variant(index: list[dict]) -> None:
    wanted = {e["screen"] for e in index if e["kind"] in ("result", "error")}
    assert {"result-pass", "result-review", "result-fail", "result-try-again", "error-camera-busy", "error-store-save"} <= wanted
    for name in VARIANTS:
        assert wanted <= {e["screen"] for e in index if e["variant"] == name}, name


def _same_in_both() -> set[str]:
    """Catalogue entries whose Spanish is the English (names, symbols)."""
    out = set()
    for msg in ET.parse(TS).getroot().iter("message"):
        if msg.findtext("source") == msg.findtext("translation"):
            out.add(re.sub(r"&(?=\S)", "", msg.findtext("source") or ""))
    return out


def test_every_spanish_text_is_translated(index: list[dict]) -> None:
    english = {(e["screen"], t) for e in index if e["variant"] == "default" for t in e["texts"]}
    allowed = _same_in_both()
    untranslated = [
        (e["screen"], t)
        for e in index
        if e["variant"] == "es"
        for t in e["texts"]
        if (e["screen"], t) in english and t not in allowed and re.search(r"[A-Za-z]{2}", t)
    ]
    assert untranslated == []
    es = [e for e in index if e["variant"] == "es"]
    assert any("APROBADO" in e["texts"] for e in es)


def test_screenshots_write_index_json(qapp, tmp_path: Path) -> None:
    from app.devtools.screenshots import Shooter, write_json_index

    shooter = Shooter(tmp_path)
    try:
        with variant(qapp, "default"):
            window = shooter.window("")
            staged = {s.screen: s for s in staged_screens()}
            for name in ("result-fail", "result-fail-staff"):
                staged[name].stage(window)
                shooter.grab(window, f"v-{name}", name, "staged", screen=name, audience=staged[name].audience, small=False)
            shooter.close(window)
    finally:
        shooter.cleanup()
    write_json_index(tmp_path / "index.json", shooter, merge=False)
    data = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    assert [d["file"] for d in data] == ["v-result-fail-staff.png", "v-result-fail.png"]
    assert all(set(d) >= {"file", "screen", "audience", "variant", "texts"} for d in data)
    assert (tmp_path / "v-result-fail.png").is_file()
    by = {d["screen"]: d for d in data}
    assert by["result-fail"]["audience"] == "customer" and "FAIL" in by["result-fail"]["texts"]
    assert by["result-fail-staff"]["audience"] == "staff" and any("more tries" in t for t in by["result-fail-staff"]["texts"])


def test_staff_hear_of_a_virtual_camera_after_a_face_fit_time_out(index: list[dict]) -> None:
    """A time-out on a camera the system flags as virtual: the staff view (behind the PIN) says a device is
    suspected; the customer's time-out screen is the same as for any other time-out."""
    by = {(e["screen"], e["variant"]): e for e in index}
    staff = by[("error-face-fit-timeout-device-staff", "default")]
    assert any("Device suspected" in t for t in staff["texts"])
    assert "Before another try, check this device; if in doubt, check the identity manually." in staff["texts"]
    plain, flagged = by[("error-face-fit-timeout", "default")], by[("error-face-fit-timeout-device", "default")]
    assert flagged["texts"] == plain["texts"] and "Staff view…" in flagged["texts"]
    assert not any("suspected" in t for t in flagged["texts"])
    assert any("Se sospecha" in t for t in by[("error-face-fit-timeout-device-staff", "es")]["texts"])


def test_time_out_staff_view_without_a_suspicion(qapp) -> None:
    from app.core.check.flow import Phase, Problem, ProblemInfo
    from app.gui.pages import ProblemPage
    from app.gui.verdict import timeout_suspicions

    page = ProblemPage()
    page.show_problem(ProblemInfo(Problem.FACE_FIT_TIMEOUT, ""), Phase.TIMEOUT, timeout_suspicions(None))
    assert not page.staff_button.isHidden() and not page.staff_visible
    page.set_staff_visible(True)
    assert "Nothing pointed at" in page.staff_panel.text()
    page.show_problem(ProblemInfo(Problem.CAMERA_BUSY, ""), Phase.ERROR)
    assert page.staff_button.isHidden() and not page.staff_visible  # errors offer no staff view
