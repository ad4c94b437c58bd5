"""The composition root: settings, one DynamoDB client, one clock → the services each function uses.

Built lazily, once per function instance; each factory imports only what its function needs, so the tracking
function never loads the admin, conversion or job code. Tests and local mode move time with `use_clock`.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from shared.platform.clock import Clock, utc_now
from shared.platform.dynamo import dynamodb_client, forget_clients
from shared.platform.resources import SPILL_QUEUE
from shared.platform.settings import Settings, get_settings

if TYPE_CHECKING:
    from shared.archive.service import ArchiveWriter
    from shared.campaigns.service import CampaignService
    from shared.conversions.service import ConversionService
    from shared.conversions.webhooks.service import WebhookService
    from shared.fraud.rescore import Rescore
    from shared.metrics.job import MetricsJob
    from shared.privacy.job import PrivacyJob
    from shared.privacy.service import ErasureService
    from shared.rewards.job import RewardsJob
    from shared.campaigns.storefront import StorefrontService
    from shared.rewards.service import RewardService
    from shared.tracking.replay import EventReplay
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


def _secrets(arn: str | None, local_value: str) -> list[str]:
    """Every secret in force: several, comma-separated, while a rotation overlaps."""
    return [secret.strip() for secret in _secret(arn, local_value).split(",") if secret.strip()]


def signing_secrets() -> list[str]:
    """The storefront signing secrets of Wom-Signature."""
    config = settings()
    return _secrets(config.signing_secret_arn, config.signing_secret)


def stripe_webhook_secrets() -> list[str]:
    config = settings()
    return _secrets(config.stripe_webhook_secret_arn, config.stripe_webhook_secret)


def shopify_secrets() -> list[str]:
    config = settings()
    return _secrets(config.shopify_secret_arn, config.shopify_secret)


def status_token_keys() -> list[str]:
    """The keys of advocates' status tokens in force: the first signs new tokens, any of them reads one."""
    config = settings()
    return _secrets(config.status_token_key_secret_arn, config.status_token_key)


@lru_cache(maxsize=1)
def tracking() -> TrackingService:
    from shared.campaigns.targets import LinkTargetReader
    from shared.tracking.repository import EventRepository
    from shared.tracking.salts import VisitorSaltRepository
    from shared.tracking.service import LinkTargets, TrackingService
    from shared.tracking.spill import SpillQueue

    config, client = settings(), dynamodb_client()
    return TrackingService(
        targets=LinkTargets(LinkTargetReader(client, config.referrals_table), clock=now),
        events=EventRepository(client, config.events_table),
        salts=VisitorSaltRepository(client, config.salts_table),
        clock=now,
        retention_days=config.hot_event_days,
        spill=SpillQueue(_spill_client, config.spill_queue_url, SPILL_QUEUE.local_name),
    )


def _spill_client() -> object:
    import boto3

    from shared.platform.budget import budget_for, limits_here

    budget = budget_for("tracking")
    return boto3.client("sqs", config=limits_here(budget.spill or budget.storage).config())


@lru_cache(maxsize=1)
def replay() -> EventReplay:
    from shared.campaigns.targets import LinkTargetReader
    from shared.tracking.replay import EventReplay
    from shared.tracking.repository import EventRepository

    config, client = settings(), dynamodb_client()
    return EventReplay(
        EventRepository(client, config.events_table, config.referrals_table), LinkTargetReader(client, config.referrals_table), clock=now
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
        retention_days=config.hot_event_days,
    )


@lru_cache(maxsize=1)
def webhooks() -> WebhookService:
    from shared.campaigns.repository import CampaignRepository
    from shared.conversions.webhooks.repository import WebhookRepository
    from shared.conversions.webhooks.service import WebhookService

    config, client = settings(), dynamodb_client()
    return WebhookService(
        conversions=conversions(),
        webhooks=WebhookRepository(client, config.referrals_table),
        find_referrer=CampaignRepository(client, config.referrals_table).find_referrer,
        hash_key=email_hash_key,
        clock=now,
        # Shopify's customers/redact: the same erasure as DELETE /v1/customers/{id}.
        erase_customer=lambda customer_id: erasures().erase_customer(customer_id, source="shopify").model_dump(mode="json"),
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
        hot_event_days=config.hot_event_days,
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
    from shared.campaigns.repository import CampaignRepository
    from shared.rewards.repository import RewardRepository
    from shared.rewards.service import RewardService

    config, client = settings(), dynamodb_client()
    return RewardService(
        # A review's changes leave their facts for the metrics job, as the rewards job's do.
        RewardRepository(client, config.referrals_table, config.events_table),
        CampaignRepository(client, config.referrals_table),
        clock=now,
        retention_days=config.hot_event_days,
    )


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
        config.hot_event_days,
    )


@lru_cache(maxsize=1)
def rescore() -> Rescore:
    from shared.campaigns.repository import CampaignRepository
    from shared.fraud.repository import CreatedRewards
    from shared.fraud.rescore import Rescore
    from shared.rewards.repository import RewardRepository

    config, client = settings(), dynamodb_client()
    return Rescore(
        RewardRepository(client, config.referrals_table, config.events_table),
        CampaignRepository(client, config.referrals_table),
        CreatedRewards(client, config.events_table),
        config.hot_event_days,
    )


@lru_cache(maxsize=1)
def metrics_job() -> MetricsJob:
    import boto3

    from shared.archive.repository import ArchiveObjects
    from shared.archive.service import ArchiveReader
    from shared.campaigns.repository import CampaignRepository
    from shared.metrics.job import MetricsJob
    from shared.metrics.ledger import CustomerLedger
    from shared.metrics.repository import AdvocateDailyCounts, DayReader, MetricsObjects, SetAsideDays
    from shared.platform.dynamo import Table

    config, client, s3 = settings(), dynamodb_client(), boto3.client("s3")
    return MetricsJob(
        CampaignRepository(client, config.referrals_table),
        DayReader(client, config.events_table),
        MetricsObjects(s3, config.metrics_bucket),
        AdvocateDailyCounts(client, config.referrals_table),
        SetAsideDays(client, config.referrals_table),
        now,
        archive=ArchiveReader(ArchiveObjects(s3, config.metrics_bucket)),
        hot_event_days=config.hot_event_days,
        ledger=CustomerLedger(Table(client, config.referrals_table)),
    )


@lru_cache(maxsize=1)
def erasures() -> ErasureService:
    from shared.privacy.repository import ErasureRepository
    from shared.privacy.service import ErasureService

    config, client = settings(), dynamodb_client()
    return ErasureService(ErasureRepository(client, config.referrals_table), hash_key=email_hash_key, clock=now)


@lru_cache(maxsize=1)
def privacy_job() -> PrivacyJob:
    from shared.campaigns.repository import CampaignRepository
    from shared.conversions.repository import ConversionRepository
    from shared.privacy.job import PrivacyJob
    from shared.privacy.repository import ErasureRepository
    from shared.rewards.repository import RewardRepository
    from shared.tracking.salts import VisitorSaltRepository

    config, client = settings(), dynamodb_client()
    return PrivacyJob(
        ErasureRepository(client, config.referrals_table),
        CampaignRepository(client, config.referrals_table),
        ConversionRepository(client, config.referrals_table, config.events_table),
        RewardRepository(client, config.referrals_table),
        VisitorSaltRepository(client, config.salts_table),
    )


@lru_cache(maxsize=1)
def archive_writer() -> ArchiveWriter:
    import boto3

    from shared.archive.repository import ArchiveObjects
    from shared.archive.service import ArchiveWriter

    return ArchiveWriter(ArchiveObjects(boto3.client("s3"), settings().metrics_bucket))


def reset() -> None:
    """Forget every built service, client and setting (tests that change the environment call this)."""
    for factory in (tracking, conversions, webhooks, campaigns, storefront, rewards, rewards_job, rescore, metrics_job, erasures, privacy_job, archive_writer, replay, get_settings):
        factory.cache_clear()
    forget_clients()
    use_clock(utc_now)
