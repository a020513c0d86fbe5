"""Least privilege: one IAM policy per Lambda function, written for each stage from what its code calls.

Each function names the AWS actions its code paths make (the test in tests/infra/test_policies.py
runs each function's code against the local server, records every call it makes, and holds these
lists to exactly that). Resources come from the stage: its tables, its outbox stream and
dead-letter queue, its signing keys (SSM parameter or Secrets Manager secret, whichever the stage
reads), its sender domain, and the function's own log group, named from the function's fixed name
so that logging does not depend on the stack's name.

    python -m infra.policies            # writes .chalice/policy-<stage>-<function>.json for dev and prod
    python -m infra.policies --check    # fails if a written file differs from what this module makes
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from infra.stages import PROJECT_DIR, Stage, load_stage

DEPLOYED_STAGES = ("dev", "prod")

# What each function's code calls in DynamoDB (a transaction's parts count as the item actions IAM
# checks for them: TransactWriteItems needs PutItem, UpdateItem, DeleteItem or ConditionCheckItem).
TABLE_ACTIONS = {
    "api_handler": ("BatchGetItem", "DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"),
    # The email functions also settle owed waitlist promotions (chalicelib/registration/waitlist.py): a Query of the
    # waitlist, the counter shards read in one BatchGetItem, a transaction per promotion, and the
    # debt's delete; a round of due emails reads its registrations in one BatchGetItem.
    "outbox_stream": ("BatchGetItem", "DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"),
    "retry_emails": ("BatchGetItem", "DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"),
    "erase_expired_personal_data": ("DeleteItem", "Query", "UpdateItem"),
}
# Functions that sign or verify tickets, so read the signing keys.
READS_SIGNING_KEYS = frozenset({"api_handler", "outbox_stream", "retry_emails"})
# Functions that send email (at the account's pace: SES GetSendQuota, chalicelib/mail/quota.py).
SENDS_MAIL = frozenset({"outbox_stream", "retry_emails"})
# The function the outbox stream invokes (its event source mapping uses the function's role).
READS_OUTBOX_STREAM = frozenset({"outbox_stream"})
FUNCTIONS = tuple(TABLE_ACTIONS)


@dataclass(frozen=True)
class Arns:
    """The stage's resources as IAM names them; region and account are left open (`*`)."""
    stage: Stage

    @property
    def tables(self) -> list[str]:
        prefix = self.stage.table_prefix
        return [f"arn:aws:dynamodb:*:*:table/{prefix}*", f"arn:aws:dynamodb:*:*:table/{prefix}*/index/*"]

    @property
    def outbox_stream(self) -> str:
        return f"arn:aws:dynamodb:*:*:table/{self.stage.table_prefix}outbox/stream/*"

    @property
    def dead_letter_queue(self) -> str:
        return f"arn:aws:sqs:*:*:{self.stage.table_prefix}outbox-stream-dlq"

    @property
    def signing_keys(self) -> str:
        name = self.stage.signing_key_name
        if self.stage.signing_key_source == "secretsmanager":
            # Secrets Manager appends six random characters to a secret's ARN.
            return f"arn:aws:secretsmanager:*:*:secret:{name}-??????"
        return f"arn:aws:ssm:*:*:parameter/{name.lstrip('/')}"

    def log_group(self, function: str) -> str:
        return f"arn:aws:logs:*:*:log-group:/aws/lambda/{function_name(self.stage, function)}:*"


def function_name(stage: Stage, function: str) -> str:
    """The deployed name Chalice gives a function: app, stage, function."""
    return f"{stage.app_name}-{stage.name}-{function}"


def policy(stage: Stage, function: str) -> dict:
    arns = Arns(stage)
    statements = [
        _allow("Tables", [f"dynamodb:{action}" for action in TABLE_ACTIONS[function]], arns.tables),
        _allow("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], arns.log_group(function)),
    ]
    if function in READS_OUTBOX_STREAM:
        statements.append(_allow("OutboxStream", ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                                                  "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
                                 arns.outbox_stream))
        statements.append(_allow("OutboxStreamDeadLetters", ["sqs:SendMessage"], arns.dead_letter_queue))
    if function in SENDS_MAIL:
        statements.append(_allow("SendMail", ["ses:SendRawEmail"], "arn:aws:ses:*:*:identity/*",
                                 {"StringLike": {"ses:FromAddress": f"*@{stage.sender_domain}"}}))
        # GetSendQuota is an account-level action: IAM gives it no resource narrower than "*".
        statements.append(_allow("SendQuota", ["ses:GetSendQuota"], "*"))
    if function in READS_SIGNING_KEYS:
        statements.extend(_signing_keys(stage, arns))
    return {"Version": "2012-10-17", "Statement": statements}


def _signing_keys(stage: Stage, arns: Arns) -> list[dict]:
    if stage.signing_key_source == "secretsmanager":
        read = _allow("SigningKeys", ["secretsmanager:GetSecretValue"], arns.signing_keys)
        via = "secretsmanager.*.amazonaws.com"
        context = {"kms:EncryptionContext:SecretARN": arns.signing_keys}
    else:
        read = _allow("SigningKeys", ["ssm:GetParameter"], arns.signing_keys)
        via = "ssm.*.amazonaws.com"
        context = {"kms:EncryptionContext:PARAMETER_ARN": arns.signing_keys}
    decrypt = _allow("SigningKeysDecrypt", ["kms:Decrypt"], "arn:aws:kms:*:*:key/*",
                     {"StringLike": {"kms:ViaService": via, **context}})
    return [read, decrypt]


def _allow(sid: str, actions: list[str], resources, condition: dict | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def policy_file(stage_name: str, function: str) -> Path:
    return PROJECT_DIR / ".chalice" / f"policy-{stage_name}-{function}.json"


def render(stage: Stage, function: str) -> str:
    return json.dumps(policy(stage, function), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.policies", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a policy file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for stage_name in DEPLOYED_STAGES:
        stage = load_stage(stage_name)
        for function in FUNCTIONS:
            path, text = policy_file(stage_name, function), render(stage, function)
            if args.check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    stale.append(path.name)
            else:
                path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run `python -m infra.policies`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
