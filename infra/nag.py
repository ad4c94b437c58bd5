"""cdk-nag (3.x) wiring: the AwsSolutions pack as a CDK validation plugin, and acknowledgements with reasons."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_nag_checks(scope: IConstruct) -> None:
    """Any unacknowledged AwsSolutions finding (error or warning) under ``scope`` makes synthesis fail.

    cdk-nag 3 is a CDK validation plugin; the 2.x form ``Aspects.of(app).add(AwsSolutionsChecks())`` fails
    with aws-cdk-lib 2.275 (``aspect.visit is not a function``), and ``NagSuppressions`` is gone: findings are
    acknowledged through ``Validations.of(construct).acknowledge`` (see ``acknowledge`` below).
    """
    Validations.of(scope).add_plugins(AwsSolutionsChecks(scope, verbose=True))


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding on a construct and everything under it.

    ``rule_id`` names one finding, e.g. ``AwsSolutions-S1`` or ``AwsSolutions-IAM5[Resource::<ArnToken>:*]``.
    """
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
