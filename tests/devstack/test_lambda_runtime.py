"""A packaged function runs as Lambda runs it (devstack/lambda_runtime.py), behind the deployed API's
gateway (devstack/packaged_gateway.py): what `make rehearse` relies on to catch a package that works only
on this machine, and answers API Gateway would give instead of the function's."""
import io
import threading
import zipfile

import pytest
import requests

from devstack.lambda_runtime import FunctionConfig, InvocationError, PackagedFunction
from devstack.packaged_gateway import DeployedApi, make_server

HANDLER = '''
import os, sys
import helper  # from the layer

def handler(event, context):
    path = event.get("requestContext", {}).get("resourcePath")
    if event.get("raise"):
        raise ValueError("asked to fail")
    if path == "/big":
        return {"statusCode": 200, "headers": {}, "body": "x" * (7 * 1024 * 1024), "isBase64Encoded": False}
    if path == "/bytes":
        return {"statusCode": 200, "headers": {"Content-Type": "application/wasm"},
                "body": base64.b64encode(b"\\0asm\\1\\0\\0\\0").decode(), "isBase64Encoded": True}
    if path:
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                "body": base64.b64encode(json.dumps({"ip": event["requestContext"]["identity"]["sourceIp"]}).encode()
                                         ).decode(), "isBase64Encoded": True}
    def writes(path):
        try:
            with open(path, "w") as f:
                f.write("x")
            return True
        except OSError:
            return False
    try:
        import pytest  # in the virtualenv running the tests, not in the package
        venv = True
    except ImportError:
        venv = False
    return {"helper": helper.VALUE, "setting": os.environ.get("KAPI_SETTING"), "venv": venv,
            "writes_code": writes(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "new.txt")),
            "writes_tmp": writes("/tmp/kapi-runtime-test-%d" % os.getpid()),
            "remaining_ms": context.get_remaining_time_in_millis(), "name": context.function_name}
'''.replace('import os, sys', 'import base64, json, os, sys')


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def function():
    config = FunctionConfig(
        name="kapi-test-fn", handler="app.handler", runtime="python3.11", memory=512, timeout=29,
        environment={"KAPI_SETTING": "from the template"}, code=_zip({"app.py": HANDLER}),
        layers=[_zip({"python/lib/python3.11/site-packages/helper.py": "VALUE = 'layer'\n"})])
    instance = PackagedFunction(config, {"AWS_REGION": "eu-central-1"}).start()
    yield instance
    instance.stop()


def test_the_function_sees_only_its_package_the_templates_settings_and_a_writable_tmp(function):
    answer = function.invoke({})

    assert answer["helper"] == "layer" and answer["setting"] == "from the template"
    assert answer["venv"] is False  # the test's virtualenv is not on the function's path
    assert answer["writes_code"] is False and answer["writes_tmp"] is True
    assert answer["name"] == "kapi-test-fn" and 0 < answer["remaining_ms"] <= 29_000


def test_a_handler_that_raises_is_an_invocation_error_and_the_instance_goes_on(function):
    with pytest.raises(InvocationError, match="ValueError: asked to fail"):
        function.invoke({"raise": True})
    assert function.invoke({})["helper"] == "layer"


@pytest.fixture(scope="module")
def gateway(function):
    definition = {"paths": {"/big": {"get": {}}, "/bytes": {"get": {}}, "/ip": {"get": {}}},
                  "x-amazon-apigateway-binary-media-types": ["*/*"]}
    server = make_server(DeployedApi(definition, function), "/dev")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server.server_address[:2]
    yield f"http://{host}:{port}/dev"
    server.shutdown()
    server.server.server_close()


def test_the_gateway_answers_as_api_gateway_in_front_of_the_packaged_function(gateway):
    wasm = requests.get(f"{gateway}/bytes", headers={"Accept": "*/*"}, timeout=30)
    assert wasm.status_code == 200 and wasm.content == b"\0asm\1\0\0\0"

    assert requests.get(f"{gateway}/ip", timeout=30).json() == {"ip": "127.0.0.1"}  # sourceIp, as AWS sets it

    too_big = requests.get(f"{gateway}/big", timeout=60)
    assert too_big.status_code == 502 and too_big.json()["error"] == "internal_error"

    # A method the deployed API does not have is API Gateway's own answer (the stack's 404), not the app's.
    wrong_method = requests.delete(f"{gateway}/ip", timeout=30)
    assert wrong_method.status_code == 404 and wrong_method.json()["error"] == "not_found"
    assert requests.get(f"{gateway[:-4]}/ip", timeout=30).status_code == 404  # outside the stage
