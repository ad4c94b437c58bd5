"""What a referral code leads to, read from the referrals table for the tracking function's redirects.

Apart from CampaignRepository on purpose: the tracking function reads only these two items (the code and its
campaign), and must not import the campaign and reward models the admin API needs (its cold start, SPEC §8).
"""

from __future__ import annotations

from typing import Any

from shared.platform import keys
from shared.platform.dynamo import Table
from shared.tracking.models import LinkTarget


class LinkTargetReader:
    def __init__(self, client: Any, table_name: str) -> None:
        self._table = Table(client, table_name)

    def find_link_target(self, code: str) -> LinkTarget | None:
        """What an active code leads to, or None for an unknown or disabled one."""
        code_item = self._table.get(keys.code_key(code))
        if not code_item or code_item.get("status") != "active":
            return None
        campaign = self._table.get(keys.campaign_key(code_item["campaign_id"]))
        if not campaign or campaign.get("status") != "active":
            return None
        return LinkTarget(
            code=code,
            campaign_id=code_item["campaign_id"],
            advocate_id=code_item["advocate_id"],
            destination_url=campaign["destination_url"],
        )
