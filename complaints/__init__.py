"""Shared platform code: settings, the CloudEvents envelope, Kafka plumbing, PII vault, CLI."""
