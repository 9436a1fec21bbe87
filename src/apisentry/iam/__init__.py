"""Least privilege for cloud identities: an AWS IAM policy evaluator and the analyses built on it."""
