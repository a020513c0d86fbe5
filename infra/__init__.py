"""Deployment tooling: the CloudFormation merged into `chalice package`, and the signing-key CLI."""
