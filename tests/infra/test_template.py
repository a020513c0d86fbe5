"""The merge template, built from the models and the stage's config, without packaging anything."""
import json

import pytest

from chalicelib.storage.models import ALL_MODELS, Claim, OutboxMessage
from chalicelib.storage.tables import TTL_ATTRIBUTES, short_name
from infra import policies, template
from infra.stages import PROJECT_DIR, load_stage

STAGES = ("dev", "prod")


@pytest.fixture(scope="module", params=STAGES)
def stage(request):
    return load_stage(request.param)


@pytest.fixture(scope="module")
def resources(stage):
    return template.build(stage)["Resources"]


def _tables(resources):
    return {r["Properties"]["TableName"]: r for r in resources.values() if r.get("Type") == "AWS::DynamoDB::Table"}


def _keys(key_schema):
    return [(k["AttributeName"], k["KeyType"]) for k in key_schema]


def test_there_is_one_table_per_model_named_with_the_stage_prefix(stage, resources):
    assert sorted(_tables(resources)) == sorted(f"kapi-{stage.name}-{short_name(m)}" for m in ALL_MODELS)


def test_a_table_has_the_keys_and_indexes_of_its_model(stage, resources):
    registrations = _tables(resources)[f"kapi-{stage.name}-registrations"]["Properties"]

    assert _keys(registrations["KeySchema"]) == [("id", "HASH")]
    assert {i["IndexName"]: _keys(i["KeySchema"]) for i in registrations["GlobalSecondaryIndexes"]} == {
        "by_event": [("event_id", "HASH"), ("created_key", "RANGE")],
        "by_event_status": [("event_status", "HASH"), ("created_key", "RANGE")],
    }
    assert {i["Projection"]["ProjectionType"] for i in registrations["GlobalSecondaryIndexes"]} == {"ALL"}


def test_every_table_defines_exactly_the_attributes_its_keys_use(resources):
    # CloudFormation refuses a definition no key uses, and DynamoDB a key with no definition.
    for name, table in _tables(resources).items():
        properties = table["Properties"]
        key_schemas = [properties["KeySchema"]] + [i["KeySchema"] for i in properties.get("GlobalSecondaryIndexes", [])]
        used = {k["AttributeName"] for schema in key_schemas for k in schema}
        assert {d["AttributeName"] for d in properties["AttributeDefinitions"]} == used, name
        assert all(schema[0]["KeyType"] == "HASH" for schema in key_schemas), name


def test_every_table_is_on_demand_encrypted_and_recoverable(resources):
    for name, table in _tables(resources).items():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST", name
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        assert properties["SSESpecification"] == {"SSEEnabled": True}, name


def test_ttl_is_on_exactly_where_tables_py_declares_it(stage, resources):
    with_ttl = {name.removeprefix(stage.table_prefix): t["Properties"]["TimeToLiveSpecification"]["AttributeName"]
                for name, t in _tables(resources).items() if "TimeToLiveSpecification" in t["Properties"]}
    assert with_ttl == TTL_ATTRIBUTES
    assert with_ttl[short_name(Claim)] == "expires_at"


def test_only_prod_tables_are_protected_from_deletion(stage, resources):
    protected = stage.name == "prod"
    for name, table in _tables(resources).items():
        assert table["Properties"]["DeletionProtectionEnabled"] == (
            {"Fn::If": ["ProtectTables", True, False]} if protected else False), name
        # Kept when the stack is deleted; not when a failed first create rolls back (empty, in the way).
        assert (table.get("DeletionPolicy"), table.get("UpdateReplacePolicy")) == (
            ("RetainExceptOnCreate", "Retain") if protected else (None, None)), name


def test_the_outbox_stream_feeds_the_outbox_stream_function_with_inserts_and_a_dead_letter_queue(stage, resources):
    outbox = resources[template.table_logical_id(OutboxMessage)]
    mapping = resources["OutboxStreamMapping"]["Properties"]
    queue = resources[template.DEAD_LETTER_QUEUE]

    assert outbox["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert [t for t in _tables(resources).values() if "StreamSpecification" in t["Properties"]] == [outbox]
    assert mapping["FunctionName"] == {"Ref": "OutboxStream"}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["OutboxMessageTable", "StreamArn"]}
    assert [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]] == [{"eventName": ["INSERT"]}]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 < mapping["MaximumRetryAttempts"] <= 10
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [template.DEAD_LETTER_QUEUE, "Arn"]}
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["QueueName"] == f"kapi-{stage.name}-outbox-stream-dlq"


def _alarms(resources):
    return {r["Properties"]["AlarmName"]: r["Properties"] for r in resources.values()
            if r.get("Type") == "AWS::CloudWatch::Alarm"}


def test_alarms_watch_dead_letters_api_errors_every_function_and_every_table_and_notify_an_optional_topic(
        stage, resources):
    alarms = _alarms(resources)
    prefix = f"kapi-{stage.name}"

    assert {d["Name"]: d["Value"] for d in alarms[f"{prefix}-api-5xx"]["Dimensions"]} == {
        "ApiName": "kapi", "Stage": stage.api_gateway_stage}
    assert alarms[f"{prefix}-outbox-dead-letters"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    for function, logical_id in (("api-handler", "APIHandler"), ("outbox-stream", "OutboxStream"),
                                 ("retry-emails", "RetryEmails"),
                                 ("erase-expired-personal-data", "EraseExpiredPersonalData")):
        for metric in ("errors", "throttles"):
            alarm = alarms[f"{prefix}-{function}-{metric}"]
            assert alarm["MetricName"] == metric.capitalize()
            assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": logical_id}}]
    for model in ALL_MODELS:
        throttles = alarms[f"{prefix}-dynamodb-{short_name(model)}-throttles"]
        assert {m["Id"] for m in throttles["Metrics"]} == {"throttles", "reads", "writes"}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == {
            "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}


def test_a_retention_run_missing_for_two_hours_alarms_even_with_no_data(stage, resources):
    alarm = _alarms(resources)[f"kapi-{stage.name}-retention-missed"]

    assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Invocations", "LessThanThreshold", 1)
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 7200 and alarm["TreatMissingData"] == "breaching"


def test_the_api_throttles_public_registration_at_the_gateway_and_writes_access_logs(stage, resources):
    api = resources["RestAPI"]["Properties"]
    [registration] = [m for m in api["MethodSettings"] if "ThrottlingRateLimit" in m]

    assert (registration["ResourcePath"], registration["HttpMethod"]) == ("/~1api~1events~1{event_id}~1registrations", "POST")
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert set(json.loads(api["AccessLogSetting"]["Format"])) >= {"requestId", "status", "route"}


def test_every_function_has_a_fixed_name_its_policy_names_the_log_group_of(stage, resources):
    for function in policies.FUNCTIONS:
        name = resources[template.logical_id(function)]["Properties"]["FunctionName"]
        [logs] = [s for s in policies.policy(stage, function)["Statement"] if s["Sid"] == "Logs"]
        assert logs["Resource"] == f"arn:aws:logs:*:*:log-group:/aws/lambda/{name}:*"


def test_the_sender_domain_defaults_to_the_domain_kapi_mail_from_sends_from(stage):
    built = template.build(stage)

    assert built["Parameters"]["SenderDomain"]["Default"] == stage.sender_domain
    assert stage.environment["KAPI_MAIL_FROM"].endswith(f"@{stage.sender_domain}>")
    assert built["Resources"]["SenderIdentity"]["Properties"]["EmailIdentity"] == {"Ref": "SenderDomain"}


@pytest.mark.parametrize("response_type, status, code", [
    ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found"),
    ("THROTTLED", None, "rate_limited"),
    ("REQUEST_TOO_LARGE", None, "payload_too_large"),
    ("DEFAULT_4XX", None, "bad_request"),
    ("DEFAULT_5XX", None, "internal_error"),
])
def test_what_api_gateway_answers_itself_has_the_spec_error_shape(resources, response_type, status, code):
    response = resources["RestAPI"]["Properties"]["GatewayResponses"][response_type]
    # API Gateway substitutes messageString with a quoted JSON string.
    body = response["ResponseTemplates"]["application/json"].replace(
        "$context.error.messageString", json.dumps("Too Many Requests"))

    assert response.get("StatusCode") == status
    assert json.loads(body)["error"] == code
    assert set(json.loads(body)) == {"error", "message", "details"}


@pytest.mark.parametrize("stage_name", STAGES)
def test_the_iam_policies_name_the_stages_tables_stream_queue_key_and_sender(stage_name):
    stage = load_stage(stage_name)

    def statements(function):
        policy = json.loads((PROJECT_DIR / ".chalice" / f"policy-{stage_name}-{function}.json").read_text())
        return {s["Sid"]: s for s in policy["Statement"]}

    for function in policies.FUNCTIONS:
        tables = statements(function)["Tables"]
        assert tables["Resource"] == [f"arn:aws:dynamodb:*:*:table/{stage.table_prefix}*",
                                      f"arn:aws:dynamodb:*:*:table/{stage.table_prefix}*/index/*"]
        assert "dynamodb:Scan" not in tables["Action"]
    stream = statements("outbox_stream")
    assert stream["OutboxStream"]["Resource"] == (
        f"arn:aws:dynamodb:*:*:table/{stage.table_prefix}{short_name(OutboxMessage)}/stream/*")
    assert stream["OutboxStreamDeadLetters"]["Resource"].endswith(f":{template.dead_letter_queue_name(stage)}")
    assert stream["SigningKeys"]["Resource"] == f"arn:aws:ssm:*:*:parameter{stage.signing_key_name}"
    assert stream["SendMail"]["Condition"]["StringLike"]["ses:FromAddress"] == f"*@{stage.sender_domain}"
    assert set(statements("api_handler")) == {"Tables", "Logs", "SigningKeys", "SigningKeysDecrypt"}
    assert set(statements("erase_expired_personal_data")) == {"Tables", "Logs"}


def test_a_stage_reading_its_keys_from_secrets_manager_may_read_that_secret_and_no_parameter():
    stage = load_stage("dev")
    stage = type(stage)(**{**stage.__dict__, "environment": {**stage.environment,
                                                           "KAPI_SIGNING_KEY_SOURCE": "secretsmanager"}})
    statements = {s["Sid"]: s for s in policies.policy(stage, "api_handler")["Statement"]}

    assert statements["SigningKeys"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert statements["SigningKeys"]["Resource"] == f"arn:aws:secretsmanager:*:*:secret:{stage.signing_key_name}-??????"
    assert statements["SigningKeysDecrypt"]["Condition"]["StringLike"]["kms:ViaService"] == "secretsmanager.*.amazonaws.com"


def test_the_cli_writes_the_template_to_a_file(tmp_path):
    output = tmp_path / "build" / "dev-extras.json"

    assert template.main(["--stage", "dev", "--output", str(output)]) == 0
    assert json.loads(output.read_text()) == template.build(load_stage("dev"))


def test_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="no stage 'staging'"):
        load_stage("staging")
