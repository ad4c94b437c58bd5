"""The composition root: settings, one DynamoDB client, one clock → the services each function uses.

Built lazily, once per function instance; each factory imports only what its function needs, so the tracking
function never loads the admin, conversion or job code. Tests and local mode move time with `use_clock`.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from shared.platform.clock import Clock, utc_now
from shared.platform.dynamo import dynamodb_client
from shared.platform.settings import Settings, get_settings

if TYPE_CHECKING:
    from shared.campaigns.service import CampaignService
    from shared.conversions.service import ConversionService
    from shared.metrics.job import MetricsJob
    from shared.rewards.job import RewardsJob
    from shared.campaigns.storefront import StorefrontService
    from shared.rewards.service import RewardService
    from shared.tracking.service import TrackingService

_clock: Clock = utc_now


def now() -> datetime:
    """The time as every service and job of this process sees it."""
    return _clock()


def use_clock(clock: Clock) -> None:
    """Hand every service (already built or not) another clock; `use_clock(utc_now)` restores the system's."""
    global _clock
    _clock = clock


def settings() -> Settings:
    return get_settings()


def _secret(arn: str | None, local_value: str) -> str:
    """A Secrets Manager value in AWS (cached a few minutes, so a rotation lands), the plain value locally."""
    if arn:
        from aws_lambda_powertools.utilities.parameters import get_secret

        return str(get_secret(arn, max_age=300))
    return local_value


def email_hash_key() -> bytes:
    config = settings()
    return _secret(config.hash_key_secret_arn, config.hash_key).encode()


def _values(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def signing_secrets() -> list[str]:
    """The storefront signing secrets in force (several, comma-separated, during a rotation)."""
    config = settings()
    return _values(_secret(config.signing_secret_arn, config.signing_secret))


def status_token_keys() -> list[str]:
    """The keys of advocates' status tokens in force: the first signs new tokens, any of them reads one."""
    config = settings()
    return _values(_secret(config.status_token_key_secret_arn, config.status_token_key))


@lru_cache(maxsize=1)
def tracking() -> TrackingService:
    from shared.campaigns.repository import CampaignRepository
    from shared.tracking.repository import EventRepository
    from shared.tracking.salts import VisitorSaltRepository
    from shared.tracking.service import LinkTargets, TrackingService

    config, client = settings(), dynamodb_client()
    return TrackingService(
        targets=LinkTargets(CampaignRepository(client, config.referrals_table)),
        events=EventRepository(client, config.events_table),
        salts=VisitorSaltRepository(client, config.referrals_table),
        clock=now,
        retention_days=config.raw_event_retention_days,
    )


@lru_cache(maxsize=1)
def conversions() -> ConversionService:
    from shared.campaigns.repository import CampaignRepository
    from shared.conversions.repository import ConversionRepository
    from shared.conversions.service import ConversionService
    from shared.tracking.repository import EventRepository

    config, client = settings(), dynamodb_client()
    return ConversionService(
        campaigns=CampaignRepository(client, config.referrals_table),
        events=EventRepository(client, config.events_table),
        conversions=ConversionRepository(client, config.referrals_table, config.events_table),
        hash_key=email_hash_key,
        clock=now,
        retention_days=config.raw_event_retention_days,
    )


@lru_cache(maxsize=1)
def campaigns() -> CampaignService:
    from shared.campaigns.repository import CampaignRepository
    from shared.campaigns.service import CampaignService
    from shared.metrics.repository import AdvocateDailyCounts
    from shared.rewards.repository import RewardRepository

    config, client = settings(), dynamodb_client()
    return CampaignService(
        campaigns=CampaignRepository(client, config.referrals_table),
        rewards=RewardRepository(client, config.referrals_table),
        advocate_days=AdvocateDailyCounts(client, config.referrals_table),
        hash_key=email_hash_key,
        clock=now,
    )


@lru_cache(maxsize=1)
def storefront() -> StorefrontService:
    from shared.campaigns.repository import CampaignRepository
    from shared.campaigns.storefront import StorefrontService
    from shared.metrics.repository import AdvocateDailyCounts
    from shared.rewards.repository import RewardRepository

    config, client = settings(), dynamodb_client()
    return StorefrontService(
        enrolments=campaigns(),
        campaigns=CampaignRepository(client, config.referrals_table),
        rewards=RewardRepository(client, config.referrals_table),
        advocate_days=AdvocateDailyCounts(client, config.referrals_table),
        token_keys=status_token_keys,
        clock=now,
    )


@lru_cache(maxsize=1)
def rewards() -> RewardService:
    from shared.rewards.repository import RewardRepository
    from shared.rewards.service import RewardService

    config, client = settings(), dynamodb_client()
    return RewardService(RewardRepository(client, config.referrals_table), clock=now)


@lru_cache(maxsize=1)
def rewards_job() -> RewardsJob:
    import boto3

    from shared.campaigns.repository import CampaignRepository
    from shared.rewards.job import RewardsJob
    from shared.rewards.repository import RewardRepository

    config, client = settings(), dynamodb_client()
    return RewardsJob(
        RewardRepository(client, config.referrals_table, config.events_table),
        CampaignRepository(client, config.referrals_table),
        boto3.client("events"),
        config.event_bus,
        config.raw_event_retention_days,
    )


@lru_cache(maxsize=1)
def metrics_job() -> MetricsJob:
    import boto3

    from shared.campaigns.repository import CampaignRepository
    from shared.metrics.job import MetricsJob
    from shared.metrics.repository import AdvocateDailyCounts, DayReader, MetricsObjects, SetAsideDays

    config, client = settings(), dynamodb_client()
    return MetricsJob(
        CampaignRepository(client, config.referrals_table),
        DayReader(client, config.events_table),
        MetricsObjects(boto3.client("s3"), config.metrics_bucket),
        AdvocateDailyCounts(client, config.referrals_table),
        SetAsideDays(client, config.referrals_table),
        now,
    )


def reset() -> None:
    """Forget every built service, client and setting (tests that change the environment call this)."""
    for factory in (tracking, conversions, campaigns, storefront, rewards, rewards_job, metrics_job, get_settings, dynamodb_client):
        factory.cache_clear()
    use_clock(utc_now)
