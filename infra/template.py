"""The CloudFormation that `chalice package --merge-template` adds to Chalice's SAM output.

Chalice builds the functions, their roles and the REST API. This adds what it cannot express:

- one DynamoDB table per pynamodb model, with keys and indexes read from the model classes, so
  chalicelib/storage/models.py stays the only declaration of them (the local run creates its
  tables from the same classes). Every table is on-demand, with point-in-time recovery and
  encryption, TTL where chalicelib/storage/tables.py declares it, and deletion protection on prod;
- the outbox table's stream, wired to the `outbox_stream` function by an EventSourceMapping.
  `@app.on_dynamodb_record` needs a literal stream ARN and cannot ask for partial-batch responses,
  so the mapping is made here: INSERTs only, failed items reported one by one, bounded retries,
  batches bisected on error, and what still fails is recorded in a dead-letter queue. Nothing is
  lost there: the message stays pending in the outbox and the retry schedule sends it;
- alarms, the SES sender identity, gateway responses in the spec's error shape for what API
  Gateway answers itself (unknown routes among them), and a fix for Chalice's API handler log group.

    python -m infra.template --stage dev --output build/dev-extras.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chalice.utils import to_cfn_resource_name
from pynamodb.models import Model

from chalicelib.storage.models import ALL_MODELS, OutboxMessage
from chalicelib.storage.tables import TTL_ATTRIBUTES, short_name
from infra.policies import FUNCTIONS, function_name
from infra.stages import Stage, load_stage

PROTECTED_STAGES = frozenset({"prod"})
# On protected stages the tables' deletion protection is a parameter: `make deploy` creates the stack
# with it off (so that a failed first create can roll the new tables back) and turns it on at once
# after the create succeeds; later deploys keep it on (infra/deploy.py).
PROTECT_PARAMETER = "TableDeletionProtection"
PROTECT_CONDITION = "ProtectTables"
STREAM_MODEL = OutboxMessage
STREAM_FUNCTION = to_cfn_resource_name("outbox_stream")
DEAD_LETTER_QUEUE = "OutboxDeadLetterQueue"
# Chalice names the API function "APIHandler" but its log group's Fn::Sub says "${ApiHandler}"
# (aws/chalice#2079), which fails to deploy; the merge replaces that one string.
API_LOG_GROUP = to_cfn_resource_name("api_handler") + "LogGroup"
# A stream batch is retried this often (halved each time by bisection) before it is given up.
STREAM_RETRIES = 3
# Older records are skipped by the stream consumer; the retry schedule has long since sent them.
STREAM_MAX_RECORD_AGE_SECONDS = 3600
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
# Public registration through API Gateway, per second, before the app's own per-address limit:
# above SPEC §11's opening burst the gateway answers 429 itself instead of starting more functions.
REGISTRATION_RATE_LIMIT = 5000
REGISTRATION_BURST_LIMIT = 5000
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "time": "$context.requestTime", "method": "$context.httpMethod",
    "route": "$context.resourcePath", "status": "$context.status", "latencyMs": "$context.responseLatency",
    "error": "$context.error.responseType", "integrationError": "$context.integration.error"})
# The retention run is a legal duty (KVKK/GDPR): an hour without one is worth a page.
RETENTION_FUNCTION = "erase_expired_personal_data"


def logical_id(function: str) -> str:
    """Chalice's logical id of a function's resource (the API's is fixed)."""
    return "APIHandler" if function == "api_handler" else to_cfn_resource_name(function)


def build(stage: Stage) -> dict:
    """The whole merge template for one stage."""
    protect = stage.name in PROTECTED_STAGES
    resources = {table_logical_id(model): table(model, stage.table_prefix + short_name(model), protect)
                 for model in ALL_MODELS}
    resources.update(outbox_stream(stage))
    resources.update(alarms(stage))
    resources["SenderIdentity"] = {
        "Type": "AWS::SES::EmailIdentity",
        "Condition": "HasSenderDomain",
        "Properties": {"EmailIdentity": {"Ref": "SenderDomain"},
                       "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"}},
    }
    resources["RestAPI"] = {"Properties": {"GatewayResponses": gateway_responses(),
                                           "MethodSettings": method_settings(),
                                           "AccessLogSetting": {"DestinationArn":
                                                                {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]},
                                                                "Format": ACCESS_LOG_FORMAT}}}
    resources["ApiAccessLogs"] = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": f"/aws/apigateway/{stage.app_name}-{stage.name}-access",
                       "RetentionInDays": stage.log_retention_in_days or 14},
    }
    # Fixed function names, so that each function's policy can name its own log group whatever
    # the stack is called.
    for function in FUNCTIONS:
        resources.setdefault(logical_id(function), {}).setdefault("Properties", {})["FunctionName"] = \
            function_name(stage, function)
    if stage.log_retention_in_days:
        resources[API_LOG_GROUP] = {"Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${APIHandler}"}}}
    parameters: dict = {}
    conditions: dict = {}
    if protect:
        parameters[PROTECT_PARAMETER] = {
            "Type": "String", "AllowedValues": ["true", "false"], "Default": "true",
            "Description": "DynamoDB deletion protection on the data tables (make deploy: off only while "
                           "the stack is first created)."}
        conditions[PROTECT_CONDITION] = {"Fn::Equals": [{"Ref": PROTECT_PARAMETER}, "true"]}
    return {
        "Parameters": {
            **parameters,
            "SenderDomain": {
                "Type": "String",
                "Default": stage.sender_domain,
                "Description": "Domain (or address) that SES sends from, verified by this stack with "
                               "Easy DKIM; empty when the identity is managed elsewhere.",
            },
            "AlarmTopicArn": {
                "Type": "String",
                "Default": "",
                "Description": "SNS topic the alarms notify; empty for none.",
            },
        },
        "Conditions": {
            **conditions,
            "HasSenderDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "SenderDomain"}, ""]}]},
            "HasAlarmTopic": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]},
        },
        "Resources": resources,
        "Outputs": {
            "OutboxDeadLetterQueueUrl": {"Value": {"Ref": DEAD_LETTER_QUEUE}},
            **{f"SenderDkimRecord{n}": {
                "Condition": "HasSenderDomain",
                "Description": "CNAME record to publish in DNS for SES Easy DKIM",
                "Value": {"Fn::Sub": f"${{SenderIdentity.DkimDNSTokenName{n}}} CNAME "
                                     f"${{SenderIdentity.DkimDNSTokenValue{n}}}"},
            } for n in (1, 2, 3)},
        },
    }


def table_logical_id(model: type[Model]) -> str:
    return f"{model.__name__}Table"


def table(model: type[Model], table_name: str, protect: bool) -> dict:
    """An AWS::DynamoDB::Table with the model's keys and indexes."""
    schema = model._get_schema()  # what pynamodb's own create_table sends: the model as DynamoDB sees it
    definitions = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
    properties = {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": kind}
                                 for name, kind in sorted(definitions.items())],
        "KeySchema": _hash_first(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "DeletionProtectionEnabled": {"Fn::If": [PROTECT_CONDITION, True, False]} if protect else False,
    }
    for kind, key in (("GlobalSecondaryIndexes", "global_secondary_indexes"),
                      ("LocalSecondaryIndexes", "local_secondary_indexes")):
        if schema[key]:
            properties[kind] = [{"IndexName": index["index_name"], "KeySchema": _hash_first(index["key_schema"]),
                                 "Projection": index["projection"]} for index in schema[key]]
    ttl_attribute = TTL_ATTRIBUTES.get(short_name(model))
    if ttl_attribute:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl_attribute, "Enabled": True}
    if model is STREAM_MODEL:
        properties["StreamSpecification"] = {"StreamViewType": "NEW_IMAGE"}
    resource = {"Type": "AWS::DynamoDB::Table", "Properties": properties}
    if protect:
        # Kept when the stack is deleted or the table replaced, but not when the stack's first create
        # fails and rolls back: those tables are new and empty, and kept ones would block the rerun
        # ("already exists").
        resource["DeletionPolicy"] = "RetainExceptOnCreate"
        resource["UpdateReplacePolicy"] = "Retain"
    return resource


def _hash_first(key_schema: list[dict]) -> list[dict]:
    """DynamoDB wants the HASH key first; pynamodb lists index keys in attribute order."""
    return sorted(({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema),
                  key=lambda k: k["KeyType"] != "HASH")


def outbox_stream(stage: Stage) -> dict:
    return {
        DEAD_LETTER_QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": dead_letter_queue_name(stage),
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
        "OutboxStreamMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": {"Ref": STREAM_FUNCTION},
                "EventSourceArn": {"Fn::GetAtt": [table_logical_id(STREAM_MODEL), "StreamArn"]},
                # The stream keeps 24 h; starting there is safe because a delivery first claims its
                # message with a condition, so a replayed record of a sent message does nothing.
                "StartingPosition": "TRIM_HORIZON",
                "BatchSize": 10,
                "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "MaximumRetryAttempts": STREAM_RETRIES,
                "BisectBatchOnFunctionError": True,
                "MaximumRecordAgeInSeconds": STREAM_MAX_RECORD_AGE_SECONDS,
                "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [DEAD_LETTER_QUEUE, "Arn"]}}},
            },
        },
    }


def dead_letter_queue_name(stage: Stage) -> str:
    """Fixed rather than generated, so that the stage's IAM policy file can name it."""
    return f"{stage.table_prefix}outbox-stream-dlq"


def alarms(stage: Stage) -> dict:
    prefix = f"{stage.app_name}-{stage.name}"
    return {
        "OutboxDeadLetterAlarm": _alarm(
            f"{prefix}-outbox-dead-letters",
            "The outbox stream consumer gave up on a batch. The emails are still sent by the retry "
            "schedule; look at the outbox_stream logs for why.",
            "AWS/SQS", "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": [DEAD_LETTER_QUEUE, "QueueName"]}}, "Maximum", 1),
        "ApiServerErrorsAlarm": _alarm(
            f"{prefix}-api-5xx",
            "The API answered 5xx at least 5 times in 5 minutes: the api_handler function failed or "
            "timed out.",
            "AWS/ApiGateway", "5XXError",
            {"ApiName": stage.app_name, "Stage": stage.api_gateway_stage}, "Sum", 5),
        **{f"{logical_id(function)}ErrorsAlarm": _alarm(
            f"{prefix}-{function}-errors".replace("_", "-"),
            f"The {function} function crashed or timed out. {FUNCTION_ERRORS[function]}",
            "AWS/Lambda", "Errors", {"FunctionName": {"Ref": logical_id(function)}}, "Sum", 1)
           for function in FUNCTIONS},
        **{f"{logical_id(function)}ThrottlesAlarm": _alarm(
            f"{prefix}-{function}-throttles".replace("_", "-"),
            f"Lambda refused to start the {function} function (account or reserved concurrency "
            "exhausted): requests failed or events wait.",
            "AWS/Lambda", "Throttles", {"FunctionName": {"Ref": logical_id(function)}}, "Sum", 1)
           for function in FUNCTIONS},
        "RetentionMissedAlarm": _missed_run_alarm(prefix),
        **{f"{table_logical_id(model)}ThrottlesAlarm": _throttle_alarm(prefix, model) for model in ALL_MODELS},
    }


FUNCTION_ERRORS = {
    "api_handler": "Requests answered 502/504 instead of the app's own errors.",
    "outbox_stream": "Single messages that fail to send are retried without counting here.",
    "retry_emails": "Due emails and retries wait until it runs again.",
    RETENTION_FUNCTION: "Personal data due for erasure stays until a run succeeds: a legal duty.",
}


def _throttle_alarm(prefix: str, model: type[Model]) -> dict:
    """DynamoDB throttled reads or writes on one table: requests were retried and may have ended 503."""
    name = short_name(model)
    alarm = _alarm(f"{prefix}-dynamodb-{name}-throttles",
                   f"DynamoDB throttled requests on the {name} table: a hot item or partition. Requests "
                   "were retried and may have been answered 503.", "AWS/DynamoDB", "", {}, "Sum", 1)
    properties = alarm["Properties"]
    for key in ("Namespace", "MetricName", "Dimensions", "Statistic", "Period"):
        del properties[key]
    table_name = {"Ref": table_logical_id(model)}
    properties["Metrics"] = [
        {"Id": "throttles", "Expression": "reads + writes", "Label": "throttled requests", "ReturnData": True},
        *({"Id": metric_id, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": metric,
                       "Dimensions": [{"Name": "TableName", "Value": table_name}]},
            "Period": 300, "Stat": "Sum"}}
          for metric_id, metric in (("reads", "ReadThrottleEvents"), ("writes", "WriteThrottleEvents")))]
    return alarm


def _missed_run_alarm(prefix: str) -> dict:
    """The hourly retention run (erasing personal data after each event's retention days) not seen."""
    alarm = _alarm(f"{prefix}-retention-missed",
                   "The hourly retention run did not start in the last two hours: personal data due for "
                   "erasure is being kept, a legal duty (KVKK/GDPR) is not being done.",
                   "AWS/Lambda", "Invocations", {"FunctionName": {"Ref": logical_id(RETENTION_FUNCTION)}}, "Sum", 1)
    alarm["Properties"].update({"Period": 3600, "EvaluationPeriods": 2, "ComparisonOperator": "LessThanThreshold",
                                "TreatMissingData": "breaching"})
    return alarm


def method_settings() -> list[dict]:
    """Metrics for every method; the public registration route throttled at the gateway.

    A resource path in method settings escapes its slashes as `~1`."""
    registration = "/" + "/api/events/{event_id}/registrations".replace("/", "~1")
    return [
        {"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True},
        {"ResourcePath": registration, "HttpMethod": "POST",
         "ThrottlingRateLimit": REGISTRATION_RATE_LIMIT, "ThrottlingBurstLimit": REGISTRATION_BURST_LIMIT},
    ]


def _alarm(name: str, description: str, namespace: str, metric: str, dimensions: dict, statistic: str,
           threshold: int) -> dict:
    actions = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": name,
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
            "Statistic": statistic,
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": actions,
            "OKActions": actions,
        },
    }


def gateway_responses() -> dict:
    """What API Gateway answers without calling the app, in the spec's `{"error", "message", "details"}`.

    An unknown route is "Missing Authentication Token" (403) in API Gateway; the spec's answer, and
    the local server's, is 404 `not_found`. `$context.error.messageString` is already a quoted JSON
    string. The templates are SAM's `GatewayResponses`, which SAM puts into the API definition, so
    a change redeploys the stage.
    """
    def response(code: str, message: str, status: str | None = None) -> dict:
        body = '{"error":"%s","message":%s,"details":[]}' % (code, message)
        return {"ResponseTemplates": {"application/json": body}, **({"StatusCode": status} if status else {})}

    gateway_message = "$context.error.messageString"
    return {
        "MISSING_AUTHENTICATION_TOKEN": response("not_found", '"No such route."', "404"),
        "THROTTLED": response("rate_limited", gateway_message),
        "REQUEST_TOO_LARGE": response("payload_too_large", gateway_message),
        "DEFAULT_4XX": response("bad_request", gateway_message),
        "DEFAULT_5XX": response("internal_error", gateway_message),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.template", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json")
    parser.add_argument("--output", type=Path, help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    text = json.dumps(build(load_stage(args.stage)), indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
