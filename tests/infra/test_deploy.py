"""`make deploy`: the dry run works offline and refuses placeholders; the upload step against S3.

The CloudFormation change set itself needs AWS (no local server runs SAM's transform); its inputs,
the uploaded code and template, are checked here against moto's S3 server.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra import deploy
from infra.stages import PROJECT_DIR, load_stage

# No AWS anywhere: a call the dry run made would fail to connect.
OFFLINE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}


def _run(*args, cwd=PROJECT_DIR):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, env={**os.environ, **OFFLINE})


def test_the_dry_run_of_the_committed_config_prints_the_plan_and_refuses_its_placeholders():
    venv = os.path.dirname(os.path.dirname(sys.executable))
    result = _run("make", "-s", "-o", f"{venv}/.installed", f"VENV={venv}", "deploy", "STAGE=dev", "DRY_RUN=1")

    assert result.returncode != 0
    assert "stack kapi-dev" in result.stdout and "kapi-dev-api_handler:" in result.stdout
    assert "Refusing to deploy" in result.stderr
    assert "KAPI_MAIL_FROM" in result.stderr and "KAPI_PUBLIC_URL" in result.stderr


@pytest.fixture
def own_project(tmp_path):
    """A project whose dev stage has the organiser's own sender and address."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text(encoding="utf-8"))
    config["stages"]["dev"]["environment_variables"].update({
        "KAPI_MAIL_FROM": "Kapı <bilet@kardes-sehir.izmir.bel.tr>", "KAPI_PUBLIC_URL": "https://kapi.izmir.bel.tr"})
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return tmp_path


def test_the_dry_run_with_own_values_lists_what_it_would_create_and_touches_nothing(own_project):
    result = _run(sys.executable, "-m", "infra.deploy", "--stage", "dev", "--dry-run", "--project-dir", str(own_project))

    assert result.returncode == 0, result.stderr
    assert "AWS::DynamoDB::Table RegistrationTable" in result.stdout
    assert "kapi-dev-erase_expired_personal_data: dynamodb:DeleteItem" in result.stdout
    assert "sender Kapı <bilet@kardes-sehir.izmir.bel.tr>" in result.stdout
    assert result.stdout.rstrip().endswith("Dry run: nothing was created.")


@pytest.mark.parametrize("value, placeholder", [
    ("Kapı <tickets@kapi.example.org>", True), ("https://example.com", True), ("x@kapi.invalid", True),
    ("Kapı <bilet@izmir.bel.tr>", False), ("https://kapi.baku.az", False), ("bilet@myexample.org", False)])
def test_placeholders_are_the_reserved_example_names(value, placeholder):
    stage = load_stage("dev")
    stage = type(stage)(**{**stage.__dict__, "environment": {**stage.environment, "KAPI_MAIL_FROM": value,
                                                           "KAPI_PUBLIC_URL": "https://kapi.baku.az"}})
    assert bool(deploy.placeholders(stage)) is placeholder


@pytest.fixture
def s3():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="eu-central-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    server.stop()


def test_upload_puts_the_zips_under_their_hash_and_points_the_template_at_them(s3, tmp_path):
    build = tmp_path / "dev"
    build.mkdir()
    for name in deploy.ZIPS:
        with zipfile.ZipFile(build / name, "w") as archive:
            archive.writestr("app.py", f"# {name}\n")
    shutil.copy(PROJECT_DIR / "tests" / "infra" / "sam-sample.json", build / "sam.json")
    deploy.ensure_bucket(s3, "kapi-dev-artifacts", "eu-central-1")

    uploaded = deploy.upload_artifacts(s3, "kapi-dev-artifacts", build, "kapi-dev")

    resources = uploaded["template"]["Resources"]
    code = resources["APIHandler"]["Properties"]["CodeUri"]
    assert code["Key"] == f"kapi-dev/{hashlib.sha256((build / 'deployment.zip').read_bytes()).hexdigest()}.zip"
    assert s3.get_object(Bucket=code["Bucket"], Key=code["Key"])["Body"].read() == (build / "deployment.zip").read_bytes()
    assert resources["ManagedLayer"]["Properties"]["ContentUri"]["Key"].endswith(".zip")
    key = uploaded["url"].split(".s3.amazonaws.com/")[1]
    assert json.loads(s3.get_object(Bucket="kapi-dev-artifacts", Key=key)["Body"].read()) == uploaded["template"]
    assert s3.get_public_access_block(Bucket="kapi-dev-artifacts")["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]
