"""The CDK app (cdk.json runs `python -m infra.app`): env-agnostic, no AWS lookups, no Docker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App

from infra.nag import add_nag_checks
from infra.stack import WomStack

STACK_NAME = "Wom"


def build_app(*, context: Mapping[str, Any] | None = None, outdir: str | None = None) -> tuple[App, WomStack]:
    """The app with its one stack and the cdk-nag checks (tests build it here too, then synthesize once)."""
    app = App(context=dict(context or {}), outdir=outdir)
    stack = WomStack(
        app,
        STACK_NAME,
        description="wom: self-hosted word-of-mouth referral pipeline (tracking, attribution, rewards, metrics)",
    )
    add_nag_checks(stack)
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
