"""A wheel of the installed vibrastic, so exported notebooks can install it off this machine.

vibrastic is not on PyPI. ``build_wheel`` packs the package files this interpreter imports
(an editable checkout or an installed copy alike) with the installed distribution's metadata and
entry points into a standard ``py3-none-any`` wheel (PEP 427: ``RECORD`` with sha256 of every
file). ``vibrastic serve`` offers it for download and ``vibrastic notebooks export`` writes it
beside the notebooks, whose first cell installs it with pip. The file is rebuilt only when the
package's files change (its name carries a content hash folder).
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from functools import cache
from importlib import metadata
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # .../vibrastic
EXCLUDE_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # reproducible archives: the same files give the same bytes


def _version() -> str:
    try:
        return metadata.version("vibrastic")
    except metadata.PackageNotFoundError:
        from vibrastic import __version__

        return str(__version__)


def wheel_name() -> str:
    """``vibrastic-<version>-py3-none-any.whl``."""
    return f"vibrastic-{_version()}-py3-none-any.whl"


def package_files() -> list[Path]:
    """Every file of the package, sorted (compiled caches left out)."""
    return sorted(p for p in PACKAGE_ROOT.rglob("*") if p.is_file()
                  and not EXCLUDE_PARTS & set(p.relative_to(PACKAGE_ROOT).parts)
                  and p.suffix not in (".pyc", ".pyo"))


@cache
def _digest() -> str:
    digest = hashlib.sha256(_version().encode())
    for path in package_files():
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _metadata_text() -> tuple[str, str]:
    """METADATA (headers of the installed distribution, or minimal ones) and entry_points.txt."""
    try:
        dist = metadata.distribution("vibrastic")
        meta = dist.read_text("METADATA") or ""
        entry_points = dist.read_text("entry_points.txt") or ""
    except metadata.PackageNotFoundError:
        meta, entry_points = "", ""
    headers = meta.split("\n\n", 1)[0].strip()
    if not headers:
        headers = f"Metadata-Version: 2.1\nName: vibrastic\nVersion: {_version()}"
    if not entry_points:
        entry_points = "[console_scripts]\nvibrastic = vibrastic.faces.cli:main\n"
    return headers + "\n", entry_points


def _record_line(name: str, data: bytes) -> str:
    hashed = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={hashed},{len(data)}"


def build_wheel(out_dir: Path) -> Path:
    """The wheel in ``out_dir/<content hash>/`` (built once per content); returns its path."""
    target = Path(out_dir) / _digest() / wheel_name()
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    dist_info = f"vibrastic-{_version()}.dist-info"
    meta, entry_points = _metadata_text()
    files: list[tuple[str, bytes]] = [
        ("vibrastic/" + p.relative_to(PACKAGE_ROOT).as_posix(), p.read_bytes())
        for p in package_files()]
    files += [
        (f"{dist_info}/METADATA", meta.encode()),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: vibrastic\n"
                               b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{dist_info}/entry_points.txt", entry_points.encode()),
    ]
    record = "\n".join([_record_line(n, d) for n, d in files] + [f"{dist_info}/RECORD,,", ""])
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*files, (f"{dist_info}/RECORD", record.encode())]:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    os.replace(tmp, target)
    return target
