"""Translations: every user-visible string is in the catalogue, the Spanish one is complete and loads."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

from app.core.check.flow import Problem, ProblemInfo
from app.core.guidance import Hint
from app.gui import i18n
from app.gui.texts import hint_text, problem_text

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[1]
TS = ROOT / "resources" / "i18n" / "livegate_es.ts"


def _messages(ts: Path) -> dict[tuple[str, str], str | None]:
    out: dict[tuple[str, str], str | None] = {}
    for ctx in ET.parse(ts).getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            done = tr is not None and tr.get("type") not in ("unfinished", "vanished", "obsolete") and bool(tr.text)
            out[(name, msg.findtext("source") or "")] = tr.text if done and tr is not None else None
    return out


def test_spanish_catalogue_is_complete() -> None:
    messages = _messages(TS)
    assert len(messages) > 150
    missing = [src for src, tr in messages.items() if tr is None]
    assert missing == []


def test_catalogue_covers_every_string_in_the_code(tmp_path: Path) -> None:
    lupdate = i18n._tool("lupdate")
    if lupdate is None:
        pytest.skip("lupdate is not shipped with this PySide6")
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (ROOT / "app" / "gui").glob("*.py"))
    subprocess.run([lupdate, "-silent", "-no-obsolete", "-locations", "none", *sources, "-ts", str(fresh)], check=True)
    in_code = set(_messages(fresh))
    shipped = set(_messages(TS))
    assert in_code - shipped == set(), "run `python -m app.gui.i18n` and translate the new strings"


def test_compiled_catalogue_matches_its_source(tmp_path: Path) -> None:
    rebuilt = tmp_path / "es.qm"
    if not i18n.compile_ts(TS, rebuilt):
        pytest.skip("lrelease is not shipped with this PySide6")
    assert rebuilt.read_bytes() == TS.with_suffix(".qm").read_bytes(), "rebuild the .qm: python -m app.gui.i18n"


def test_spanish_is_used_when_chosen(qapp) -> None:
    translators = i18n.install_translators(qapp, "es")
    try:
        assert translators
        assert hint_text(Hint.MOVE_CLOSER) == "Acérquese"
        assert hint_text(Hint.MOVE_BACK, too_close=True) == "Demasiado cerca: aléjese"
        assert problem_text(ProblemInfo(Problem.FACE_FIT_TIMEOUT, "", Hint.MOVE_CLOSER)).title == "Tiempo agotado"
        assert QCoreApplication.translate("Verdict", "PASS") == "APROBADO"
    finally:
        for tr in translators:
            qapp.removeTranslator(tr)
    assert hint_text(Hint.MOVE_CLOSER) == "Move closer"


def test_language_choice() -> None:
    assert i18n.choose_language("es") == "es"
    assert i18n.choose_language("") in ("en", *i18n.LANGUAGES)
    assert i18n.install_translators(QCoreApplication.instance() or QCoreApplication([]), "en") == []
