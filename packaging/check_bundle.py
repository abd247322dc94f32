"""Check a one-folder build and print its size by component.

Usage: python packaging/check_bundle.py [dist/livegate] [--sizes-only]

Checks (Linux): every shared library and extension module in the bundle finds
all the libraries it links against (inside the bundle, as the bootloader sets
``LD_LIBRARY_PATH``, or on the system), and no symbolic link dangles. A library
that is missing makes an ``import`` fail at run time (the first build lost
OpenCV's Qt 5 libraries that way), so the build stops here instead. Qt plugins
may miss optional system libraries (a Wayland plugin on an X11-only build
machine, needing the desktop's libwayland): those are listed but do not fail the check.

Exit code 0 when the bundle is complete, 1 otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

#: How the size report groups the bundle's top-level entries.
COMPONENTS = {
    "mediapipe": ("mediapipe",),
    "opencv": ("cv2", "opencv_contrib_python.libs", "opencv_python.libs"),
    "qt (PySide6)": ("PySide6", "shiboken6", "libpyside6", "libshiboken6", "libQt6", "libicu"),
    "onnxruntime": ("onnxruntime",),
    "onnx": ("onnx", "ml_dtypes", "google"),
    "numpy": ("numpy", "numpy.libs"),
    "python": ("libpython", "python3", "base_library.zip", "lib-dynload"),
    "cryptography": ("cryptography", "_cffi_backend", "libssl", "libcrypto"),
    "models": ("models",),
    "app": ("app", "resources", "livegate"),
}


#: Qt libraries loaded only by optional platform plugins (Wayland), which need the desktop's own libraries.
OPTIONAL_QT_LIBS = ("libQt6WaylandClient", "libQt6WlShellIntegration", "libQt6WaylandEglClientHwIntegration")


def component_of(rel: str) -> str:
    top = rel.split("/", 1)[0]
    for name, prefixes in COMPONENTS.items():
        if top.startswith(prefixes):
            return name
    return "other"


def sizes(bundle: Path) -> dict[str, int]:
    """Bytes per component (regular files only; symbolic links cost nothing)."""
    total: dict[str, int] = defaultdict(int)
    internal = bundle / "_internal"
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(internal if path.is_relative_to(internal) else bundle).as_posix()
        total[component_of(rel)] += path.stat().st_size
    return dict(total)


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def unresolved(bundle: Path) -> dict[str, list[str]]:
    """Libraries each ELF file of the bundle cannot find (``ldd``, with the bootloader's search path)."""
    internal = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal))
    missing: dict[str, list[str]] = {}
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or not path.is_file() or not _is_elf(path):
            continue
        proc = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env, check=False)
        lost = [line.split("=>")[0].strip() for line in proc.stdout.splitlines() if "not found" in line]
        if lost:
            missing[path.relative_to(bundle).as_posix()] = lost
    return missing


def dangling(bundle: Path) -> list[str]:
    return [p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_symlink() and not p.exists()]


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    bundle = Path(args[0] if args else "dist/livegate")
    if not (bundle / "_internal").is_dir():
        print(f"check_bundle: {bundle} is not a one-folder build (no _internal/)", file=sys.stderr)
        return 1
    by_component = sizes(bundle)
    mb = 1024 * 1024
    print(f"bundle: {bundle} {sum(by_component.values()) / mb:.0f} MB")
    for name, size in sorted(by_component.items(), key=lambda kv: -kv[1]):
        print(f"  {name:14} {size / mb:7.1f} MB")
    if "--sizes-only" in argv or not sys.platform.startswith("linux"):
        return 0
    ok = True
    for link in dangling(bundle):
        print(f"check_bundle: dangling link {link}", file=sys.stderr)
        ok = False
    optional_files, optional_libs = 0, set()
    for rel, libs in unresolved(bundle).items():
        if "/Qt/plugins/" in rel or Path(rel).name.startswith(OPTIONAL_QT_LIBS):
            optional_files += 1
            optional_libs.update(libs)
        else:
            print(f"check_bundle: {rel} cannot find {', '.join(sorted(set(libs)))}", file=sys.stderr)
            ok = False
    if optional_files:
        print(f"check_bundle: {optional_files} optional Qt plugin file(s) use system libraries this machine lacks "
              f"({', '.join(sorted(optional_libs))}); a desktop that needs them has them", file=sys.stderr)
    print("check_bundle: complete" if ok else "check_bundle: INCOMPLETE", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
