"""Compile the packaged zips' Python files to bytecode, so a cold start imports instead of compiling.

Lambda unpacks a function onto a read-only file system, so a module imported without a `.pyc` beside
it is compiled again at every cold start (measured: `import app` ~0.93 s as Chalice packages it,
~0.33 s precompiled). The `.pyc` files are "unchecked hash" ones (PEP 552): the interpreter uses them
without comparing the source's modification time, which a zip keeps only to two seconds (Chalice
writes 1980-01-01 for every file). Bytecode is specific to the interpreter's version, and
Chalice picks the Lambda runtime from the same interpreter, so the two always match.

The rebuilt zips are reproducible: entries sorted, one date, and each module's recorded path is where
Lambda puts it (`/var/task` for the function, `/opt` for a layer) rather than this run's scratch
directory. The same sources give the same bytes, so `make deploy` of an unchanged tree uploads
nothing new and CloudFormation sees no change.

    python -m infra.bytecode build/dev/deployment.zip build/dev/layer-deployment.zip
"""
from __future__ import annotations

import compileall
import py_compile
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

# Where Lambda unpacks a function's code and its layers.
TASK_ROOT, LAYER_ROOT = "/var/task", "/opt"


def compile_zip(path: Path, unpacked_at: str | None = None) -> int:
    """Rewrite the zip at `path` with a `__pycache__/*.pyc` beside every `.py`; returns how many.
    `unpacked_at` is where Lambda puts its files (default: /opt for a layer's zip, else /var/task)."""
    unpacked_at = unpacked_at or (LAYER_ROOT if "layer" in path.name else TASK_ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "tree"
        with zipfile.ZipFile(path) as archive:
            archive.extractall(root)
            modes = {info.filename: info.external_attr for info in archive.infolist()}
        compileall.compile_dir(root, ddir=unpacked_at, quiet=2, workers=0, legacy=False,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        rebuilt = Path(scratch) / path.name
        count = 0
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(p for p in root.rglob("*") if p.is_file()):
                name = file.relative_to(root).as_posix()
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = modes.get(name, 0o644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, file.read_bytes())
                count += name.endswith(".pyc")
        shutil.move(rebuilt, path)
    return count


def main(argv: list[str] | None = None) -> int:
    for name in argv if argv is not None else sys.argv[1:]:
        print(f"{name}: {compile_zip(Path(name))} modules precompiled "
              f"for python{sys.version_info.major}.{sys.version_info.minor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
