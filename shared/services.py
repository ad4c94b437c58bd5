"""Wiring: settings + one DynamoDB client → the repositories a function uses. Built once per instance."""

from __future__ import annotations

import threading
from functools import lru_cache

from cachetools import TTLCache

from shared.models import LinkTarget
from shared.repositories.dynamo import dynamodb_client
from shared.repositories.events import EventRepository
from shared.repositories.referrals import CampaignRepository, VisitorSaltRepository
from shared.settings import Settings, get_settings

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


class Admin:
    def __init__(self, settings: Settings, client) -> None:
        self.settings = settings
        self.campaigns = CampaignRepository(client, settings.referrals_table)

    def hash_key(self) -> bytes:
        if self.settings.hash_key_secret_arn:
            from aws_lambda_powertools.utilities.parameters import get_secret

            return str(get_secret(self.settings.hash_key_secret_arn, max_age=900)).encode()
        return self.settings.hash_key.encode()


@lru_cache(maxsize=1)
def tracking() -> Tracking:
    return Tracking(get_settings(), dynamodb_client())


@lru_cache(maxsize=1)
def admin() -> Admin:
    return Admin(get_settings(), dynamodb_client())


def reset() -> None:
    """Forget every cached client and setting (tests that change the environment call this)."""
    for factory in (tracking, admin, get_settings, dynamodb_client):
        factory.cache_clear()
