"""cdk-nag (3.x) wiring: the AwsSolutions pack as a CDK validation plugin, and acknowledgements with reasons."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_nag_checks(app: IConstruct) -> None:
    """Any unacknowledged AwsSolutions finding (error or warning) makes synthesis fail."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding on a construct and everything under it.

    ``rule_id`` names one finding, e.g. ``AwsSolutions-S1`` or ``AwsSolutions-IAM5[Resource::<ArnToken>:*]``.
    """
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
