"""Campaigns, their rules versions, advocates and their codes in the referrals table."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.campaigns.models import Advocate, Campaign, RecordedConsent, RewardRules
from shared.conversions.attribution import Referrer
from shared.platform import keys
from shared.platform.dynamo import AlreadyStored, ConditionFailed, Table, TransactionCancelled, transact
from shared.platform.ids import new_advocate_id, new_code
from shared.privacy.index import CustomerErasing, CustomerIndex

# Codes and advocate ids are random: a collision is rare, three in a row is a fault.
_ENROLMENT_ATTEMPTS = 3
# Where the customer's state check sits in an enrolment's transaction (see _advocate_writes).
_STATE_CHECK = 3
# Concurrent enrolments in one campaign each move its advocate counter once: a lost race counts again.
_COUNT_ATTEMPTS = 20


class CodesExhausted(ConditionFailed):
    """Every code drawn for a new advocate was taken."""


class CampaignRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = Table(client, table_name)
        self._index = CustomerIndex(self._table)

    def _rules_op(self, campaign_id: str, version: int, rewards: dict[str, Any], created_at: str) -> dict:
        return self._table.put_new_op(keys.rules_key(campaign_id, version), {"kind": "rules", "rewards": rewards, "created_at": created_at})

    def create_campaign(self, campaign: Campaign) -> None:
        """The campaign, its first rules version and its entry in the campaign list, together or not at all.
        Raises AlreadyStored when the campaign id is taken."""
        body = campaign.model_dump(mode="json")
        listing = {"kind": "campaign_listing", "campaign_id": campaign.campaign_id, "currency": campaign.currency, "created_at": campaign.created_at}
        try:
            transact(
                self._client,
                [
                    self._table.put_new_op(keys.campaign_key(campaign.campaign_id), {"kind": "campaign", **body}),
                    self._rules_op(campaign.campaign_id, campaign.rules_version, body["rewards"], campaign.created_at),
                    self._table.put_new_op(keys.campaign_listing_key(campaign.campaign_id), listing),
                ],
            )
        except TransactionCancelled as cancelled:
            if cancelled.any_condition_failed:
                raise AlreadyStored(campaign.campaign_id) from cancelled
            raise

    def page_campaigns(self, cursor: str | None, limit: int) -> tuple[list[Campaign], str | None]:
        """A page of campaigns by id, from the campaign list (one partition) and one batch read. Raises
        InvalidCursor for a cursor of another listing."""
        entries, next_cursor = self._table.page(
            limit=limit,
            cursor=cursor,
            cursor_names={"pk", "sk"},
            listing={"pk": keys.CAMPAIGN_LISTING},
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": keys.CAMPAIGN_LISTING},
        )
        items = self._table.get_many([keys.campaign_key(entry["campaign_id"]) for entry in entries])
        return [Campaign.model_validate(item) for item in items], next_cursor

    def page_advocates(self, campaign_id: str, cursor: str | None, limit: int) -> tuple[list[Advocate], str | None]:
        """A page of a campaign's advocates by customer id: its enrolments (one partition) and one batch read.
        Raises InvalidCursor for a cursor of another listing."""
        partition = keys.campaign_key(campaign_id)["pk"]
        enrolments, next_cursor = self._table.page(
            limit=limit,
            cursor=cursor,
            cursor_names={"pk", "sk"},
            listing={"pk": partition},
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": partition, ":prefix": keys.ENROLMENT_PREFIX},
        )
        items = self._table.get_many([keys.advocate_key(entry["advocate_id"]) for entry in enrolments])
        return [Advocate.model_validate(item) for item in items], next_cursor

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Every campaign's id, currency and creation time, from the campaign list (one partition, never a scan)."""
        return self._table.partition(keys.CAMPAIGN_LISTING, consistent=True)

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        item = self._table.get(keys.campaign_key(campaign_id))
        return Campaign.model_validate(item) if item else None

    def get_rules(self, campaign_id: str, version: int) -> RewardRules | None:
        item = self._table.get(keys.rules_key(campaign_id, version))
        return RewardRules.model_validate(item["rewards"]) if item else None

    def save_change(self, updated: Campaign, read_version: int, new_rules: bool, now: str) -> None:
        """Stores a changed campaign (and, with `new_rules`, its rules as version `updated.rules_version`),
        conditional on the rules version read, so two concurrent changes cannot both make version n+1.
        Raises ConditionFailed when the campaign changed meanwhile."""
        body = updated.model_dump(mode="json")
        operations = [
            self._table.put_op(
                {**keys.campaign_key(updated.campaign_id), "kind": "campaign", **body},
                "rules_version = :read_version",
                {":read_version": read_version},
            )
        ]
        if new_rules:
            operations.append(self._rules_op(updated.campaign_id, updated.rules_version, body["rewards"], now))
        try:
            transact(self._client, operations)
        except TransactionCancelled as cancelled:
            if cancelled.any_condition_failed:
                raise ConditionFailed(updated.campaign_id) from cancelled
            raise

    def find_enrolment(self, campaign_id: str, customer_key: str) -> Advocate | None:
        enrolment = self._table.get(keys.enrolment_key(campaign_id, customer_key), consistent=True)
        if not enrolment:
            return None
        return self.get_advocate(enrolment["advocate_id"])

    def get_advocate(self, advocate_id: str) -> Advocate | None:
        item = self._table.get(keys.advocate_key(advocate_id), consistent=True)
        return Advocate.model_validate(item) if item else None

    def enrol_advocate(
        self,
        campaign_id: str,
        customer_id: str,
        customer_key: str,
        email_hash: str | None,
        consent: RecordedConsent | None,
        created_at: str,
        mailbox_hash: str | None = None,
    ) -> tuple[Advocate, bool]:
        """(advocate, created). The same customer twice in a campaign is the same advocate, even when racing.
        Raises CodesExhausted when no free code could be drawn, CustomerErasing while the customer is erased."""
        existing = self.find_enrolment(campaign_id, customer_key)
        if existing:
            return existing, False
        collisions = 0
        for _ in range(_ENROLMENT_ATTEMPTS + _COUNT_ATTEMPTS):
            if collisions >= _ENROLMENT_ATTEMPTS:
                break
            listing = self._enrolled(campaign_id)
            advocate = Advocate(
                advocate_id=new_advocate_id(),
                campaign_id=campaign_id,
                customer_id=customer_id,
                customer_key=customer_key,
                code=new_code(),
                created_at=created_at,
                email_hash=email_hash,
                consent=consent,
                mailbox_hash=mailbox_hash,
            )
            writes = self._advocate_writes(advocate)
            count_at = len(writes)
            try:
                transact(self._client, writes + self._count_writes(campaign_id, created_at[:10], listing))
                return advocate, True
            except TransactionCancelled as cancelled:
                if cancelled.failed_at(_STATE_CHECK):
                    raise CustomerErasing(customer_key) from cancelled
                if cancelled.failed_at(0):
                    winner = self.find_enrolment(campaign_id, customer_key)
                    if winner:
                        return winner, False
                elif not cancelled.any_condition_failed:
                    raise
                elif cancelled.failed_at(count_at):
                    continue  # another enrolment counted first: count again
                # Otherwise a code or id collided: draw new ones.
                collisions += 1
        raise CodesExhausted(campaign_id)

    def _enrolled(self, campaign_id: str) -> dict[str, Any]:
        """The campaign's advocate count as its listing item holds it (the metrics job reads that item anyway)."""
        return self._table.get(keys.campaign_listing_key(campaign_id), consistent=True) or {}

    def _count_writes(self, campaign_id: str, day: str, listing: dict[str, Any]) -> list[dict]:
        """The campaign's advocate count moves one up on its listing item (only if no other enrolment moved it
        meanwhile), with the day of the last enrolment and that day's count; and the day's marker records the day's
        enrolments and the total at its end. So the metrics job knows `enrolled_advocates` of today and yesterday from
        the campaign list it reads anyway, and of any earlier day from one marker, never by counting advocates."""
        before = int(listing.get("enrolled", 0))
        same_day = listing.get("enrolled_day") == day
        values = {":total": before + 1, ":day": day, ":on_day": int(listing.get("enrolled_on_day", 0)) + 1 if same_day else 1}
        if before:
            condition, values = "enrolled = :before", {**values, ":before": before}
        else:
            condition = "attribute_exists(pk) AND attribute_not_exists(enrolled)"
        return [
            self._table.update_op(
                keys.campaign_listing_key(campaign_id), "SET enrolled = :total, enrolled_day = :day, enrolled_on_day = :on_day", values, condition
            ),
            self._table.update_op(
                keys.advocate_day_count_key(campaign_id, date.fromisoformat(day)),
                "SET enrolled = :total, #day = :day, kind = :kind ADD added :one",
                {":total": before + 1, ":day": day, ":one": 1, ":kind": "advocate_day_count"},
                names={"#day": "date"},
            ),
        ]

    def enrolled_by(self, campaign: dict[str, Any], day: date) -> tuple[int, int, int]:
        """(advocates enrolled by the end of `day`, of whom enrolled on `day`, items read): from the campaign's listing
        item (`campaign`, as list_campaigns gave it) when nobody enrolled after `day`, else from the newest day marker
        at or before it (one item)."""
        last = campaign.get("enrolled_day")
        if last is None or last <= day.isoformat():
            on_day = int(campaign.get("enrolled_on_day", 0)) if last == day.isoformat() else 0
            return int(campaign.get("enrolled", 0)), on_day, 0
        campaign_id = campaign["campaign_id"]
        items, _ = self._table.page(
            limit=1,
            cursor=None,
            cursor_names=set(),
            listing={},
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :day",
            ExpressionAttributeValues={
                ":pk": keys.campaign_key(campaign_id)["pk"],
                ":first": keys.ADVOCATE_COUNT_PREFIX,
                ":day": keys.advocate_day_count_key(campaign_id, day)["sk"],
            },
            ScanIndexForward=False,
            ConsistentRead=True,
        )
        if not items:
            return 0, 0, 0
        marker = items[0]
        return int(marker["enrolled"]), int(marker["added"]) if marker.get("date") == day.isoformat() else 0, 1

    def _advocate_writes(self, advocate: Advocate) -> list[dict]:
        body = advocate.model_dump(mode="json", exclude_none=True)
        return [
            self._table.put_new_op(keys.enrolment_key(advocate.campaign_id, advocate.customer_key), {"kind": "enrolment", "advocate_id": advocate.advocate_id}),
            self._table.put_new_op(keys.advocate_key(advocate.advocate_id), {"kind": "advocate", **body}),
            self._table.put_new_op(
                keys.code_key(advocate.code),
                {"kind": "code", "campaign_id": advocate.campaign_id, "advocate_id": advocate.advocate_id, "status": "active"},
            ),
            *self._index.entries(advocate.customer_key, "advocate", advocate.advocate_id),
        ]

    def record_consent(self, advocate: Advocate, consent: RecordedConsent) -> None:
        """Replaces the advocate's consent. Raises CustomerErasing while the customer is erased (or once they are)."""
        try:
            transact(
                self._client,
                [
                    self._table.update_op(
                        keys.advocate_key(advocate.advocate_id),
                        "SET consent = :consent",
                        {":consent": consent.model_dump(mode="json"), ":key": advocate.customer_key},
                        "customer_key = :key",
                    ),
                    self._index.check(advocate.customer_key),
                ],
            )
        except TransactionCancelled as cancelled:
            if cancelled.any_condition_failed:
                raise CustomerErasing(advocate.customer_key) from cancelled
            raise

    # --- erasure ---------------------------------------------------------------------------------------

    def advocate_records(self, advocate_id: str) -> list[dict[str, Any]]:
        """Everything under the advocate: the advocate itself (META), its counters (STATS, CAP#…) and daily activity."""
        return self._table.partition(keys.advocate_key(advocate_id)["pk"], consistent=True)

    def forget_records(self, records: list[dict[str, Any]]) -> None:
        self._table.delete_batch([{"pk": record["pk"], "sk": record["sk"]} for record in records])

    def erasure_changes(self, advocate: dict[str, Any], customer_key: str) -> list[dict]:
        """The advocate and its enrolment deleted and its code retired (it stops resolving), conditional on the
        advocate still being that customer's."""
        return [
            self._table.delete_op(keys.advocate_key(advocate["advocate_id"]), "customer_key = :key", {":key": customer_key}),
            self._table.delete_op(keys.enrolment_key(advocate["campaign_id"], customer_key)),
            self._table.update_op(keys.code_key(advocate["code"]), "SET #s = :erased", {":erased": "erased"}, "attribute_exists(pk)", {"#s": "status"}),
        ]

    def find_referrer(self, code: str) -> Referrer | None:
        """The advocate behind an active code in an active campaign, for attribution."""
        code_item = self._table.get(keys.code_key(code))
        if not code_item or code_item.get("status") != "active":
            return None
        campaign = self.get_campaign(code_item["campaign_id"])
        advocate = self.get_advocate(code_item["advocate_id"])
        if campaign is None or campaign.status != "active" or advocate is None:
            return None
        return Referrer(
            campaign_id=campaign.campaign_id,
            advocate_id=advocate.advocate_id,
            advocate_customer_key=advocate.customer_key,
            advocate_email_hash=advocate.email_hash,
            advocate_mailbox_hash=advocate.mailbox_hash,
            attribution_window_days=campaign.attribution_window_days,
            first_purchase_only=campaign.rewards.first_purchase_only,
            rules_version=campaign.rules_version,
            currency=campaign.currency,
            min_order_amount=campaign.rewards.min_order_amount,
        )
