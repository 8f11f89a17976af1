"""``vb.save`` / ``vb.load``: tensors, state_dicts and optimizer state in a file that holds no code.

torch.save pickles, and unpickling a file can run arbitrary code. vibrastic writes a zip archive
instead: ``vibrastic.json`` describes the saved object (dicts, lists, tuples, strings, numbers,
None) and every tensor or NumPy array is an ``arrays/<n>.npy`` entry, read back with
``allow_pickle=False``. Nothing in a file can make ``load`` run code or build arbitrary objects.

What can be saved: tensors (their ``requires_grad`` and Parameter-ness are kept; a tensor saved
twice comes back as one object), NumPy arrays and scalars, dtypes, devices, and dicts (string or
integer keys), lists and tuples of these. Whole modules and optimizers are not saved: save their
``state_dict()`` and load it into a new instance, as PyTorch's tutorials recommend.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from vibrastic.devices import device
from vibrastic.tensor import _DTYPES, Tensor, _new, dtype

FORMAT = "vibrastic.save"
VERSION = 1
_MANIFEST = "vibrastic.json"

PathOrFile = str | os.PathLike[str] | IO[bytes]


class SaveError(TypeError):
    """An object that ``vb.save`` cannot store."""


class LoadError(RuntimeError):
    """A file that ``vb.load`` cannot read (not a vibrastic file, or damaged)."""


def save(obj: Any, f: PathOrFile, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Write ``obj`` (tensors, arrays, numbers, strings, and dicts/lists/tuples of them) to ``f``.

    ``f`` is a path or a binary file object. The pickle arguments are accepted for torch's
    signature and ignored: nothing is pickled.
    """
    arrays: list[np.ndarray] = []
    seen: dict[int, int] = {}
    tree = _encode(obj, arrays, seen, "obj")
    manifest = {"format": FORMAT, "version": VERSION, "object": tree}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(_MANIFEST, json.dumps(manifest))
        for i, arr in enumerate(arrays):
            entry = io.BytesIO()
            np.save(entry, arr, allow_pickle=False)
            archive.writestr(f"arrays/{i}.npy", entry.getvalue())
    data = buffer.getvalue()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as out:  # written whole: a failed save leaves no half-encoded file
            out.write(data)
    else:
        f.write(data)


def _encode(obj: Any, arrays: list[np.ndarray], seen: dict[int, int], where: str) -> Any:
    """The JSON description of ``obj``; arrays are appended to ``arrays`` (shared ones once)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        if isinstance(obj, float) and not np.isfinite(obj):
            return {"float": repr(obj)}
        return obj
    if isinstance(obj, Tensor):
        from vibrastic.nn import Parameter

        key = id(obj)
        if key not in seen:
            seen[key] = len(arrays)
            arrays.append(obj._data)
        return {"tensor": seen[key], "requires_grad": obj.requires_grad,
                "parameter": isinstance(obj, Parameter)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "O":
            raise SaveError(f"vibrastic.save: {where} is a NumPy array of Python objects; "
                            "only numeric and bool arrays can be saved")
        arrays.append(obj)
        return {"ndarray": len(arrays) - 1}
    if isinstance(obj, np.generic):
        arrays.append(np.asarray(obj))
        return {"npscalar": len(arrays) - 1}
    if isinstance(obj, dtype):
        return {"dtype": obj.name}
    if isinstance(obj, device):
        return {"device": str(obj)}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise SaveError(f"vibrastic.save: {where} has a key {k!r} of type "
                                f"{type(k).__name__}; keys must be strings or integers")
            items.append([k, _encode(v, arrays, seen, f"{where}[{k!r}]")])
        return {"dict": items, "ordered": isinstance(obj, OrderedDict)}
    if isinstance(obj, (list, tuple)):
        values = [_encode(v, arrays, seen, f"{where}[{i}]") for i, v in enumerate(obj)]
        return values if isinstance(obj, list) else {"tuple": values}
    hint = ""
    if hasattr(obj, "state_dict"):
        hint = (f"; save its state_dict() instead (vb.save(x.state_dict(), f)) and load it into "
                f"a new {type(obj).__name__} with load_state_dict")
    raise SaveError(
        f"vibrastic.save can't store {where}, a {type(obj).__name__}: it saves tensors, arrays, "
        f"numbers, strings, dtypes and dicts, lists and tuples of them, never pickled objects"
        f"{hint}"
    )


def load(f: PathOrFile, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None, **pickle_load_args: Any
         ) -> Any:
    """Read an object written by ``vb.save``. ``map_location`` may only name the CPU."""
    if map_location is not None and not callable(map_location) and not isinstance(
            map_location, dict):
        from vibrastic.devices import check

        check(map_location)
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    try:
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as source:
                raw = source.read()
        else:
            raw = f.read()
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = set(archive.namelist())
            if _MANIFEST not in members:
                raise LoadError(_not_ours(name, members))
            manifest = json.loads(archive.read(_MANIFEST))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise LoadError(f"vibrastic.load: {name!r} has a {_MANIFEST} that is not a "
                                f"{FORMAT} manifest")
            if manifest.get("version", 0) > VERSION:
                raise LoadError(f"vibrastic.load: {name!r} was written by a newer vibrastic "
                                f"(format version {manifest['version']}, this one reads "
                                f"{VERSION}); upgrade vibrastic")
            arrays: dict[int, Any] = {}

            def array(i: Any) -> np.ndarray:
                if not isinstance(i, int) or f"arrays/{i}.npy" not in members:
                    raise LoadError(f"vibrastic.load: {name!r} refers to a missing array {i!r}")
                with archive.open(f"arrays/{i}.npy") as entry:
                    return np.load(io.BytesIO(entry.read()), allow_pickle=False)

            return _decode(manifest.get("object"), array, arrays)
    except FileNotFoundError:
        raise
    except LoadError:
        raise
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, ValueError, KeyError,
            TypeError, OSError, EOFError, RecursionError) as exc:
        raise LoadError(
            f"vibrastic.load: can't read {name!r}: it is not a file written by vibrastic.save "
            f"or it is damaged ({type(exc).__name__}: {exc})"
        ) from None


def _not_ours(name: str, members: set[str]) -> str:
    if any(m.endswith("data.pkl") for m in members):
        return (f"vibrastic.load: {name!r} is a PyTorch checkpoint (torch.save); vibrastic "
                "never unpickles files. Load it with torch and pass the state_dict to "
                "load_state_dict (vibrastic accepts torch tensors), or re-save it with "
                "vibrastic.save")
    return f"vibrastic.load: {name!r} is a zip archive but not a file written by vibrastic.save"


def _decode(node: Any, array: Any, tensors: dict[int, Any]) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, array, tensors) for v in node]
    if not isinstance(node, dict) or len(node) == 0:
        raise LoadError(f"vibrastic.load: unexpected entry {node!r} in the manifest")
    if "tensor" in node:
        i = node["tensor"]
        if i not in tensors:
            data = array(i)
            if data.dtype not in _DTYPES:
                raise LoadError(f"vibrastic.load: a tensor of unsupported dtype {data.dtype}")
            if node.get("parameter"):
                from vibrastic.nn import Parameter

                t = Parameter(_new(data), requires_grad=bool(node.get("requires_grad")))
            else:
                t = _new(data, requires_grad=bool(node.get("requires_grad")))
            tensors[i] = t
        return tensors[i]
    if "ndarray" in node:
        return array(node["ndarray"])
    if "npscalar" in node:
        return array(node["npscalar"])[()]
    if "float" in node:
        return float(node["float"])
    if "dtype" in node:
        by_name = {d.name: d for d in _DTYPES.values()}
        if node["dtype"] not in by_name:
            raise LoadError(f"vibrastic.load: unknown dtype {node['dtype']!r}")
        return by_name[node["dtype"]]
    if "device" in node:
        return device(node["device"])
    if "tuple" in node:
        return tuple(_decode(v, array, tensors) for v in node["tuple"])
    if "dict" in node:
        pairs = [(k, _decode(v, array, tensors)) for k, v in node["dict"]]
        return OrderedDict(pairs) if node.get("ordered") else dict(pairs)
    raise LoadError(f"vibrastic.load: unexpected entry {node!r} in the manifest")
