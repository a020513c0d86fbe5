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
import json
import re
import sys
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


def apply_stack(cloudformation, plan: Plan, template_url: str, parameters: dict[str, str]) -> bool:
    """Creates or updates the stack; returns True when it was created."""
    try:
        cloudformation.describe_stacks(StackName=plan.stack_name)
        kind = "UPDATE"
    except cloudformation.exceptions.ClientError:
        kind = "CREATE"
    name = f"{plan.stack_name}-{hashlib.sha256(template_url.encode()).hexdigest()[:12]}"
    cloudformation.create_change_set(
        StackName=plan.stack_name, ChangeSetName=name, ChangeSetType=kind, TemplateURL=template_url,
        Capabilities=CAPABILITIES, Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(StackName=plan.stack_name, ChangeSetName=name)
    except Exception:  # noqa: BLE001 - "no changes" ends a change set as FAILED; anything else is raised
        status = cloudformation.describe_change_set(StackName=plan.stack_name, ChangeSetName=name)
        if "didn't contain changes" in status.get("StatusReason", "") or "No updates" in status.get("StatusReason", ""):
            print("The stack is up to date.")
            return False
        raise
    cloudformation.execute_change_set(StackName=plan.stack_name, ChangeSetName=name)
    waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    cloudformation.get_waiter(waiter).wait(StackName=plan.stack_name, WaiterConfig={"Delay": 10, "MaxAttempts": 360})
    return kind == "CREATE"


def deploy(stage: Stage, build: Path, bucket: str | None, parameters: dict[str, str]) -> None:
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
    created = apply_stack(session.client("cloudformation"), plan, uploaded["url"], parameters)
    if created:
        print("first admin token (shown once, keep it safe):", first_admin_token(stage, region))
    [described] = session.client("cloudformation").describe_stacks(StackName=plan.stack_name)["Stacks"]
    outputs = described.get("Outputs", [])
    for output in outputs:
        print(f"{output['OutputKey']}: {output['OutputValue']}")


def first_admin_token(stage: Stage, region: str) -> str:
    """An admin token in the deployed stage's own tokens table, whatever stage this process was started for."""
    from chalicelib.access import auth
    from chalicelib.storage.tables import Tables

    deployed = Tables(stage.table_prefix, region)
    created = auth.create_token(deployed, auth.Principal("deploy", "admin"), {"role": "admin", "label": "first admin"})
    return str(created["token"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json")
    parser.add_argument("--dry-run", action="store_true", help="print the plan; touch nothing (works offline)")
    parser.add_argument("--build", type=Path, help="the packaged stage (make package), e.g. build/dev")
    parser.add_argument("--bucket", help="artifact bucket (default: one named after the stack, account, region)")
    parser.add_argument("--alarm-topic-arn", default="", help="SNS topic the alarms notify")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stage = load_stage(args.stage, args.project_dir)
    if args.dry_run:
        print("\n".join(Plan(stage).lines()))
    problems = placeholders(stage)
    if problems:
        print("\nRefusing to deploy: these settings still hold example values.\n  " + "\n  ".join(problems),
              file=sys.stderr)
        return 2
    if args.dry_run:
        print("\nDry run: nothing was created.")
        return 0
    if args.build is None:
        parser.error("--build is required to deploy")
    deploy(stage, args.build, args.bucket, {"AlarmTopicArn": args.alarm_topic_arn})
    return 0


if __name__ == "__main__":
    sys.exit(main())
