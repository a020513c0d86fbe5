"""The AWS stand-in of `make rehearse` (SPEC §12): moto's server, with what CloudFormation does that moto's
CloudFormation does not, so that `make deploy` runs against it unchanged.

    python -m devstack.aws_standin --port 4566      # then: AWS_ENDPOINT_URL=http://127.0.0.1:4566 make deploy

moto's server answers S3, CloudFormation, SSM, SQS, SES, DynamoDB, IAM, Lambda, CloudWatch, EventBridge
and Logs for any account on 127.0.0.1 only. Added here, in this process only (moto itself is not changed):

- the SAM transform (`Transform: AWS::Serverless-2016-10-31`), done as CloudFormation does it when a
  change set or a stack is created, with aws-sam-translator, AWS's own implementation of the transform;
  the stack keeps the processed template, as CloudFormation's `get_template(TemplateStage=Processed)` does;
- an `AWS::ApiGateway::RestApi` with an OpenAPI `Body` (what the transform makes of Chalice's API): its
  name, paths, methods and binary media types read from the body, as API Gateway imports it (moto's
  takes only a `Name`, and then refuses the `Deployment` of an API without methods);
- an update whose parameters and processed template equal the stack's is a change set without changes,
  as in CloudFormation (moto compares the parameters with those the stack was first created with);
- a function updated by a stack keeps its layers (moto passes the layer's object where CloudFormation
  passes its ARN, and fails);
- DynamoDB stream records are not handed to a function (moto would start Docker, which is not here);
- `DeletionPolicy: RetainExceptOnCreate` (moto knows only `Retain`): kept when the stack is deleted,
  deleted when a failed create rolls back;
- a change set whose execution fails while creating a stack leaves the stack `ROLLBACK_COMPLETE`, with
  what was created deleted again and a `CREATE_FAILED` event saying why, as CloudFormation rolls back
  (moto raises the error to the caller and leaves the stack half made).

What neither moto nor this adds (IAM evaluation, API Gateway's own throttling, Lambda's concurrency, mail
delivery, ...) is listed in the README, "What the rehearsal cannot check", with how each is covered.
"""
from __future__ import annotations

import argparse
import functools
import json
import logging
import threading
from typing import Any

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LOG = logging.getLogger(__name__)
_patched = threading.Lock()
_done: list[bool] = []


def sam_transform(template: dict, parameters: dict[str, str], region: str, account: str) -> dict:
    """The CloudFormation template CloudFormation makes of a SAM template (the transform's own code)."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        """The functions' roles are the stack's own; no policy is looked up by name (Chalice's SAM names none)."""

        def load(self) -> dict[str, str]:
            return {}

    values = {**parameters, "AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws"}
    return transform(json.loads(json.dumps(template)), values, NoManagedPolicies())  # type: ignore[arg-type]


def install() -> None:
    """Adds CloudFormation's behaviour above to moto's backends in this process (once)."""
    with _patched:
        if _done:
            return
        _patch_transform()
        _patch_rest_api()
        _patch_rollback()
        _patch_unchanged()
        _patch_layer_refs()
        _patch_stream_delivery()
        _patch_deletion_policy()
        # The transform's metrics (timings of its IAM calls) are published nowhere here.
        logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)
        _done.append(True)


def _patch_transform() -> None:
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.create_change_set

    @functools.wraps(original)
    def create_change_set(self: Any, stack_name: str, change_set_name: str, template: str,
                          parameters: dict[str, str], *args: Any, **kwargs: Any) -> Any:
        return original(self, stack_name, change_set_name, _processed(self, template, parameters),
                        parameters, *args, **kwargs)

    CloudFormationBackend.create_change_set = create_change_set  # type: ignore[method-assign]
    original_create = CloudFormationBackend.create_stack

    @functools.wraps(original_create)
    def create_stack(self: Any, name: str, template: str, parameters: dict[str, str], *args: Any,
                     **kwargs: Any) -> Any:
        return original_create(self, name, _processed(self, template, parameters), parameters, *args, **kwargs)

    CloudFormationBackend.create_stack = create_stack  # type: ignore[method-assign]


def _processed(backend: Any, template: str, parameters: dict[str, str]) -> str:
    try:
        document = json.loads(template)
    except (TypeError, ValueError):
        return template  # YAML or nothing: passed on as it came
    if document.get("Transform") != SAM_TRANSFORM:
        return template
    return json.dumps(sam_transform(document, parameters, backend.region_name, backend.account_id))


def _patch_rest_api() -> None:
    from moto.apigateway.models import RestAPI, apigateway_backends

    original = RestAPI.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: dict, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        properties = cloudformation_json["Properties"]
        body = properties.get("Body")
        if body and "Name" not in properties:
            properties = {**properties, "Name": body["info"]["title"]}
            cloudformation_json = {**cloudformation_json, "Properties": properties}
        api = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        if body:
            _import_body(apigateway_backends[account_id][region_name], api, body)
        return api

    RestAPI.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment]


def _import_body(backend: Any, api: Any, body: dict) -> None:
    """Paths and methods of an OpenAPI 2 body (Chalice's), and its binary media types."""
    api.binaryMediaTypes = list(body.get("x-amazon-apigateway-binary-media-types", []))
    for path in sorted(body.get("paths", {})):
        parent = api.get_resource_for_path("/")
        walked = ""
        for part in [p for p in path.split("/") if p]:
            walked += "/" + part
            resource = api.get_resource_for_path(walked)
            if resource is None:
                resource = backend.create_resource(function_id=api.id, parent_resource_id=parent.id, path_part=part)
            parent = resource
        for method, operation in body["paths"][path].items():
            if method.startswith("x-"):
                continue
            backend.put_method(function_id=api.id, resource_id=parent.id, method_type=method.upper(),
                               authorization_type="NONE")
            integration = operation.get("x-amazon-apigateway-integration", {})
            backend.put_integration(function_id=api.id, resource_id=parent.id, method_type=method.upper(),
                                    integration_type=integration.get("type", "aws_proxy").upper(),
                                    uri=str(integration.get("uri", "")),
                                    integration_method=integration.get("httpMethod", "POST"))


def _patch_rollback() -> None:
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set

    @functools.wraps(original)
    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.describe_change_set(change_set_name)
        if change_set.change_set_type != "CREATE":
            return original(self, change_set_name, stack_name)
        try:
            return original(self, change_set_name, stack_name)
        except Exception as error:  # noqa: BLE001 - any resource's failure fails the stack, as in AWS
            stack = self.stacks[change_set.stack_id]
            stack._add_stack_event("CREATE_FAILED", resource_status_reason=f"{type(error).__name__}: {error}")
            stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason="The following resource(s) "
                                   "failed to create. Rollback requested by user.")
            try:
                stack.resource_map.delete(keep=("Retain",))  # RetainExceptOnCreate: deleted on a failed create
            except Exception:  # noqa: BLE001 - what cannot be deleted stays, as in a ROLLBACK_FAILED
                LOG.exception("rollback of %s left resources", stack.name)
            stack.status = "ROLLBACK_COMPLETE"
            stack._add_stack_event("ROLLBACK_COMPLETE")
            change_set.execution_status = "EXECUTE_FAILED"
            return None

    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]


def _patch_unchanged() -> None:
    """An update whose parameters all have the values the stack has is no change, however they were
    given (a value, or UsePreviousValue); moto compares them with what the stack was created with."""
    from moto.cloudformation.models import Stack

    def has_parameters(self: Any, other_parameters: dict[str, Any]) -> bool:
        return all(self.stack_parameters.get(key) == value for key, value in other_parameters.items())

    Stack.has_parameters = has_parameters  # type: ignore[method-assign]


def _patch_layer_refs() -> None:
    """A function updated by a stack keeps its layers: moto hands the update the layer's object where
    CloudFormation gives its ARN (`Ref` of an AWS::Lambda::LayerVersion)."""
    from moto.awslambda.models import LambdaFunction, LayerVersion

    original = LambdaFunction._get_layers_data

    def _get_layers_data(self: Any, layers_versions_arns: list[Any]) -> Any:
        return original(self, [layer.arn if isinstance(layer, LayerVersion) else layer
                               for layer in layers_versions_arns])

    LambdaFunction._get_layers_data = _get_layers_data  # type: ignore[method-assign]


def _patch_stream_delivery() -> None:
    """Stream records are not delivered to functions: moto would start a Docker container for each
    batch (none here). The outbox stream's consumer is run by the rehearsal itself, or not at all
    (README, "What the rehearsal cannot check")."""
    from moto.awslambda.models import LambdaBackend

    def send_dynamodb_items(self: Any, function_arn: str, items: list[Any], source: str) -> None:
        return None

    LambdaBackend.send_dynamodb_items = send_dynamodb_items  # type: ignore[method-assign,assignment]


def _patch_deletion_policy() -> None:
    """DeletionPolicy as CloudFormation reads it: a stack's delete keeps `Retain` and
    `RetainExceptOnCreate` resources; the rollback of a failed create keeps only `Retain` ones (moto
    knows only `Retain`, and deletes a `RetainExceptOnCreate` table with its stack)."""
    from moto.cloudformation.parsing import ResourceMap

    def delete(self: Any, keep: tuple[str, ...] = ("Retain", "RetainExceptOnCreate")) -> None:
        remaining = {key for key, value in self._resource_json_map.items() if value.get("DeletionPolicy") not in keep}
        last_error: Exception | None = None
        while remaining:  # dependencies first: what fails is tried again while something else went
            progressed = False
            for logical_id in sorted(remaining):
                parsed = self._parsed_resources.get(logical_id)
                try:
                    if parsed is not None and not isinstance(parsed, str):
                        self._delete_resource(parsed, self._resource_json_map[logical_id])
                        self._parsed_resources.pop(logical_id)
                except Exception as error:  # noqa: BLE001 - a dependency still there; next pass
                    last_error = error
                else:
                    remaining.discard(logical_id)
                    progressed = True
            if not progressed:
                raise last_error or RuntimeError(f"cannot delete {sorted(remaining)}")

    ResourceMap.delete = delete  # type: ignore[method-assign]


def start(port: int = 0) -> tuple[Any, str]:
    """moto's server on 127.0.0.1 with the additions above; returns it and its endpoint URL."""
    from moto.server import ThreadedMotoServer

    install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.aws_standin", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    server, endpoint = start(args.port)
    print(f"AWS stand-in at {endpoint}: AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=local "
          "AWS_SECRET_ACCESS_KEY=local make deploy STAGE=dev", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
