"""Read PyTorch *legacy* (pre-1.6, non-zip) ``.pth`` state dicts without PyTorch.

The legacy format is a concatenation of five parts:

1. a pickled int, the magic number ``0x1950a86a20f9469cfc6c``;
2. a pickled int, the protocol version ``1001``;
3. a pickled ``dict`` of system information (``little_endian``, type sizes);
4. the pickled object itself (here a ``collections.OrderedDict`` of tensors).
   Each tensor is ``torch._utils._rebuild_tensor_v2(storage, offset, size,
   stride, requires_grad, backward_hooks)`` where ``storage`` is a *persistent
   id* ``('storage', torch.FloatStorage, key, location, numel, view_meta)``;
5. a pickled list of storage keys, followed, for each key in that order, by an
   int64 element count and that many raw elements.

Security
--------
Unpickling runs code named by the file. This reader is a security boundary:
its :class:`pickle.Unpickler` resolves only ``collections.OrderedDict``,
``torch._utils._rebuild_tensor_v2`` (replaced by an inert recorder) and the
``torch.*Storage`` type names (replaced by dtype markers). Any other global,
for example ``os.system`` or ``builtins.eval``, raises :class:`ModelError`
before anything is called. Persistent ids are parsed, never dereferenced.
The recorder's objects refuse pickle's BUILD opcode, so a crafted file cannot
rewrite a tensor after it was validated; shapes are checked against their
storage before any array is made, and the file size is capped.
"""

from __future__ import annotations

import io
import logging
import math
import pickle
import struct
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import ModelError

__all__ = ["LEGACY_MAGIC_NUMBER", "LEGACY_PROTOCOL_VERSION", "load_legacy_pth", "loads_legacy_pth"]

_log = logging.getLogger(__name__)

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

#: Refuse files larger than this by default (the MiniFASNet files are ~1.9 MB).
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

# torch storage class name -> numpy dtype (byte order is applied later).
_STORAGE_DTYPES: dict[str, np.dtype[Any]] = {
    "DoubleStorage": np.dtype(np.float64),
    "FloatStorage": np.dtype(np.float32),
    "HalfStorage": np.dtype(np.float16),
    "LongStorage": np.dtype(np.int64),
    "IntStorage": np.dtype(np.int32),
    "ShortStorage": np.dtype(np.int16),
    "CharStorage": np.dtype(np.int8),
    "ByteStorage": np.dtype(np.uint8),
    "BoolStorage": np.dtype(np.bool_),
}

_MODULE_PREFIX = "module."


def _refuse_build(state: object) -> None:
    """Block the pickle BUILD opcode on the reader's own marker objects."""
    raise ModelError("corrupt .pth file: it tries to modify a rebuilt tensor or storage (pickle BUILD)")


@dataclass(frozen=True, slots=True)
class _StorageType:
    """Marker standing in for a ``torch.<Name>Storage`` class."""

    name: str
    dtype: np.dtype[Any]

    def __setstate__(self, state: object) -> None:
        _refuse_build(state)


@dataclass(frozen=True, slots=True)
class _StorageRef:
    """A parsed persistent id: which storage, of what type and size."""

    key: str
    dtype: np.dtype[Any]
    numel: int
    view_offset: int  # element offset into the root storage (0 unless a view)

    def __setstate__(self, state: object) -> None:
        _refuse_build(state)


@dataclass(frozen=True, slots=True)
class _TensorRef:
    """What ``_rebuild_tensor_v2`` was asked to build, recorded, not executed."""

    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def __setstate__(self, state: object) -> None:
        _refuse_build(state)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_tuple(value: object, what: str) -> tuple[int, ...]:
    if not isinstance(value, tuple) or not all(_is_int(v) and v >= 0 for v in value):
        raise ModelError(f"corrupt .pth file: tensor {what} should be a tuple of non-negative ints, found {value!r}")
    return value  # type: ignore[return-value]


def _record_tensor(storage: object, offset: object, size: object, stride: object, *_rest: object) -> _TensorRef:
    """Inert stand-in for ``torch._utils._rebuild_tensor_v2``."""
    if not isinstance(storage, _StorageRef):
        raise ModelError(f"corrupt .pth file: tensor storage should be a persistent storage id, found {type(storage).__name__}")
    if not _is_int(offset) or offset < 0:  # type: ignore[operator]
        raise ModelError(f"corrupt .pth file: tensor storage offset should be a non-negative int, found {offset!r}")
    size_t = _int_tuple(size, "size")
    stride_t = _int_tuple(stride, "stride")
    if len(size_t) != len(stride_t):
        raise ModelError(f"corrupt .pth file: tensor size {size_t} and stride {stride_t} differ in length")
    return _TensorRef(storage, int(offset), size_t, stride_t)  # type: ignore[arg-type]


_ALLOWED_GLOBALS: dict[tuple[str, str], object] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _record_tensor,
}


class _RestrictedUnpickler(pickle._Unpickler):  # noqa: SLF001
    """Unpickler that resolves only the few globals a state dict needs.

    Built on the pure-Python unpickler on purpose: its memo is a dict, whereas
    the C unpickler sizes an array by the largest ``LONG_BINPUT`` index, so a
    single corrupt 4-byte index could make it allocate gigabytes. The state
    dict pickle is small (~35 kB), so the slower parser costs ~20 ms.
    """

    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED_GLOBALS.get((module, name))
        if allowed is not None:
            return allowed
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name, _STORAGE_DTYPES[name])
        raise ModelError(
            f"refusing to load .pth file: it asks for the global '{module}.{name}', which a plain "
            "state dict never needs (only collections.OrderedDict, torch._utils._rebuild_tensor_v2 "
            "and torch.*Storage types are allowed); the file may be malicious or not a state dict"
        )

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or len(pid) != 6 or pid[0] != "storage":
            raise ModelError(f"corrupt .pth file: unexpected persistent id {pid!r:.200}")
        _, storage_type, key, _location, numel, view_meta = pid
        if not isinstance(storage_type, _StorageType):
            raise ModelError(f"corrupt .pth file: persistent id names no storage type: {storage_type!r:.100}")
        if not isinstance(key, str) or not _is_int(numel) or numel < 0:
            raise ModelError(f"corrupt .pth file: bad storage id key={key!r:.50} numel={numel!r:.50}")
        view_offset = 0
        if view_meta is not None:
            if (
                not isinstance(view_meta, tuple)
                or len(view_meta) != 3
                or not _is_int(view_meta[1])
                or not _is_int(view_meta[2])
            ):
                raise ModelError(f"corrupt .pth file: bad storage view metadata {view_meta!r:.100}")
            view_offset = int(view_meta[1])
            numel = int(view_meta[2])
        return _StorageRef(key, storage_type.dtype, int(numel), view_offset)


def _load_pickle(stream: io.BytesIO, what: str) -> Any:
    try:
        return _RestrictedUnpickler(stream).load()
    except ModelError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            struct.error, UnicodeDecodeError, MemoryError, RecursionError) as exc:
        raise ModelError(f"truncated or corrupt .pth file: cannot read its {what} ({type(exc).__name__}: {exc})") from exc


def loads_legacy_pth(data: bytes, *, strip_prefix: str = _MODULE_PREFIX) -> OrderedDict[str, np.ndarray]:
    """Parse the bytes of a legacy ``.pth`` state dict into numpy arrays.

    Parameters
    ----------
    data : bytes
        Whole file content.
    strip_prefix : str, optional
        Prefix removed from every key that carries it (``"module."`` by
        default, left by ``DataParallel``); pass ``""`` to keep keys as is.

    Returns
    -------
    OrderedDict[str, numpy.ndarray]
        Parameter name -> C-contiguous array owning its memory, in file order.

    Raises
    ------
    ModelError
        If the data is not a legacy ``.pth`` file, is truncated or corrupt,
        or asks for any global outside the allow-list.
    """
    if data[:2] == b"PK":
        raise ModelError(
            "this .pth file uses PyTorch's zip serialization (>= 1.6); only the legacy format is supported"
        )
    stream = io.BytesIO(data)
    magic = _load_pickle(stream, "magic number")
    if magic != LEGACY_MAGIC_NUMBER:
        raise ModelError(f"not a legacy PyTorch .pth file: magic number {magic!r:.40} != {LEGACY_MAGIC_NUMBER:#x}")
    protocol = _load_pickle(stream, "protocol version")
    if protocol != LEGACY_PROTOCOL_VERSION:
        raise ModelError(f"unsupported .pth protocol version {protocol!r:.40} (expected {LEGACY_PROTOCOL_VERSION})")
    sys_info = _load_pickle(stream, "system information")
    if not isinstance(sys_info, dict):
        raise ModelError("corrupt .pth file: system information is not a dict")
    byte_order = "<" if dict.get(sys_info, "little_endian", True) else ">"

    root = _load_pickle(stream, "state dict")
    if not isinstance(root, dict):
        raise ModelError(f"the .pth file holds a {type(root).__name__}, not a state dict")
    keys = _load_pickle(stream, "storage key list")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ModelError("corrupt .pth file: the storage key list is not a list of strings")

    # dict's own method: instance attributes set by a crafted BUILD cannot stand in for it.
    entries = list(dict.items(root))
    # Which dtype each storage has, from the tensors that reference it.
    dtypes: dict[str, np.dtype[Any]] = {}
    for name, value in entries:
        if not isinstance(name, str):
            raise ModelError(f"the .pth state dict has a non-string key {name!r:.80}")
        if not isinstance(value, _TensorRef):
            raise ModelError(f"the .pth state dict entry {name!r:.80} is not a tensor")
        known = dtypes.setdefault(value.storage.key, value.storage.dtype)
        if known != value.storage.dtype:
            raise ModelError(f"corrupt .pth file: storage {value.storage.key!r} is used with two dtypes")

    # Storage payloads: int64 element count, then the raw elements.
    storages: dict[str, np.ndarray] = {}
    pos = stream.tell()
    for key in keys:
        if key in storages:
            raise ModelError(f"corrupt .pth file: storage {key!r} listed twice")
        if pos + 8 > len(data):
            raise ModelError(f"truncated .pth file: storage {key!r} header is missing")
        (count,) = struct.unpack_from("<q", data, pos)
        pos += 8
        if key not in dtypes:
            raise ModelError(f"corrupt .pth file: storage {key!r} is listed but no tensor uses it")
        dtype = dtypes[key].newbyteorder(byte_order)
        nbytes = count * dtype.itemsize
        if count < 0 or pos + nbytes > len(data):
            raise ModelError(
                f"truncated .pth file: storage {key!r} needs {nbytes} bytes at offset {pos}, file has {len(data)}"
            )
        storages[key] = np.frombuffer(data, dtype=dtype, count=count, offset=pos)
        pos += nbytes
    if pos != len(data):
        _log.warning("legacy .pth file has %d trailing bytes after its storages", len(data) - pos)

    result: OrderedDict[str, np.ndarray] = OrderedDict()
    for name, ref in entries:
        storage = storages.get(ref.storage.key)
        if storage is None:
            raise ModelError(f"truncated or corrupt .pth file: storage of {name!r} is missing")
        result_name = name[len(strip_prefix):] if strip_prefix and name.startswith(strip_prefix) else name
        if result_name in result:
            raise ModelError(f"corrupt .pth file: key {result_name!r} occurs twice")
        result[result_name] = _materialise(name, ref, storage)
    return result


def _materialise(name: str, ref: _TensorRef, storage: np.ndarray) -> np.ndarray:
    start = ref.storage.view_offset + ref.offset
    if any(s == 0 for s in ref.size):
        return np.zeros(ref.size, dtype=storage.dtype.newbyteorder("="))
    last = start + sum((n - 1) * st for n, st in zip(ref.size, ref.stride))
    limit = min(storage.size, ref.storage.view_offset + ref.storage.numel)
    if start < 0 or last >= limit:
        raise ModelError(
            f"corrupt .pth file: tensor {name!r} (offset {ref.offset}, size {ref.size}, stride {ref.stride}) "
            f"reaches past its storage of {storage.size} elements"
        )
    if math.prod(ref.size) > ref.storage.numel:
        # Only expanded (stride-0) views exceed their storage; a state dict never holds one.
        raise ModelError(f"corrupt .pth file: tensor {name!r} of size {ref.size} is larger than its storage")
    itemsize = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[start:],
        shape=ref.size,
        strides=tuple(st * itemsize for st in ref.stride),
        writeable=False,
    )
    return np.array(view, dtype=storage.dtype.newbyteorder("="), order="C", copy=True)


def load_legacy_pth(
    path: str | Path, *, strip_prefix: str = _MODULE_PREFIX, max_bytes: int = DEFAULT_MAX_BYTES
) -> OrderedDict[str, np.ndarray]:
    """Read a legacy (non-zip) PyTorch ``.pth`` state dict from a file.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.pth`` file.
    strip_prefix : str, optional
        Key prefix to remove (default ``"module."``).
    max_bytes : int, optional
        Refuse files larger than this.

    Returns
    -------
    OrderedDict[str, numpy.ndarray]
        Parameter name -> array.

    Raises
    ------
    ModelError
        If the file is missing, too large, truncated, corrupt or asks for a
        global outside the allow-list.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise ModelError(f"{p} is {size} bytes, more than the {max_bytes}-byte limit for a .pth file")
        data = p.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read the model file {p}: {exc}") from exc
    try:
        return loads_legacy_pth(data, strip_prefix=strip_prefix)
    except ModelError as exc:
        raise ModelError(f"{p}: {exc}") from exc
