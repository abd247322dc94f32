"""PyInstaller runtime hook: small stand-ins for two libraries the desktop build leaves out.

* ``mediapipe.tasks.python.vision`` imports ``drawing_utils`` and ``drawing_styles``
  on import, and those import ``matplotlib.pyplot`` (about 35 MB of files and
  0.4 s of start-up), only to draw landmarks in notebooks. Livegate never calls
  them; the build excludes them with matplotlib, and their import gets an empty
  module whose functions raise an ``AttributeError`` saying why.
* scikit-image (with SciPy, about 80 MB) served the running app only as the
  keeper of the simulator's default face, its public-domain astronaut portrait.
  The build ships that one PNG next to ``app/core/simulate/face.py``, and
  ``skimage.data.astronaut()`` reads it with OpenCV (pixel-identical to
  scikit-image's own loader). Nothing else of scikit-image exists in the build.

The finder is appended to ``sys.meta_path``: it answers only imports that
nothing in the bundle can satisfy, so a build that does include the real
libraries uses them.
"""

import importlib.abc
import importlib.machinery
import os
import sys
import types

_MISSING = "is not part of the Livegate desktop build"


class _StandIn(types.ModuleType):
    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"{self.__name__}.{name} {_MISSING}")


def _astronaut():  # type: ignore[no-untyped-def]
    """scikit-image's ``data.astronaut()``: the portrait as RGB uint8, (512, 512, 3)."""
    import cv2

    path = os.path.join(getattr(sys, "_MEIPASS", ""), "app", "core", "simulate", "astronaut.png")
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"the simulator's portrait {path} is missing from the build")
    return image[:, :, ::-1].copy()


def _fill(module: types.ModuleType) -> None:
    if module.__name__ == "skimage":
        module.__path__ = []  # a package, so that `from skimage import data` finds the submodule
    elif module.__name__ == "skimage.data":
        module.astronaut = _astronaut  # type: ignore[attr-defined]


_STAND_INS = frozenset({
    "mediapipe.tasks.python.vision.drawing_utils",
    "mediapipe.tasks.python.vision.drawing_styles",
    "skimage",
    "skimage.data",
})


class _StandInLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _StandIn(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        _fill(module)


class _StandInFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if fullname in _STAND_INS:
            return importlib.machinery.ModuleSpec(fullname, _StandInLoader(), is_package=fullname == "skimage")
        return None


sys.meta_path.append(_StandInFinder())
