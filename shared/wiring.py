"""Wiring: settings + one DynamoDB client → the repositories a function uses. Built once per instance."""

from __future__ import annotations

import threading
from functools import lru_cache

from cachetools import TTLCache

from shared.platform.clock import utc_now
from shared.tracking.models import LinkTarget
from shared.platform.dynamo import dynamodb_client
from shared.tracking.repository import EventRepository
from shared.campaigns.repository import CampaignRepository
from shared.tracking.salts import VisitorSaltRepository
from shared.platform.settings import Settings, get_settings

# Codes resolve to the same target for long stretches; a short cache spares a read pair per click.
LINK_TARGET_TTL_SECONDS = 60


class Tracking:
    def __init__(self, settings: Settings, client) -> None:
        self.settings = settings
        self.events = EventRepository(client, settings.events_table)
        self.campaigns = CampaignRepository(client, settings.referrals_table)
        self.salts = VisitorSaltRepository(client, settings.referrals_table)
        self._targets: TTLCache = TTLCache(maxsize=4096, ttl=LINK_TARGET_TTL_SECONDS)
        self._targets_lock = threading.Lock()  # local mode serves requests from several threads

    def link_target(self, code: str) -> LinkTarget | None:
        with self._targets_lock:
            if code in self._targets:
                return self._targets[code]
        target = self.campaigns.find_link_target(code)
        with self._targets_lock:
            self._targets[code] = target
        return target


def _secret(arn: str | None, local_value: str) -> str:
    """A Secrets Manager value in AWS (cached a few minutes, so a rotation lands), the plain value locally."""
    if arn:
        from aws_lambda_powertools.utilities.parameters import get_secret

        return str(get_secret(arn, max_age=300))
    return local_value


def email_hash_key(settings: Settings) -> bytes:
    return _secret(settings.hash_key_secret_arn, settings.hash_key).encode()


class Admin:
    def __init__(self, settings: Settings, client) -> None:
        from shared.rewards.repository import RewardRepository

        self.settings = settings
        self.campaigns = CampaignRepository(client, settings.referrals_table)
        self.rewards = RewardRepository(client, settings.referrals_table)

    def hash_key(self) -> bytes:
        return email_hash_key(self.settings)


class Conversions:
    def __init__(self, settings: Settings, client) -> None:
        # Imported here so the tracking function does not load what only this function uses.
        from shared.conversions.service import ConversionService
        from shared.conversions.repository import ConversionRepository

        self.settings = settings
        self.service = ConversionService(
            campaigns=CampaignRepository(client, settings.referrals_table),
            events=EventRepository(client, settings.events_table),
            conversions=ConversionRepository(client, settings.referrals_table, settings.events_table),
            hash_key=lambda: email_hash_key(settings),
            clock=utc_now,
            retention_days=settings.raw_event_retention_days,
        )

    def signing_secrets(self) -> list[str]:
        value = _secret(self.settings.signing_secret_arn, self.settings.signing_secret)
        return [secret.strip() for secret in value.split(",") if secret.strip()]


@lru_cache(maxsize=1)
def tracking() -> Tracking:
    return Tracking(get_settings(), dynamodb_client())


@lru_cache(maxsize=1)
def admin() -> Admin:
    return Admin(get_settings(), dynamodb_client())


@lru_cache(maxsize=1)
def conversions() -> Conversions:
    return Conversions(get_settings(), dynamodb_client())


@lru_cache(maxsize=1)
def rewards_job():  # noqa: ANN201 - imported lazily: only the rewards function needs it
    import boto3

    from shared.rewards.repository import RewardRepository
    from shared.rewards.job import RewardsJob

    settings, client = get_settings(), dynamodb_client()
    return RewardsJob(
        RewardRepository(client, settings.referrals_table, settings.events_table),
        CampaignRepository(client, settings.referrals_table),
        boto3.client("events"),
        settings.event_bus,
        settings.raw_event_retention_days,
    )


@lru_cache(maxsize=1)
def metrics_job():  # noqa: ANN201 - imported lazily: only the metrics function needs it
    import boto3

    from shared.metrics.job import MetricsJob
    from shared.metrics.repository import AdvocateActivity, DayReader, MetricsObjects

    settings, client = get_settings(), dynamodb_client()
    return MetricsJob(
        CampaignRepository(client, settings.referrals_table),
        DayReader(client, settings.events_table),
        MetricsObjects(boto3.client("s3"), settings.metrics_bucket),
        AdvocateActivity(client, settings.referrals_table),
    )


def reset() -> None:
    """Forget every cached client and setting (tests that change the environment call this)."""
    for factory in (tracking, admin, conversions, rewards_job, metrics_job, get_settings, dynamodb_client):
        factory.cache_clear()
