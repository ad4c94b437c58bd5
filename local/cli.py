"""The `wom` command line: local mode (SPEC §9)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from local.admin import AdminApi, AdminError, AdminRequest, add_admin_parsers
from local.arguments import day, instant
from local.erase import add_erase_parser
from local.replay import add_replay_parser
from local.events_tail import add_events_parser
from shared.platform.resources import REFERRALS_TABLE
from shared.platform.deployment import SCHEDULES
from local.report import add_report_parser
from local.send import add_send_parser
from local.settings import SettingsError, function_environment, local_settings
from local.simulate import add_simulate_parser

# Run by hand only: fraud review again over past conversions, in the rewards function (its by-hand event).
RESCORE = "rescore"

logger = logging.getLogger(__name__)

READY_LINE = "wom is running. Press Ctrl-C to stop."

DEMO_CAMPAIGN = {
    "campaign_id": "demo",
    "name": "Demo referral programme",
    "destination_url": "https://shop.example.com/welcome?utm_source=wom#signup",
    "rewards": {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 500}},
}
DEMO_ADVOCATES = ("alice", "bob", "carol")


class AdminApiError(Exception):
    pass


def seed_demo(api: AdminApi) -> list[dict[str, Any]]:
    """Create the demo campaign (already there is fine) and its advocates; returns the advocates."""
    response = api.send(AdminRequest("POST", "/v1/campaigns", body=DEMO_CAMPAIGN))
    if response.status_code not in (201, 409):
        raise AdminApiError(f"POST /v1/campaigns: {response.status_code} {response.text[:200]}")
    advocates = []
    for customer_id in DEMO_ADVOCATES:
        response = api.send(AdminRequest("POST", f"/v1/campaigns/{DEMO_CAMPAIGN['campaign_id']}/advocates", body={"customer_id": customer_id}))
        if response.status_code not in (200, 201):
            raise AdminApiError(f"POST /v1/campaigns/demo/advocates: {response.status_code} {response.text[:200]}")
        advocates.append({"customer_id": customer_id, **response.json()})
    return advocates


# A browser's user agent: curl's own is (rightly) a bot, and bots and link previews are recorded but never counted.
BROWSER_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def demo_lines(base_url: str, token: str, advocates: list[dict[str, Any]], demo_url: str | None = None) -> list[str]:
    """The demo campaign's links and what to try with them (`wom run` prints them, `wom links` again)."""
    if not advocates:
        return ["The demo campaign could not be seeded; see the log above."]
    lines = ["Demo campaign 'demo', referral links:"]
    lines.extend(f"  {a['customer_id']:<6} {a.get('link') or base_url + '/r/' + a['code']}" for a in advocates)
    if demo_url:
        lines += ["", f"Demo shop page (wom.js: {advocates[0]['customer_id']}'s share block and referrals):  {demo_url}"]
    code = advocates[0]["code"]
    share = json.dumps({"events": [{"type": "share", "code": code, "channel": "whatsapp"}]}, separators=(",", ":"))
    return lines + [
        "",
        f"Tracking pixel (an email open):  {base_url}/p.gif?t=view&c={code}&ch=email",
        "",
        "Try (curl sends a browser's user agent: curl's own is a bot, recorded but never counted):",
        f"  curl -si -A '{BROWSER_USER_AGENT}' {base_url}/r/{code}",
        f"  curl -s -o /dev/null -A '{BROWSER_USER_AGENT}' '{base_url}/p.gif?t=view&c={code}&ch=email'",
        f"  curl -s -X POST {base_url}/v1/events -H 'Content-Type: application/json' -d '{share}'",
        f"  curl -s {base_url}/v1/campaigns/demo -H 'Authorization: Bearer {token}'",
        f"  curl -s {base_url}/openapi.json",
        f"  .venv/bin/wom send --api-url {base_url} conversion --order-id demo-$(date +%s) --amount 4999 "
        f"--customer-id friend-$(date +%s) --referral-code {code}",
        "  .venv/bin/wom campaigns list         .venv/bin/wom rewards list --campaign demo",
        "  .venv/bin/wom events tail            .venv/bin/wom links (this list again)",
    ]


def _banner(
    base_url: str, endpoint_url: str, token: str, advocates: list[dict[str, Any]], interval: float, data_note: str, jobs: str, demo_url: str | None = None
) -> str:
    lines = ["", f"wom local mode: API on {base_url}, AWS emulator on {endpoint_url}", data_note, "", *demo_lines(base_url, token, advocates, demo_url)]
    lines += [
        "",
        f"Scheduled jobs ({jobs}) run every {interval:g} s; events reach the raw event archive (events/ in the metrics bucket) within seconds.",
        READY_LINE,
        "",
    ]
    return "\n".join(lines)


def links(args: argparse.Namespace) -> int:
    """`wom links`: the demo campaign's links and hints again, from the running local mode."""
    settings = local_settings()
    api = AdminApi(args.api_url or settings.api_url, token=settings.admin_token)
    try:
        response = api.send(AdminRequest("GET", f"/v1/campaigns/{DEMO_CAMPAIGN['campaign_id']}/advocates", {"limit": "100"}))
    except AdminError as error:
        print(f"wom: {error}", file=sys.stderr)
        return 1
    if not response.ok:
        print(f"wom: GET /v1/campaigns/demo/advocates answered {response.status_code}: {response.text[:300]}", file=sys.stderr)
        return 1
    wanted = {customer_id: n for n, customer_id in enumerate(DEMO_ADVOCATES)}
    advocates = sorted((a for a in response.json()["advocates"] if a["customer_id"] in wanted), key=lambda a: wanted[a["customer_id"]])
    from local.demo import DEMO_PATH

    print("\n".join(demo_lines(api.base_url, settings.admin_token, advocates, api.base_url.rstrip("/") + DEMO_PATH)))
    return 0


def _serve_demo_page(gateway: Any, base_url: str, signing_secret: str, advocates: list[dict[str, Any]]) -> str | None:
    """The demo shop page for the first demo advocate, enrolled as a shop would (signed), with their status token."""
    from local.demo import DEMO_PATH, DemoError, demo_pages, enrol_from_the_shop

    if not advocates:
        return None
    customer_id = advocates[0]["customer_id"]
    try:
        advocate = enrol_from_the_shop(base_url, signing_secret, DEMO_CAMPAIGN["campaign_id"], customer_id)
    except (DemoError, OSError, ValueError) as error:
        logger.error("the demo shop page is not served: %s", error)
        return None
    gateway.pages.update(demo_pages(advocate, customer_id))
    return base_url + DEMO_PATH


def _install_stop_signals(stop: threading.Event) -> None:
    def _handle(signum: int, _frame: object) -> None:
        if stop.is_set():  # a second Ctrl-C: stop waiting for a clean shutdown
            raise KeyboardInterrupt
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, _handle)
    signal.signal(signal.SIGTERM, _handle)


def run(args: argparse.Namespace) -> int:
    """`wom run`: emulator, resources, gateway, demo data and the job scheduler, until Ctrl-C."""
    # Imported here: the other commands start faster without the emulator, the gateway and the jobs.
    from local.emulator import create_resources, emulator_clients, ensure_port_free, point_environment_at, start_emulator
    from local.events_tail import subscribe_tail
    from local.gateway import Gateway, start_gateway
    from local.jobs import register_scheduled_jobs
    from local.scheduler import SCHEDULED_JOBS, JobScheduler, ScheduledJob
    from local.archive import StreamPoller, streams_client
    from local.spill import SpillPoller
    from local.emulator import client
    from local.jobs import invoke_function
    from local.state import LocalState

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        settings = local_settings()
    except SettingsError as error:
        print(f"wom: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    _install_stop_signals(stop)

    base_url = settings.base_url
    for port, variable in ((settings.port, "WOM_PORT"), (settings.emulator_port, "WOM_EMULATOR_PORT")):
        try:
            ensure_port_free(port)
        except OSError as error:
            print(f"wom: port {port} is not free ({error.strerror}); set {variable} to another port", file=sys.stderr)
            return 1
    emulator = start_emulator(settings.emulator_port)
    server = scheduler = archive = stream = replay = spill = None
    state = LocalState(settings.data_dir, emulator_clients(emulator.endpoint_url))
    try:
        # The functions read their settings from the environment, as in AWS: local mode sets what the stack would.
        point_environment_at(emulator.endpoint_url)
        os.environ.update(function_environment(settings))
        create_resources(emulator_clients(emulator.endpoint_url))
        subscribe_tail(emulator_clients(emulator.endpoint_url))
        if getattr(args, "fresh", False):
            state.clear()
            data_note = f"Starting empty (--fresh); data is kept in {settings.data_dir} when it stops."
        else:
            restored = state.restore()
            data_note = f"Data kept in {settings.data_dir}: {restored.items} items and {restored.objects} objects restored (wom run --fresh starts empty)."
        # What DynamoDB Streams and the archive writer's event source mapping do in AWS. It reads from here on: the
        # restored items are in the stream again, and their archive objects were restored with the bucket.
        stream = StreamPoller(client("dynamodb", emulator.endpoint_url), streams_client(endpoint_url=emulator.endpoint_url), invoke_function)
        stream.start_at_latest()
        gateway = Gateway(admin_bearer_token=settings.admin_token, movable_clock=settings.movable_clock)
        server = start_gateway(gateway, settings.port)

        token = settings.admin_token
        try:
            advocates = seed_demo(AdminApi(base_url, token=token))
        except (AdminApiError, AdminError, OSError, ValueError) as error:
            logger.error("seeding the demo campaign failed: %s", error)
            advocates = []
        demo_url = _serve_demo_page(gateway, base_url, settings.signing_secret, advocates)
        register_scheduled_jobs()
        # After the jobs of each round, the data is saved, so a crash loses at most one interval.
        scheduler = JobScheduler(settings.jobs_interval, jobs=[*SCHEDULED_JOBS, ScheduledJob("save local data", lambda _now: state.save())])
        scheduler.start()
        archive = JobScheduler(settings.archive_interval, [ScheduledJob("archive", lambda _now: stream.poll_once())])
        archive.start()
        # What the spill queue's event source mapping does in AWS: the replay writes what a failed write spilled.
        spill = SpillPoller(client("sqs", emulator.endpoint_url), invoke_function)
        replay = JobScheduler(settings.replay_interval, [ScheduledJob("replay", lambda _now: spill.poll_once())])
        replay.start()
        faults_note = _inject_faults(settings)
        jobs = ", ".join(job.name for job in SCHEDULED_JOBS) or "none registered yet"
        print(_banner(base_url, emulator.endpoint_url, token, advocates, settings.jobs_interval, data_note, jobs, demo_url) + faults_note, flush=True)
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        if scheduler is not None:
            scheduler.stop()
        if archive is not None:
            archive.stop()
        if replay is not None:
            replay.stop()
        if spill is not None:
            try:
                spill.poll_once()  # what spilled since the last replay: the queue is not kept between runs
            except Exception:
                logger.exception("replaying the spill queue failed on the way out")
        if stream is not None:
            try:
                stream.poll_once()  # what arrived since the last read of the stream
            except Exception:
                logger.exception("archiving the events stream failed on the way out")
        if server is not None:
            server.shutdown()
            server.server_close()
            try:
                saved = state.save()
                print(f"Saved {saved.items} items and {saved.objects} objects to {settings.data_dir}.", flush=True)
            except Exception:
                logger.exception("saving local data to %s failed", settings.data_dir)
        emulator.stop()
        print("wom stopped.", flush=True)


def _inject_faults(settings: Any) -> str:
    """WOM_FAULTS: from now on (the demo data is in), the functions' DynamoDB calls fail as asked."""
    probability = settings.fault_probabilities.get("dynamodb")
    if not probability:
        return ""
    from local.faults import ThrottleSome
    from shared.platform.dynamo import add_client_hook

    add_client_hook(ThrottleSome(probability).install)
    return (
        f"\nWOM_FAULTS: {probability:.0%} of the functions' DynamoDB calls are throttled. Tracked events spill and are"
        f" replayed within {settings.replay_interval:g} s; signed routes may answer 503 (retry them)."
    )


def _invoke_job(job: str, now: datetime, day: Any = None, **extra: bool) -> int:
    """Runs a job's handler against the running local mode unless the environment names AWS; prints its answer.
    A run that set items aside prints its summary too, and exits 1 (as its Lambda invocation fails in AWS)."""
    from local.jobs import job_named, run_job

    return _invoke(job, lambda: run_job(job_named(job), now, day, **extra))


def _invoke(job: str, call: Any) -> int:
    from local.emulator import use_local_mode_unless_aws
    from shared.platform.errors import ItemsSetAside

    use_local_mode_unless_aws(REFERRALS_TABLE.env_var)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from shared.platform.observability import logger as function_logger

    function_logger.setLevel("CRITICAL")  # stdout carries the summary alone; set-aside items are in it
    try:
        answer = call()
    except ItemsSetAside as error:
        print(json.dumps(error.summary, indent=2, sort_keys=True))
        print(
            f"wom: the {job} job set {error.summary['set_aside']} item(s) aside (reasons above); "
            f"fix their cause, then run: wom jobs retry {job}",
            file=sys.stderr,
        )
        return 1
    print(json.dumps(answer, indent=2, sort_keys=True))
    return 0


# How far back `wom jobs run rescore --since` may ever reach (the archive's default retention); the rewards
# function refuses a day before its hot window.
RESCORE_MAX_DAYS = 400


def run_job_once(args: argparse.Namespace) -> int:
    """`wom jobs run <job> [--now] [--date] [--since --apply]`: against the running local mode unless the environment
    names AWS."""
    now = args.now or datetime.now(UTC)
    if args.job == RESCORE:
        return _rescore(args, now)
    if args.since is not None or args.apply:
        print("wom: --since and --apply are for rescore", file=sys.stderr)
        return 2
    if args.date is not None and args.job != "metrics":
        print("wom: --date is for the metrics job; the rewards job runs as of --now", file=sys.stderr)
        return 2
    return _invoke_job(args.job, now, args.date)


def _rescore(args: argparse.Namespace, now: datetime) -> int:
    """Dry run unless --apply: the report says what would change (or what changed)."""
    if args.since is None or args.date is not None:
        print("wom: rescore takes --since YYYY-MM-DD (and --apply to change what it reports)", file=sys.stderr)
        return 2
    days = (now.date() - args.since).days
    if not 0 <= days < RESCORE_MAX_DAYS:
        print(f"wom: --since must be a day from {RESCORE_MAX_DAYS - 1} days before --now to that day", file=sys.stderr)
        return 2
    from local.jobs import run_rescore

    return _invoke(RESCORE, lambda: run_rescore(now, args.since, args.apply))


def retry_set_aside(args: argparse.Namespace) -> int:
    """`wom jobs retry <job>`: the items earlier runs set aside go back to the job, which runs at once."""
    return _invoke_job(args.job, args.now or datetime.now(UTC), retry_set_aside=True)


def list_set_aside(args: argparse.Namespace) -> int:
    """`wom jobs set-aside <job>`: what earlier runs set aside, and why."""
    return _invoke_job(args.job, datetime.now(UTC), list_set_aside=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wom",
        description="wom local mode: the whole referral pipeline on this machine, against an embedded AWS emulator.",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    run_parser = commands.add_parser(
        "run",
        help="start the AWS emulator, the API on WOM_PORT and the scheduled jobs; Ctrl-C stops",
        description=(
            "Start moto server (127.0.0.1:WOM_EMULATOR_PORT, default 4566) with the stack's tables and bucket, "
            "the HTTP API with the Lambda handlers (127.0.0.1:WOM_PORT, default 8000), and the scheduled jobs "
            "every WOM_JOBS_INTERVAL seconds (default 60); seed a demo campaign and print its links."
        ),
    )
    run_parser.add_argument("--fresh", action="store_true", help="start empty: forget the data kept in WOM_DATA_DIR")
    run_parser.set_defaults(handler=run)
    links_parser = commands.add_parser("links", help="print the demo campaign's links and what to try again, from the running local mode")
    links_parser.add_argument("--api-url", help="the API's base URL (default $WOM_API_URL, else local mode's API)")
    links_parser.set_defaults(handler=links)
    add_send_parser(commands)
    jobs_parser = commands.add_parser("jobs", help="run a scheduled job once, now or as of a given time")
    jobs_commands = jobs_parser.add_subparsers(dest="jobs_command", metavar="run|retry|set-aside", required=True)
    run_job_parser = jobs_commands.add_parser(
        "run",
        help="run one job against local mode's emulator (WOM_EMULATOR_PORT) or, with AWS_ENDPOINT_URL unset and "
        "WOM_* names set, wherever the environment points",
    )
    run_job_parser.add_argument("job", choices=[*(schedule.name for schedule in SCHEDULES), RESCORE])
    run_job_parser.add_argument("--now", type=instant, help="ISO-8601 time to run as of (default: now)")
    run_job_parser.add_argument("--date", type=day, help="metrics: recompute this one UTC day (default: today and yesterday)")
    run_job_parser.add_argument(
        "--since", type=day, help="rescore: fraud review again over the conversions from this UTC day to today, with today's settings"
    )
    run_job_parser.add_argument("--apply", action="store_true", help="rescore: make the changes it reports (default: a dry run)")
    run_job_parser.set_defaults(handler=run_job_once)
    retry_parser = jobs_commands.add_parser(
        "retry",
        help="give a job the items its earlier runs set aside (after fixing their cause), then run it; same targets as run",
    )
    retry_parser.add_argument("job", choices=[schedule.name for schedule in SCHEDULES])
    retry_parser.add_argument("--now", type=instant, help="ISO-8601 time to run as of (default: now)")
    retry_parser.set_defaults(handler=retry_set_aside)
    set_aside_parser = jobs_commands.add_parser("set-aside", help="list what a job's earlier runs set aside, and why; same targets as run")
    set_aside_parser.add_argument("job", choices=[schedule.name for schedule in SCHEDULES])
    set_aside_parser.set_defaults(handler=list_set_aside)
    add_erase_parser(commands)
    add_replay_parser(commands)
    add_simulate_parser(commands)
    add_report_parser(commands)
    add_admin_parsers(commands)
    add_events_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
