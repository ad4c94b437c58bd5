"""The `wom` command line: its parser and the demo seeding (the running server is covered by tests/e2e)."""

from __future__ import annotations

import re

import pytest

from local.cli import build_parser, run


def test_help_lists_run(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--help"])
    assert exit_info.value.code == 0
    # The subcommand's own line with its help, not just the word somewhere in the text.
    assert re.search(r"^\s+run\s+start the AWS emulator", capsys.readouterr().out, re.M)


def test_run_is_a_subcommand_and_a_command_is_required():
    assert build_parser().parse_args(["run"]).handler is run
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def test_send_builds_a_conversion_with_only_the_given_fields():
    from local.send import conversion_payload

    args = build_parser().parse_args(
        ["send", "--api-url", "http://x", "conversion", "--order-id", "o-1", "--amount", "4999", "--customer-id", "c-1", "--click-id", "k"]
    )
    assert args.api_url == "http://x"
    assert conversion_payload(args) == {"order_id": "o-1", "amount": 4999, "currency": "USD", "customer_id": "c-1", "click_id": "k"}


def test_send_refund_needs_its_ids_and_an_integer_amount():
    from local.send import refund_payload

    args = build_parser().parse_args(["send", "refund", "--refund-id", "r-1", "--order-id", "o-1", "--amount", "100"])
    assert refund_payload(args) == {"refund_id": "r-1", "order_id": "o-1", "amount": 100}
    for missing in (["--order-id", "o-1", "--amount", "1"], ["--refund-id", "r", "--order-id", "o", "--amount", "1.5"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["send", "refund", *missing])


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["jobs", "run", "rescore"], "rescore takes --since"),
        (["jobs", "run", "rescore", "--since", "2026-11-01", "--date", "2026-11-01"], "rescore takes --since"),
        (["jobs", "run", "rescore", "--since", "2026-12-01", "--now", "2026-11-30T12:00:00Z"], "--since must be a day"),
        (["jobs", "run", "rescore", "--since", "2025-10-01", "--now", "2026-12-01T12:00:00Z"], "--since must be a day"),
        (["jobs", "run", "rewards", "--since", "2026-11-01"], "--since and --apply are for rescore"),
        (["jobs", "run", "metrics", "--apply"], "--since and --apply are for rescore"),
    ],
)
def test_rescore_takes_a_since_day_in_range_and_nothing_else_takes_it(argv, complaint, capsys):
    args = build_parser().parse_args(argv)
    assert args.handler(args) == 2
    assert complaint in capsys.readouterr().err


def test_rescore_is_a_dry_run_unless_told_to_apply():
    dry = build_parser().parse_args(["jobs", "run", "rescore", "--since", "2026-11-01"])
    applied = build_parser().parse_args(["jobs", "run", "rescore", "--since", "2026-11-01", "--apply"])
    assert (dry.apply, applied.apply, str(applied.since)) == (False, True, "2026-11-01")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["jobs", "run", "rescore", "--since", "yesterday"])


def test_erase_takes_one_customer_id_an_optional_wait_and_the_admin_targets(capsys):
    from local.erase import erase

    args = build_parser().parse_args(["erase", "cust 1@example.org", "--wait", "30", "--stack", "Wom"])
    assert (args.handler, args.customer_id, args.wait, args.stack) == (erase, "cust 1@example.org", 30, "Wom")
    assert build_parser().parse_args(["erase", "c"]).wait is None
    for bad in (["erase"], ["erase", "c", "--wait", "0"], ["erase", "c", "--wait", "soon"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(bad)
    # An id no storefront could have sent: refused before any request.
    assert erase(build_parser().parse_args(["erase", "x" * 129])) == 2
    assert "1–128 characters" in capsys.readouterr().err
