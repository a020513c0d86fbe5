"""The README's shell examples, run as a reader would run them, against a fresh `make run`.

Every `curl` and `ls` command of a ```bash block runs through bash, as written, with only the
addresses changed to this run's ports (8000 the app, 8001 its DynamoDB server); `make`, the fuzzing commands and the like are the suite itself.
A curl command must answer JSON that is not an error, or a CSV; `ls` must list something.
"""
import json
import re
import subprocess
import time

import pytest

from tests.stack import ROOT, LocalRun

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```bash\n(.*?)```", README, re.S)


def commands() -> list[str]:
    """The blocks' curl and ls commands, continuation lines joined, trailing comments dropped."""
    found = []
    for block in BLOCKS:
        for command in re.sub(r"\\\n\s*", "", block).splitlines():
            command = re.sub(r"\s+#[^'\"]*$", "", command).strip()
            if command.startswith(("curl ", "ls ")):
                found.append(command)
    return found


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """`make run` as a fresh reader has it: its own DynamoDB server, the demo event, data in `.kapi`."""
    home = tmp_path_factory.mktemp("reader")
    run = LocalRun(home / ".kapi", {"AWS_ENDPOINT_URL_DYNAMODB": "", "KAPI_TABLE_PREFIX": "kapi-local-",
                                    "KAPI_DEMO": "1", "KAPI_ADMIN_TOKEN": ""}).start()
    yield run, home
    run.stop()


def test_the_readme_has_shell_examples():
    assert any(c.startswith("curl ") and "registrations" in c for c in commands())


@pytest.mark.parametrize("command", commands(), ids=lambda c: " ".join(c.split()[:4])[:60])
def test_readme_command_works_as_written(readme_run, command):
    run, home = readme_run
    command = command.replace("http://127.0.0.1:8000", run.url).replace("http://127.0.0.1:8001",
                                                                         run.dynamodb_endpoint)
    for _ in range(50):  # the email worker writes the outbox a moment after the registration
        result = subprocess.run(["bash", "-c", command], cwd=home, capture_output=True, text=True, timeout=60)
        if result.returncode == 0 and result.stdout.strip() or command.startswith("curl "):
            break
        time.sleep(0.2)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), command
    if command.startswith("curl ") and not result.stdout.startswith("\ufeff"):
        answer = json.loads(result.stdout)
        assert "error" not in answer, answer
