"""Deploy a stage: refuse placeholders, upload the packaged code, create or update the stack, make
the signing keys and the first admin token.

    make deploy STAGE=dev DRY_RUN=1   # offline: what would be created, and what must be set first
    make deploy STAGE=dev             # package, then deploy with the AWS credentials of the environment

The stack is `<app>-<stage>` (kapi-dev). The packaged code goes to an artifact bucket (the `BUCKET`
variable, or `<app>-<stage>-artifacts-<account>-<region>`, created private and encrypted on first use)
under its content hash, so an unchanged zip is not uploaded twice. CloudFormation applies the template
through a change set (SAM's transform needs CAPABILITY_AUTO_EXPAND). The signing keys are created once
and never replaced (infra/keys.py); the first admin token is made only when the stack is created, and
printed once.
"""
from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import re
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from infra import policies, template
from infra.stages import PROJECT_DIR, Stage, load_stage

# Values that only stand in for the organiser's own (RFC 2606 / RFC 6761 names).
PLACEHOLDER = re.compile(r"(?:^|[.@/])example\.(?:org|com|net)\b|\.invalid\b|\.test\b", re.IGNORECASE)
# The settings a deployment sends mail from and links to; each must be the organiser's own.
OWN_SETTINGS = ("KAPI_MAIL_FROM", "KAPI_PUBLIC_URL")
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
ZIPS = {"deployment.zip": "CodeUri", "layer-deployment.zip": "ContentUri"}
# CloudFormation's words for a change set or an update that changes nothing.
NO_CHANGES = re.compile(r"didn't contain changes|No updates are to be performed")
# States only a person can get a stack out of.
FAILED_BY_HAND = {
    "ROLLBACK_FAILED": "a failed first deploy could not be rolled back; delete the stack in the console "
                       "(keeping the resources it names), then deploy again.",
    "DELETE_FAILED": "a delete failed; `make destroy` again, or delete it in the console.",
    "UPDATE_ROLLBACK_FAILED": "continue the rollback in the console (ContinueUpdateRollback), then deploy again.",
}
# DeletionPolicy values under which a stack's delete leaves the resource.
KEEPING_POLICIES = ("Retain", "RetainExceptOnCreate")
WAIT_SECONDS = int(os.environ.get("KAPI_DEPLOY_POLL_SECONDS", "10"))


def placeholders(stage: Stage) -> list[str]:
    """The settings of `stage` that still hold an example value, each with what to do."""
    return [f"{name} = {stage.environment.get(name, '')!r} in .chalice/config.json (stages.{stage.name}."
            f"environment_variables): set your own {'sender address' if name == 'KAPI_MAIL_FROM' else 'address'}"
            for name in OWN_SETTINGS if PLACEHOLDER.search(stage.environment.get(name, ""))]


@dataclass(frozen=True)
class Plan:
    stage: Stage

    @property
    def stack_name(self) -> str:
        return f"{self.stage.app_name}-{self.stage.name}"

    def lines(self) -> list[str]:
        built = template.build(self.stage)["Resources"]
        created = sorted((resource["Type"], name) for name, resource in built.items() if "Type" in resource)
        lines = [f"stack {self.stack_name} (CloudFormation, through a change set)",
                 f"  API stage '{self.stage.api_gateway_stage}', "
                 f"public URL {self.stage.environment['KAPI_PUBLIC_URL']}",
                 f"  sender {self.stage.environment['KAPI_MAIL_FROM']} (SES identity {self.stage.sender_domain})",
                 "  functions, each with its own role and policy:"]
        for function in policies.FUNCTIONS:
            actions = sorted({a for s in policies.policy(self.stage, function)["Statement"] for a in s["Action"]})
            lines.append(f"    {policies.function_name(self.stage, function)}: {', '.join(actions)}")
        lines.append("  resources added to Chalice's:")
        lines.extend(f"    {kind} {name}" for kind, name in created)
        lines.append(f"signing keys: {self.stage.signing_key_source} {self.stage.signing_key_name} "
                     "(created if missing, never replaced)")
        lines.append("first admin token: created and printed once, when the stack is created")
        return lines


def upload_artifacts(s3, bucket: str, build: Path, stack_name: str) -> dict:
    """Uploads the zips (keyed by content) and the template; returns the template's S3 URL and body."""
    sam = json.loads((build / "sam.json").read_text(encoding="utf-8"))
    locations = {}
    for zip_name in ZIPS:
        content = (build / zip_name).read_bytes()
        key = f"{stack_name}/{hashlib.sha256(content).hexdigest()}.zip"
        s3.put_object(Bucket=bucket, Key=key, Body=content)
        locations[zip_name] = {"Bucket": bucket, "Key": key}
    for resource in sam["Resources"].values():
        for zip_name, prop in ZIPS.items():
            if resource.get("Properties", {}).get(prop) == f"./{zip_name}":
                resource["Properties"][prop] = locations[zip_name]
    body = json.dumps(sam)
    key = f"{stack_name}/{hashlib.sha256(body.encode()).hexdigest()}.template.json"
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    return {"url": f"https://{bucket}.s3.amazonaws.com/{key}", "template": sam}


def ensure_bucket(s3, name: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=name)
        return
    except s3.exceptions.ClientError:
        pass
    s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": {"LocationConstraint": region}}
                                     if region != "us-east-1" else {}))
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})


class DeployError(Exception):
    """A deploy that cannot go on, with what to do about it."""


def stack_status(cloudformation, stack_name: str) -> dict | None:
    """The stack as described, or None when there is none."""
    try:
        [described] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return described


def failure_reasons(cloudformation, stack_name: str) -> list[str]:
    """What CloudFormation said about the resources that failed, newest first."""
    events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    return [f"{e.get('LogicalResourceId', '')} {e['ResourceStatus']}: {e['ResourceStatusReason']}"
            for e in events if e["ResourceStatus"].endswith("_FAILED") and e.get("ResourceStatusReason")]


def delete_stack(cloudformation, stack_name: str) -> None:
    cloudformation.delete_stack(StackName=stack_name)
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=stack_name, WaiterConfig={"Delay": WAIT_SECONDS, "MaxAttempts": 360})


def stack_parameters(given: dict[str, str], declared: list[str], existing: dict | None) -> list[dict]:
    """The change set's parameters: the ones given, and on an update every other one the stack already
    has kept as it is (UsePreviousValue), so that a deploy without ALARM_TOPIC_ARN keeps the alarms'
    topic. A parameter new to the stack and not given takes its default."""
    parameters: list[dict] = [{"ParameterKey": key, "ParameterValue": value} for key, value in given.items()]
    if existing is not None:
        had = {p["ParameterKey"] for p in existing.get("Parameters", [])}
        parameters += [{"ParameterKey": key, "UsePreviousValue": True}
                       for key in declared if key not in given and key in had]
    return parameters


def apply_stack(cloudformation, stack_name: str, template_url: str, given: dict[str, str],
                declared: list[str]) -> str:
    """Creates or updates the stack through a change set: "created", "updated" or "unchanged".

    A stack left ROLLBACK_COMPLETE by a failed first deploy holds nothing and can only be deleted: it is
    deleted and created again. Each change set has a name of its own (time and a random part), so a
    rerun never meets the last one's name; one without changes is deleted again."""
    existing = stack_status(cloudformation, stack_name)
    status = existing["StackStatus"] if existing else None
    if status == "ROLLBACK_COMPLETE":
        print(f"{stack_name} is ROLLBACK_COMPLETE (its first deploy failed, nothing in it runs): "
              "deleting it to create it again")
        delete_stack(cloudformation, stack_name)
        existing = status = None
    elif status in FAILED_BY_HAND:
        raise DeployError(f"{stack_name} is {status}: {FAILED_BY_HAND[status]}")
    elif status and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise DeployError(f"{stack_name} is {status}: another deploy or delete is running; wait for it.")
    kind = "CREATE" if status in (None, "REVIEW_IN_PROGRESS") else "UPDATE"
    if kind == "CREATE" and template.PROTECT_PARAMETER in declared:
        given = {template.PROTECT_PARAMETER: "false", **given}  # turned on once the create succeeded
    name = f"{stack_name}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
    parameters = stack_parameters(given, declared, existing if kind == "UPDATE" else None)
    try:
        cloudformation.create_change_set(
            StackName=stack_name, ChangeSetName=name, ChangeSetType=kind, TemplateURL=template_url,
            Capabilities=CAPABILITIES, Parameters=parameters)
    except cloudformation.exceptions.ClientError as error:
        if NO_CHANGES.search(str(error)):
            return "unchanged"
        raise
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=stack_name, ChangeSetName=name, WaiterConfig={"Delay": WAIT_SECONDS, "MaxAttempts": 120})
    except Exception:  # noqa: BLE001 - "no changes" ends a change set as FAILED; anything else is raised
        status_reason = cloudformation.describe_change_set(StackName=stack_name, ChangeSetName=name).get(
            "StatusReason", "")
        if NO_CHANGES.search(status_reason):
            cloudformation.delete_change_set(StackName=stack_name, ChangeSetName=name)
            return "unchanged"
        raise DeployError(f"change set {name} failed: {status_reason}") from None
    cloudformation.execute_change_set(StackName=stack_name, ChangeSetName=name)
    waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    try:
        cloudformation.get_waiter(waiter).wait(StackName=stack_name,
                                               WaiterConfig={"Delay": WAIT_SECONDS, "MaxAttempts": 360})
    except Exception:  # noqa: BLE001 - WaiterError: the stack ended in a failed state
        described = stack_status(cloudformation, stack_name) or {}
        reasons = "\n  ".join(failure_reasons(cloudformation, stack_name)[:5]) or "(no reason given)"
        again = ("the next `make deploy` deletes it and creates it again" if kind == "CREATE"
                 else "CloudFormation put the previous version back")
        raise DeployError(f"{stack_name} is {described.get('StackStatus', 'gone')} after a failed "
                          f"{kind.lower()}:\n  {reasons}\nFix the cause and deploy again: {again}.") from None
    return "created" if kind == "CREATE" else "updated"


def deploy(stage: Stage, build: Path, bucket: str | None, parameters: dict[str, str]) -> str:
    """Deploys the packaged stage in `build`; returns what became of the stack (see apply_stack)."""
    import boto3

    from infra import keys

    plan = Plan(stage)
    session = boto3.session.Session()
    region = session.region_name
    account = session.client("sts").get_caller_identity()["Account"]
    bucket = bucket or f"{plan.stack_name}-artifacts-{account}-{region}"
    s3 = session.client("s3")
    ensure_bucket(s3, bucket, region)
    uploaded = upload_artifacts(s3, bucket, build, plan.stack_name)
    ssm = session.client("ssm")
    try:
        keys.create(ssm, stage.signing_key_name)
        print(f"signing keys created in {stage.signing_key_name}")
    except ssm.exceptions.ParameterAlreadyExists:
        print(f"signing keys kept: {stage.signing_key_name}")
    cloudformation = session.client("cloudformation")
    outcome = apply_stack(cloudformation, plan.stack_name, uploaded["url"], parameters,
                          list(uploaded["template"].get("Parameters", {})))
    print({"created": f"stack {plan.stack_name} created",
           "updated": f"stack {plan.stack_name} updated",
           "unchanged": f"no change: stack {plan.stack_name} is up to date"}[outcome])
    if outcome == "created":
        print("first admin token (shown once, keep it safe):", first_admin_token(stage, region))
    if outcome == "created" and template.PROTECT_PARAMETER in uploaded["template"].get("Parameters", {}):
        apply_stack(cloudformation, plan.stack_name, uploaded["url"], {template.PROTECT_PARAMETER: "true"},
                    list(uploaded["template"]["Parameters"]))
        print("table deletion protection turned on (off only while the stack was first created, so that a "
              "failed create could roll its new tables back)")
    described = stack_status(cloudformation, plan.stack_name) or {}
    for parameter in described.get("Parameters", []):
        print(f"parameter {parameter['ParameterKey']} = {parameter.get('ParameterValue', '')!r}")
    for output in described.get("Outputs", []):
        print(f"{output['OutputKey']}: {output['OutputValue']}")
    print("\n".join(checklist(session, stage)))
    return outcome


def destroy(stage: Stage) -> None:
    """Deletes the stage's stack. On a protected stage (prod) the data tables stay: the deployed template
    must keep every one of them (DeletionPolicy Retain or RetainExceptOnCreate), or nothing is deleted."""
    import boto3

    cloudformation = boto3.session.Session().client("cloudformation")
    stack_name = Plan(stage).stack_name
    if stack_status(cloudformation, stack_name) is None:
        print(f"no stack {stack_name}: nothing to delete")
        return
    deployed = cloudformation.get_template(StackName=stack_name, TemplateStage="Processed")["TemplateBody"]
    deployed = json.loads(deployed) if isinstance(deployed, str) else deployed
    tables = {name: resource for name, resource in deployed.get("Resources", {}).items()
              if resource.get("Type") == "AWS::DynamoDB::Table"}
    kept = sorted(name for name, resource in tables.items() if resource.get("DeletionPolicy") in KEEPING_POLICIES)
    if stage.name in template.PROTECTED_STAGES and len(kept) != len(tables):
        raise DeployError(f"{stack_name} holds tables without DeletionPolicy Retain "
                          f"({', '.join(sorted(set(tables) - set(kept)))}): deploy the current template first; "
                          "nothing was deleted.")
    delete_stack(cloudformation, stack_name)
    print(f"stack {stack_name} deleted")
    if kept:
        print(f"tables kept (DeletionPolicy {deployed['Resources'][kept[0]]['DeletionPolicy']}): {', '.join(kept)}")
    print(f"kept as well: the signing keys ({stage.signing_key_name}) and the artifact bucket")


def first_admin_token(stage: Stage, region: str) -> str:
    """An admin token in the deployed stage's own tokens table, whatever stage this process was started for."""
    from chalicelib.access import auth
    from chalicelib.storage.tables import Tables

    deployed = Tables(stage.table_prefix, region)
    created = auth.create_token(deployed, auth.Principal("deploy", "admin"), {"role": "admin", "label": "first admin"})
    return str(created["token"])


def is_standin(endpoint: str | None = None) -> bool:
    """True when AWS_ENDPOINT_URL is moto's server on this machine (the rehearsal's stand-in,
    devstack/aws_standin.py): nothing deployed there sends mail or is reached by anyone, so example
    values may stay. Asked of the endpoint itself (moto's /moto-api/config), so that a proxy to AWS
    on a local port is not taken for it."""
    from urllib.error import URLError
    from urllib.parse import urlsplit
    from urllib.request import urlopen

    endpoint = endpoint if endpoint is not None else os.environ.get("AWS_ENDPOINT_URL", "")
    host = urlsplit(endpoint).hostname
    try:
        loopback = bool(host) and (host == "localhost" or ipaddress.ip_address(host or "").is_loopback)
    except ValueError:
        loopback = False
    if not loopback:
        return False
    try:
        with urlopen(f"{endpoint.rstrip('/')}/moto-api/config", timeout=5) as answer:  # noqa: S310 - loopback
            return answer.status < 300 and "lambda" in json.load(answer)
    except (URLError, OSError, ValueError):
        return False


# A new account may run 10 functions at once; AWS's usual quota, granted on request, is 1,000.
USUAL_CONCURRENCY = 1000


def checklist(session, stage: Stage) -> list[str]:
    """The account-wide first-time steps (infra/README.md, "First-time steps"), each asked of the account."""
    def ask(call):
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - a question the account cannot answer is shown as such
            return error

    lines = ["", "first-time checklist (infra/README.md, \"First-time steps\"; [x] done, [ ] to do):"]
    limit = ask(lambda: session.client("lambda").get_account_settings()["AccountLimit"]["ConcurrentExecutions"])
    done = isinstance(limit, int) and limit >= USUAL_CONCURRENCY
    lines.append(f"  [{'x' if done else ' '}] Lambda concurrency: {_known(limit)} at once "
                 "(a new account has 10, too few for doors opening); ask for 1,000: "
                 "aws service-quotas request-service-quota-increase --service-code lambda "
                 "--quota-code L-B99A9384 --desired-value 1000")
    account = ask(lambda: session.client("sesv2").get_account())
    production = isinstance(account, dict) and account.get("ProductionAccessEnabled")
    lines.append(f"  [{'x' if production else ' '}] SES production access (the sandbox mails only verified "
                 "addresses, 200 a day): aws sesv2 put-account-details --production-access-enabled ...")
    identity = ask(lambda: session.client("sesv2").get_email_identity(EmailIdentity=stage.sender_domain))
    verified = isinstance(identity, dict) and identity.get("VerifiedForSendingStatus")
    lines.append(f"  [{'x' if verified else ' '}] DNS: the three SenderDkimRecord CNAMEs above published for "
                 f"{stage.sender_domain}, so that SES verifies it")
    role = ask(lambda: session.client("apigateway").get_account().get("cloudwatchRoleArn"))
    lines.append(f"  [{'x' if isinstance(role, str) and role else ' '}] API Gateway's CloudWatch role (access "
                 "logs; without it the first deploy fails and rolls back)")
    lines.append("  [ ] SSM answers 40 GetParameter calls a second: each cold start reads the signing keys "
                 "once; raise the parameter throughput (aws ssm update-service-setting) before a big event")
    return lines


def _known(answer) -> str:
    return "(not known: the endpoint did not say)" if isinstance(answer, Exception) else str(answer)


def parse_parameters(pairs: list[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--parameter wants KEY=VALUE, got {pair!r}")
        parameters[key] = value
    return parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json")
    parser.add_argument("--dry-run", action="store_true", help="print the plan; touch nothing (works offline)")
    parser.add_argument("--destroy", action="store_true", help="delete the stage's stack (tables kept on prod)")
    parser.add_argument("--build", type=Path, help="the packaged stage (make package), e.g. build/dev")
    parser.add_argument("--bucket", help="artifact bucket (default: one named after the stack, account, region)")
    parser.add_argument("--alarm-topic-arn", help="SNS topic the alarms notify (kept from the last deploy "
                        "when not given; '' for none)")
    parser.add_argument("--sender-domain", help="the SES identity the stack creates (default: the sender's "
                        "domain; kept from the last deploy when not given; '' when managed elsewhere)")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="any stack parameter; the ones not given keep their last value")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stage = load_stage(args.stage, args.project_dir)
    if args.destroy:
        try:
            destroy(stage)
        except DeployError as error:
            print(f"\n{error}", file=sys.stderr)
            return 1
        return 0
    if args.dry_run:
        print("\n".join(Plan(stage).lines()))
    problems = placeholders(stage)
    if problems and is_standin():
        print(f"example values kept: AWS_ENDPOINT_URL ({os.environ['AWS_ENDPOINT_URL']}) is a stand-in on this "
              "machine, from which no mail leaves")
    elif problems:
        print("\nRefusing to deploy: these settings still hold example values.\n  " + "\n  ".join(problems),
              file=sys.stderr)
        return 2
    if args.dry_run:
        print("\nDry run: nothing was created.")
        return 0
    if args.build is None:
        parser.error("--build is required to deploy")
    try:
        parameters = parse_parameters(args.parameter)
    except ValueError as error:
        parser.error(str(error))
    for key, value in (("AlarmTopicArn", args.alarm_topic_arn), ("SenderDomain", args.sender_domain)):
        if value is not None:
            parameters[key] = value
    try:
        deploy(stage, args.build, args.bucket, parameters)
    except DeployError as error:
        print(f"\n{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
