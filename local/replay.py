"""`wom replay --log FILE`: writes the tracked events a function could put neither in the table nor in the spill
queue, from its log (the `wom-unstored-event` lines; shared/tracking/spill.py), with the replay the spill queue
uses: the same keys, once (running it twice writes nothing more).

Against local mode's emulator by default; with AWS_ENDPOINT_URL unset and WOM_EVENTS_TABLE and WOM_REFERRALS_TABLE
set to the stack's table names (outputs EventsTableName, ReferralsTableName), against the deployed tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def replay_log(args: argparse.Namespace) -> int:
    from local.emulator import use_local_mode_unless_aws
    from shared import wiring
    from shared.platform.resources import EVENTS_TABLE
    from shared.tracking.replay import ReplayResult
    from shared.tracking.spill import unstored_messages

    use_local_mode_unless_aws(EVENTS_TABLE.env_var)
    total, lines = ReplayResult(), 0
    try:
        text = sys.stdin.read() if str(args.log) == "-" else Path(args.log).read_text(encoding="utf-8")
    except OSError as error:
        print(f"wom replay: {error}", file=sys.stderr)
        return 2
    for message in unstored_messages(text.splitlines()):
        lines += 1
        try:
            total.add(wiring.replay().replay(message))
        except ValueError as error:
            print(f"wom replay: a line skipped: {error}", file=sys.stderr)
    print(json.dumps({"lines": lines, "written": total.written, "already_stored": total.already_stored, "unknown_code": total.unknown_code}, sort_keys=True))
    return 0


def add_replay_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "replay",
        help="write the tracked events a function logged as wom-unstored-event lines (its table and spill queue both failed)",
    )
    parser.add_argument("--log", required=True, help="a file of log lines (aws logs filter-log-events or tail output), or - for standard input")
    parser.set_defaults(handler=replay_log)
