"""`make package`: the real `chalice package` with the merge template, then cfn-lint.

The first run downloads Lambda-compatible wheels (Chalice caches them in .chalice/deployments/ and
later runs take seconds). Off CI and offline that download fails, and the test is skipped; in CI
(the CI variable set) it always runs.
"""
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chalicelib.common import clock
from chalicelib.storage.models import ALL_MODELS
from infra import checkov, policies, runtime, template
from infra.stages import PROJECT_DIR

VENV = Path(sys.executable).parent.parent
# Chalice picks wheels for the glibc of the Lambda runtime matching this interpreter (2.26 for 3.11).
RUNTIME_GLIBC = (2, 26) if sys.version_info < (3, 12) else (2, 34)
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def _package(stage: str, build: Path) -> subprocess.CompletedProcess:
    # -o: the venv running this test is the one to use, whatever make thinks of its install stamp.
    return subprocess.run(
        ["make", "-s", "-o", f"{VENV}/.installed", "package", f"VENV={VENV}", f"STAGE={stage}", f"BUILD={build}"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900)


def _offline(tmp_path: Path) -> bool:
    probe = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--quiet",
                            "--retries", "0", "--dest", str(tmp_path / "probe"), "pypng==0.20220715.0"],
                           capture_output=True, timeout=120)
    return probe.returncode != 0


def _runtime_supported() -> bool:
    return runtime.check(runtime.current(), clock.now().date())[0]


@pytest.fixture(scope="module", params=["dev", "prod"])
def packaged(request, tmp_path_factory):
    if not _runtime_supported():
        pytest.skip(f"{runtime.current()} is deprecated on Lambda: packaging is refused (tested below)")
    build = tmp_path_factory.mktemp("build")
    result = _package(request.param, build)
    if result.returncode != 0 and not os.environ.get("CI") and _offline(build):
        pytest.skip("no network to download the Lambda wheels, and not in CI")
    assert result.returncode == 0, result.stdout + result.stderr  # cfn-lint findings show here
    return build / request.param


@pytest.fixture(scope="module")
def sam(packaged):
    return json.loads((packaged / "sam.json").read_text())


@pytest.mark.skipif(_runtime_supported(), reason="this interpreter's runtime is still supported")
def test_packaging_for_a_deprecated_runtime_is_refused_before_anything_is_built(tmp_path):
    result = _package("dev", tmp_path)
    assert result.returncode != 0 and "deprecated on Lambda" in result.stderr
    assert not (tmp_path / "dev").exists()


def test_the_merged_stack_has_the_tables_the_stream_mapping_and_the_dead_letter_queue(sam):
    resources = sam["Resources"]
    types = [r["Type"] for r in resources.values()]

    assert types.count("AWS::DynamoDB::Table") == len(ALL_MODELS)
    assert resources["OutboxStreamMapping"]["Properties"]["FunctionName"] == {"Ref": "OutboxStream"}
    assert resources["OutboxStream"]["Properties"]["Handler"] == "chalicelib.routes.tasks.outbox_stream"
    assert resources["OutboxDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"
    assert resources["RestAPI"]["Type"] == "AWS::Serverless::Api"
    assert "GatewayResponses" in resources["RestAPI"]["Properties"]


def test_every_merged_resource_extends_one_chalice_made_or_is_complete(sam):
    # A merge into a logical id Chalice no longer makes would leave a resource without a type.
    assert [name for name, r in sam["Resources"].items() if "Type" not in r] == []


def test_the_api_log_group_names_the_api_function(sam):
    assert sam["Resources"]["ApiHandlerLogGroup"]["Properties"]["LogGroupName"] == {
        "Fn::Sub": "/aws/lambda/${APIHandler}"}


def test_each_function_gets_its_own_policy_and_no_generated_one(sam, packaged):
    for function in policies.FUNCTIONS:
        policy = json.loads(policies.policy_file(packaged.name, function).read_text())
        role = sam["Resources"][f"{template.logical_id(function).replace('APIHandler', 'ApiHandler')}Role"]
        assert role["Properties"]["Policies"][0]["PolicyDocument"] == policy, function


def test_every_compiled_dependency_is_a_manylinux_wheel_the_lambda_runtime_can_load(packaged):
    # A dependency without such a wheel is compiled on this machine against its libraries
    # (tagged linux_x86_64), and fails to import on Lambda.
    with zipfile.ZipFile(packaged / "layer-deployment.zip") as layer:
        tags = {name.split("/")[-2]: re.findall(r"^Tag: (.+)$", layer.read(name).decode(), re.M)
                for name in layer.namelist() if name.endswith(".dist-info/WHEEL")}

    assert "cryptography-50.0.2.dist-info" in tags
    unloadable = {dist: t for dist, t in tags.items() if not any(_loadable(tag) for tag in t)}
    assert unloadable == {}


def _loadable(tag: str) -> bool:
    platform = tag.split("-")[-1]
    if platform == "any":
        return True
    match = re.match(r"manylinux_(\d+)_(\d+)_x86_64$", platform)
    if match:
        return (int(match[1]), int(match[2])) <= RUNTIME_GLIBC
    return _LEGACY_MANYLINUX.get(platform.removesuffix("_x86_64"), (99, 0)) <= RUNTIME_GLIBC


def test_every_function_runs_on_the_runtime_of_the_interpreter_that_packaged_it(sam):
    functions = [r for r in sam["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert functions and {f["Properties"]["Runtime"] for f in functions} == {runtime.current()}


@pytest.mark.parametrize("zip_name", ["deployment.zip", "layer-deployment.zip"])
def test_the_zips_hold_unchecked_bytecode_for_every_module(packaged, zip_name):
    # Lambda's file system is read-only: a module without its .pyc is compiled at every cold start.
    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(packaged / zip_name) as archive:
        names = set(archive.namelist())
        sources = [n for n in names if n.endswith(".py") and "/tests/" not in n]
        missing = [n for n in sources if _pyc(n, tag) not in names]
        flags = {int.from_bytes(archive.read(_pyc(n, tag))[4:8], "little") for n in sources[:50]}
    assert sources and missing == []
    assert flags == {0b01}  # hash-based, unchecked (PEP 552)


def _pyc(source: str, tag: str) -> str:
    folder, _, name = source.rpartition("/")
    return f"{folder + '/' if folder else ''}__pycache__/{name[:-3]}.{tag}.pyc"


# Accept headers browsers send for an <img>; API Gateway decodes a base64 body into bytes only when
# the FIRST type listed is one of the API's binary media types.
BROWSER_IMAGE_ACCEPT = {
    "chromium": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    "firefox": "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
    "safari": "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
}


@pytest.mark.parametrize("browser", sorted(BROWSER_IMAGE_ACCEPT))
def test_the_packaged_api_sends_a_qr_png_as_bytes_to_every_browser(sam, browser):
    first = BROWSER_IMAGE_ACCEPT[browser].split(",")[0].split(";")[0]
    definition = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert first in definition["x-amazon-apigateway-binary-media-types"]


def test_checkov_finds_nothing_but_the_accepted_findings_each_with_its_reason(packaged):
    # make package already failed on any other finding; this shows checkov really ran and read the stack.
    checkov_python = PROJECT_DIR / ".venv-checkov" / "bin" / "python"
    listed = subprocess.run(
        [str(checkov_python), "-c", "import json, sys; from infra.checkov import findings; "
         "print(json.dumps(sorted({f['check_id'] for f in findings(sys.argv[1])})))", str(packaged / "sam.json")],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=600)
    found = set(json.loads(listed.stdout))
    assert found and found <= set(checkov.ACCEPTED)
    assert all(len(reason) > 60 for reason in checkov.ACCEPTED.values())
