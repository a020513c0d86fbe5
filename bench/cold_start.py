"""Cold start as Lambda sees it: `import app` from the unzipped package, before and after bytecode.

Lambda unpacks the function's zip and its layer onto a read-only file system, so a module without a
`.pyc` beside it is compiled at every cold start. This packages the app as `make package` does
(`chalice package`, reusing `build/<stage>/` when it is there), unzips the zips as Chalice ships them
and again after `infra/bytecode.py` has precompiled them, and times fresh interpreters importing
`app` and, for scale, `boto3` from the same layer. The interpreter runs without the virtualenv's
site-packages (`-S`) and may not write bytecode, as on Lambda.

    python -m bench.cold_start          # a table, and the JSON object last
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from infra.bytecode import compile_zip

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7


def package(stage: str, into: Path) -> Path:
    """The directory holding `deployment.zip` and `layer-deployment.zip` of `stage`."""
    built = ROOT / "build" / stage
    if (built / "deployment.zip").exists() and (built / "layer-deployment.zip").exists():
        return built
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")}
    subprocess.run([str(Path(sys.executable).with_name("chalice")), "package", "--stage", stage, str(into)],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return into


def unzip(zips: Path, into: Path, precompiled: bool) -> list[Path]:
    """The function's and the layer's import roots, as Lambda puts them on `sys.path`."""
    roots = [into / "task", into / "opt" / "python" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
             / "site-packages"]
    into.mkdir(parents=True)
    for name, target in (("deployment.zip", into / "task"), ("layer-deployment.zip", into / "opt")):
        archive = into / name
        shutil.copy(zips / name, archive)
        if precompiled:
            compile_zip(archive)
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(target)
        archive.unlink()
    return roots


def import_ms(statement: str, roots: list[Path]) -> float:
    """Median wall time of a fresh interpreter running `statement` with only `roots` to import from."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(map(str, roots)),
           "PYTHONDONTWRITEBYTECODE": "1", "AWS_DEFAULT_REGION": "eu-central-1", "KAPI_STAGE": "dev"}
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([sys._base_executable, "-S", "-c", statement], check=True, env=env, cwd=roots[0])
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1000, 1)


def run(stage: str = "dev") -> dict:
    with tempfile.TemporaryDirectory(prefix="kapi-cold-") as scratch:
        zips = package(stage, Path(scratch) / "package")
        found = {"python_ms": import_ms("pass", [Path(scratch)])}
        for label, precompiled in (("as_packaged", False), ("precompiled", True)):
            roots = unzip(zips, Path(scratch) / label, precompiled)
            found[f"import_app_{label}_ms"] = import_ms("import app", roots)
            found[f"import_boto3_{label}_ms"] = import_ms("import boto3", roots)
    found["app_over_boto3"] = round((found["import_app_precompiled_ms"] - found["python_ms"])
                                    / (found["import_boto3_precompiled_ms"] - found["python_ms"]), 2)
    found["bytecode_saves_ms"] = round(found["import_app_as_packaged_ms"] - found["import_app_precompiled_ms"], 1)
    return found


def main() -> None:
    result = run()
    for name, value in result.items():
        print(f"{name:<32} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
