"""Campaigns, their rules versions, advocates and their codes in the referrals table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.platform import keys
from shared.conversions.attribution import Referrer
from shared.platform.ids import new_advocate_id, new_code
from shared.platform.errors import Conflict
from shared.campaigns.models import Advocate, Campaign, RewardRules
from shared.tracking.models import LinkTarget
from shared.platform.dynamo import cancellation_reasons, deserialise, serialise

_NOT_EXISTS = "attribute_not_exists(pk)"


class CampaignRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _get(self, key: keys.Key, consistent: bool = False) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key=serialise(key), ConsistentRead=consistent)
        item = response.get("Item")
        return deserialise(item) if item else None

    def _put(self, key: keys.Key, attributes: dict[str, Any], condition: str | None = None) -> dict:
        put: dict[str, Any] = {"TableName": self._table, "Item": serialise({**key, **attributes})}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}

    def create_campaign(self, campaign: Campaign) -> None:
        """The campaign, its first rules version and its entry in the campaign list, together or not at all."""
        body = campaign.model_dump(mode="json")
        try:
            self._client.transact_write_items(
                TransactItems=[
                    self._put(keys.campaign_key(campaign.campaign_id), {"kind": "campaign", **body}, _NOT_EXISTS),
                    self._put(
                        keys.rules_key(campaign.campaign_id, campaign.rules_version),
                        {"kind": "rules", "rewards": body["rewards"], "created_at": campaign.created_at},
                        _NOT_EXISTS,
                    ),
                    self._put(
                        keys.campaign_listing_key(campaign.campaign_id),
                        {
                            "kind": "campaign_listing",
                            "campaign_id": campaign.campaign_id,
                            "currency": campaign.currency,
                            "created_at": campaign.created_at,
                        },
                        _NOT_EXISTS,
                    ),
                ]
            )
        except ClientError as error:
            if "ConditionalCheckFailed" in cancellation_reasons(error):
                raise Conflict(f"campaign {campaign.campaign_id!r} already exists", code="campaign_exists") from error
            raise

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Every campaign's id, currency and creation time, from the campaign list (one partition, never a scan)."""
        found: list[dict[str, Any]] = []
        for page in self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=serialise({":pk": keys.CAMPAIGN_LISTING}),
            ConsistentRead=True,
        ):
            found += [deserialise(item) for item in page.get("Items", [])]
        return found

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        item = self._get(keys.campaign_key(campaign_id))
        return Campaign.model_validate(item) if item else None

    def get_rules(self, campaign_id: str, version: int) -> RewardRules | None:
        item = self._get(keys.rules_key(campaign_id, version))
        return RewardRules.model_validate(item["rewards"]) if item else None

    def update_campaign(self, campaign: Campaign, changes: dict[str, Any], new_rules: dict[str, Any] | None, now: str) -> Campaign:
        """Applies a PATCH; new rules become the next version, written with the campaign or not at all.
        Conditional on the version read, so two concurrent PATCHes cannot both make version n+1."""
        version = campaign.rules_version + (1 if new_rules is not None else 0)
        updated = Campaign.model_validate({**campaign.model_dump(mode="json"), **changes, "rules_version": version})
        body = updated.model_dump(mode="json")
        put = self._put(keys.campaign_key(campaign.campaign_id), {"kind": "campaign", **body}, "rules_version = :read_version")
        put["Put"]["ExpressionAttributeValues"] = serialise({":read_version": campaign.rules_version})
        items: list[dict] = [put]
        if new_rules is not None:
            items.append(self._put(keys.rules_key(campaign.campaign_id, version), {"kind": "rules", "rewards": body["rewards"], "created_at": now}, _NOT_EXISTS))
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if "ConditionalCheckFailed" in cancellation_reasons(error):
                raise Conflict("the campaign changed meanwhile; read it and try again", code="concurrent_update") from error
            raise
        return updated

    def find_enrolment(self, campaign_id: str, customer_id: str) -> Advocate | None:
        enrolment = self._get(keys.enrolment_key(campaign_id, customer_id), consistent=True)
        if not enrolment:
            return None
        return self.get_advocate(enrolment["advocate_id"])

    def get_advocate(self, advocate_id: str) -> Advocate | None:
        item = self._get(keys.advocate_key(advocate_id), consistent=True)
        return Advocate.model_validate(item) if item else None

    def enrol_advocate(self, campaign_id: str, customer_id: str, email_hash: str | None, now: datetime) -> tuple[Advocate, bool]:
        """(advocate, created). The same customer twice in a campaign is the same advocate, even when racing."""
        existing = self.find_enrolment(campaign_id, customer_id)
        if existing:
            return existing, False
        for _ in range(3):
            advocate = Advocate(
                advocate_id=new_advocate_id(),
                campaign_id=campaign_id,
                customer_id=customer_id,
                code=new_code(),
                created_at=now.isoformat(),
                email_hash=email_hash,
            )
            try:
                self._client.transact_write_items(TransactItems=self._advocate_writes(advocate))
                return advocate, True
            except ClientError as error:
                reasons = cancellation_reasons(error)
                if not reasons:
                    raise
                if reasons[0] == "ConditionalCheckFailed":
                    winner = self.find_enrolment(campaign_id, customer_id)
                    if winner:
                        return winner, False
                # Otherwise a code or id collided: draw new ones.
        raise Conflict("could not allocate a unique referral code; retry", code="code_collision")

    def _advocate_writes(self, advocate: Advocate) -> list[dict]:
        body = advocate.model_dump(exclude_none=True)
        return [
            self._put(
                keys.enrolment_key(advocate.campaign_id, advocate.customer_id),
                {"kind": "enrolment", "advocate_id": advocate.advocate_id},
                _NOT_EXISTS,
            ),
            self._put(keys.advocate_key(advocate.advocate_id), {"kind": "advocate", **body}, _NOT_EXISTS),
            self._put(
                keys.code_key(advocate.code),
                {"kind": "code", "campaign_id": advocate.campaign_id, "advocate_id": advocate.advocate_id, "status": "active"},
                _NOT_EXISTS,
            ),
        ]

    def find_link_target(self, code: str) -> LinkTarget | None:
        """What an active code leads to, or None for an unknown or disabled one."""
        code_item = self._get(keys.code_key(code))
        if not code_item or code_item.get("status") != "active":
            return None
        campaign = self._get(keys.campaign_key(code_item["campaign_id"]))
        if not campaign or campaign.get("status") != "active":
            return None
        return LinkTarget(
            code=code,
            campaign_id=code_item["campaign_id"],
            advocate_id=code_item["advocate_id"],
            destination_url=campaign["destination_url"],
        )

    def find_referrer(self, code: str) -> Referrer | None:
        """The advocate behind an active code in an active campaign, for attribution."""
        code_item = self._get(keys.code_key(code))
        if not code_item or code_item.get("status") != "active":
            return None
        campaign = self.get_campaign(code_item["campaign_id"])
        advocate = self.get_advocate(code_item["advocate_id"])
        if campaign is None or campaign.status != "active" or advocate is None:
            return None
        return Referrer(
            campaign_id=campaign.campaign_id,
            advocate_id=advocate.advocate_id,
            advocate_customer_id=advocate.customer_id,
            advocate_email_hash=advocate.email_hash,
            attribution_window_days=campaign.attribution_window_days,
            first_purchase_only=campaign.rewards.first_purchase_only,
            rules_version=campaign.rules_version,
        )
