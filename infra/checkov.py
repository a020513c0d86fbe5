"""checkov's findings on the packaged stack that Kapı accepts, each with its reason.

`make package` runs checkov on the stage's sam.json after cfn-lint; a finding whose check is not
below fails it. A reason says why the check does not fit Kapı, not that it was too hard.

    python -m infra.checkov build/dev/sam.json
"""
from __future__ import annotations

import json
import subprocess
import sys

ACCEPTED = {
    "CKV_AWS_27": "The dead-letter queue is encrypted at rest with SQS-managed keys (SqsManagedSseEnabled); "
                  "its messages name stream positions, never a person, so a customer managed key adds cost "
                  "and no protection.",
    "CKV_AWS_73": "X-Ray would record request paths, and /t/{secret} paths carry ticket secrets; JSON logs "
                  "without personal data, metrics and alarms cover what tracing would show.",
    "CKV_AWS_115": "Reserved concurrency is refused on new accounts (limit 10, at least 10 unreserved) and "
                   "would cap the opening burst; the gateway throttles public registration instead.",
    "CKV_AWS_116": "No function is invoked asynchronously: the API is synchronous, the schedules run again "
                   "on their own, and the stream consumer has its own on-failure queue on the event source "
                   "mapping (which checkov does not read).",
    "CKV_AWS_117": "The functions reach only AWS APIs (DynamoDB, SES, SSM); a VPC would need NAT or endpoints, "
                   "adding cost and cold-start time, and protect nothing that IAM does not.",
    "CKV_AWS_119": "Tables are encrypted at rest with DynamoDB's AWS-owned key; a customer managed key costs a "
                   "KMS request per uncached access at thousands of requests a second. Point-in-time "
                   "recovery and deletion protection (prod) are on.",
    "CKV_AWS_120": "Every API response is per caller or changes by the second (counts, tickets): a cache "
                   "would show one attendee's or one minute's data to another.",
    "CKV_AWS_158": "Logs never hold personal data (structured JSON, tested); they are encrypted at rest by "
                   "CloudWatch Logs' own keys.",
    "CKV_AWS_173": "Environment variables hold no secret (table prefix, URLs, the *name* of the key "
                   "parameter); Lambda encrypts them at rest with its service key.",
}


def findings(template: str) -> list[dict]:
    """checkov's failed checks on one CloudFormation/SAM template."""
    result = subprocess.run([sys.executable, "-m", "checkov.main", "-f", template, "--framework", "cloudformation",
                             "--quiet", "--compact", "-o", "json"], capture_output=True, text=True, timeout=600)
    report = json.loads(result.stdout)
    return report["results"]["failed_checks"] if isinstance(report, dict) else []


def main(argv: list[str] | None = None) -> int:
    unjustified = 0
    for template in argv if argv is not None else sys.argv[1:]:
        for finding in findings(template):
            if finding["check_id"] not in ACCEPTED:
                unjustified += 1
                print(f"{template}: {finding['check_id']} {finding['check_name']} ({finding['resource']})",
                      file=sys.stderr)
    return 1 if unjustified else 0


if __name__ == "__main__":
    sys.exit(main())
