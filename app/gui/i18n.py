"""Translations: English source strings, compiled Qt catalogues in ``resources/i18n``.

Choice: the compiled ``livegate_<lang>.qm`` is shipped next to its ``.ts``
source (built with the ``lrelease`` that the PySide6 wheel ships). When a
``.qm`` is missing or older than its ``.ts`` (someone edited the translation
and did not rebuild), it is compiled at start-up into the user's data folder
with the same ``lrelease``; if that tool is missing the app stays in English
and logs why. ``python -m app.gui.i18n`` refreshes the ``.ts`` from the code
(``lupdate``) and rebuilds the ``.qm``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.core import paths

log = logging.getLogger(__name__)

CATALOGUE = "livegate"
#: Languages shipped besides the English source.
LANGUAGES = ("es",)


def i18n_dir() -> Path:
    """Folder of the ``.ts`` sources and compiled ``.qm`` catalogues."""
    return paths.resources_dir() / "i18n"


def _tool(name: str) -> str | None:
    """A Qt tool shipped with PySide6 (``lrelease``, ``lupdate``)."""
    import PySide6

    base = Path(PySide6.__file__).parent
    for candidate in (base / name, base / f"{name}.exe", base / "Qt" / "libexec" / name):
        if candidate.is_file():
            return str(candidate)
    return shutil.which(f"pyside6-{name}")


def compile_ts(ts: Path, qm: Path) -> bool:
    """Compile ``ts`` to ``qm`` with PySide6's ``lrelease``; False when impossible."""
    tool = _tool("lrelease")
    if tool is None:
        log.warning("lrelease not found; %s cannot be compiled", ts.name)
        return False
    paths.make_private_dir(qm.parent)
    proc = subprocess.run([tool, "-silent", str(ts), "-qm", str(qm)], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not qm.is_file():
        log.warning("lrelease failed for %s: %s", ts.name, proc.stderr.strip())
        return False
    paths.set_private(qm)  # lrelease creates it with the umask's mode; the data folder is owner-only
    return True


def catalogue_for(language: str) -> Path | None:
    """The ``.qm`` to load for ``language`` (compiling a stale or missing one), or None."""
    folder = i18n_dir()
    ts = folder / f"{CATALOGUE}_{language}.ts"
    qm = folder / f"{CATALOGUE}_{language}.qm"
    if qm.is_file() and (not ts.is_file() or qm.stat().st_mtime >= ts.stat().st_mtime):
        return qm
    if not ts.is_file():
        return None
    cached = paths.data_dir() / "i18n" / qm.name
    if cached.is_file() and cached.stat().st_mtime >= ts.stat().st_mtime:
        return cached
    return cached if compile_ts(ts, cached) else (qm if qm.is_file() else None)


def choose_language(setting: str) -> str:
    """The UI language: the setting, else the system's if shipped, else English."""
    if setting:
        return setting
    system = QLocale.system().name().split("_")[0]
    return system if system in LANGUAGES else "en"


def install_translators(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Load Livegate's and Qt's own catalogues for ``language`` (keep the returned objects alive)."""
    installed: list[QTranslator] = []
    if language in ("", "en"):
        return installed
    qm = catalogue_for(language)
    if qm is None:
        log.warning("no translation for language %r; using English", language)
        return installed
    ours = QTranslator(app)
    if ours.load(str(qm)):
        app.installTranslator(ours)
        installed.append(ours)
    else:
        log.warning("translation %s could not be loaded", qm)
    qt_own = QTranslator(app)
    if qt_own.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt_own)
        installed.append(qt_own)
    return installed


def update_catalogues() -> int:
    """Developer command: refresh the ``.ts`` files from the sources and rebuild the ``.qm`` files."""
    lupdate = _tool("lupdate")
    if lupdate is None:
        log.error("lupdate not found (it ships with PySide6)")
        return 3
    import tempfile

    from app.gui.reasons import catalogue_source

    root = paths.bundle_root()
    sources = sorted(str(p) for p in (root / "app" / "gui").glob("*.py"))
    with tempfile.TemporaryDirectory() as tmp:
        # The reason sentences live in app.core.scoring; lupdate sees them through a generated file.
        generated = Path(tmp) / "reason_sentences.py"
        generated.write_text(catalogue_source(), encoding="utf-8")
        for lang in LANGUAGES:
            ts = i18n_dir() / f"{CATALOGUE}_{lang}.ts"
            proc = subprocess.run([lupdate, "-no-obsolete", "-locations", "none", *sources, str(generated), "-ts", str(ts)], check=False)
            if proc.returncode != 0:
                return proc.returncode
            if not compile_ts(ts, ts.with_suffix(".qm")):
                return 3
    return 0


if __name__ == "__main__":
    sys.exit(update_catalogues())
