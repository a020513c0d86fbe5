"""A packaged function run as Lambda runs it, for `make rehearse` (SPEC §12).

- the code is the deployed zips, the function's and its layers', unpacked into a directory nothing may
  write to (when this runs as root the function runs as `nobody`, as Lambda runs it as a user of its own;
  otherwise the files are made read-only), the layers where Lambda puts them (`python/` and
  `python/lib/pythonX.Y/site-packages` on the path);
- a fresh interpreter of the function's runtime (`python3.11` on this machine's PATH outside any
  virtualenv), isolated (`-I -S`: no site-packages, no PYTHON* variables, no user directory), so only the
  standard library, the function's code and its layers can be imported;
- only /tmp is writable (the working directory is the code's, read-only);
- configured only by the handler and environment variables the deployed template gives the function,
  plus what Lambda sets itself (region, function name, memory, credentials) and the endpoint of the AWS
  stand-in;
- one invocation at a time per instance, as in Lambda; an instance lives until it is stopped, so the
  first invocation is its cold start.

The runtime loop is the protocol of Lambda's runtime interface reduced to a pipe: one JSON event in a
line, one JSON answer out, `errorType` and `errorMessage` when the handler raised. What the function
prints goes to this process's stderr (its logs), never into the protocol.
"""
from __future__ import annotations

import io
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

_BOOTSTRAP = r"""
import importlib, json, os, sys, time, traceback, uuid
task, layers = os.environ["LAMBDA_TASK_ROOT"], os.environ["KAPI_REHEARSAL_LAYER_PATHS"].split(os.pathsep)
del os.environ["KAPI_REHEARSAL_LAYER_PATHS"]
sys.path[:0] = [task, *layers]
protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr
module, _, name = os.environ["_HANDLER"].rpartition(".")
started = time.monotonic()
handler = getattr(importlib.import_module(module), name)
init_seconds = time.monotonic() - started

class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    function_version = "$LATEST"
    memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "rehearsal"
    invoked_function_arn = "arn:aws:lambda:%s:123456789012:function:%s" % (os.environ["AWS_REGION"], function_name)
    def __init__(self, timeout):
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout
    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))

protocol.write(json.dumps({"ready": True, "init_seconds": init_seconds}) + "\n")
protocol.flush()
timeout = float(os.environ["KAPI_REHEARSAL_TIMEOUT"])
for line in sys.stdin:
    try:
        answer = {"result": handler(json.loads(line), Context(timeout))}
    except Exception as error:
        traceback.print_exc()
        answer = {"errorType": type(error).__name__, "errorMessage": str(error)}
    protocol.write(json.dumps(answer) + "\n")
    protocol.flush()
"""


class InvocationError(Exception):
    """The function raised, or its instance died: Lambda's "Unhandled" error."""


@dataclass
class FunctionConfig:
    """What the deployed template says about one function."""
    name: str
    handler: str
    runtime: str
    memory: int
    timeout: int
    environment: dict[str, str]
    code: bytes
    layers: list[bytes] = field(default_factory=list)


def interpreter(runtime: str) -> str:
    """The runtime's interpreter (`python3.11`) of this machine, outside any virtualenv."""
    for folder in ("/usr/bin", "/usr/local/bin", "/bin"):
        candidate = Path(folder) / runtime
        if candidate.exists():
            return str(candidate)
    base = Path(sys.base_prefix) / "bin" / runtime
    if base.exists():
        return str(base)
    raise FileNotFoundError(f"no {runtime} on this machine outside a virtualenv")


class PackagedFunction:
    """One instance of a packaged function (started by `start`, ended by `stop`)."""

    def __init__(self, config: FunctionConfig, aws_environment: dict[str, str]) -> None:
        self.config = config
        self._aws = aws_environment
        self._lock = threading.Lock()
        self._root = Path(tempfile.mkdtemp(prefix=f"lambda-{config.name}-", dir="/tmp"))
        self._process: subprocess.Popen | None = None
        self.init_seconds = 0.0

    def start(self) -> PackagedFunction:
        task, opt = self._root / "var" / "task", self._root / "opt"
        _unzip(self.config.code, task)
        for layer in self.config.layers:
            _unzip(layer, opt)
        version = self.config.runtime.removeprefix("python")
        layer_paths = [str(opt / "python"), str(opt / "python" / "lib" / f"python{version}" / "site-packages")]
        as_user = _lambda_user()
        _read_only(self._root)
        env = {
            **self.config.environment,
            **self._aws,
            "AWS_LAMBDA_FUNCTION_NAME": self.config.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.config.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.config.runtime}",
            "LAMBDA_TASK_ROOT": str(task),
            "LAMBDA_RUNTIME_DIR": str(task),
            "_HANDLER": self.config.handler,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "KAPI_REHEARSAL_LAYER_PATHS": os.pathsep.join(layer_paths),
            "KAPI_REHEARSAL_TIMEOUT": str(self.config.timeout),
        }
        extra = {"user": as_user, "group": pwd.getpwnam(as_user).pw_gid, "extra_groups": []} if as_user else {}
        self._process = subprocess.Popen(
            [interpreter(self.config.runtime), "-I", "-S", "-c", _BOOTSTRAP], cwd=task, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, text=True, encoding="utf-8",
            **extra)
        ready = self._read()
        self.init_seconds = float(ready.get("init_seconds", 0.0))
        return self

    def invoke(self, event: dict) -> dict:
        """The handler's answer to `event`; InvocationError when it raised or the instance is gone."""
        with self._lock:
            if self._process is None or self._process.stdin is None:
                raise InvocationError("the instance is not running")
            try:
                self._process.stdin.write(json.dumps(event) + "\n")
                self._process.stdin.flush()
            except BrokenPipeError:
                raise InvocationError("the instance died") from None
            answer = self._read()
        if "errorType" in answer:
            raise InvocationError(f"{answer['errorType']}: {answer['errorMessage']}")
        return answer["result"]

    def _read(self) -> dict:
        assert self._process is not None and self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait(timeout=10)
            raise InvocationError(f"the instance exited ({code}) during its init or an invocation")
        return json.loads(line)

    def stop(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if not self._root.exists():
            return
        for path in self._root.rglob("*"):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        self._root.chmod(0o755)
        shutil.rmtree(self._root, ignore_errors=True)


def _unzip(content: bytes, into: Path) -> None:
    """Unzips as Lambda does, keeping each file's mode from the zip."""
    into.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, into))
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                path.chmod(mode)


def _lambda_user() -> str | None:
    """The user the function runs as: `nobody` when this runs as root (for whom no mode bit stops a write)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None
    return "nobody"


def _read_only(root: Path) -> None:
    """Everything under `root` readable (and directories enterable) by the function, writable by nobody."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        executable = path.is_dir() or mode & stat.S_IXUSR
        path.chmod(0o555 if executable else 0o444)
