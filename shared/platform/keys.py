"""The one place that builds DynamoDB keys.

Events table: `pk = <campaign_id>#<YYYY-MM-DD>#<shard>`, `sk = <type>#<event key>`.
A day of a campaign is EVENT_SHARDS partitions that hold nothing else, so a metrics run reads exactly
that day; spreading a campaign's day over EVENT_SHARDS partitions keeps any one partition far below
DynamoDB's 1,000 writes per second at 10,000 events per second (see bench/scale.py).
The shard is a hash of the event key, so a retried or repeated event lands on the same item: that is
how deduplication is folded into the single write of each event.

Besides shares, views and clicks, the events table holds one fact per conversion, refund and reward change,
filed under the day it happened, so a day of a campaign is everything its metrics need. Conversions that no
campaign claims are filed under UNATTRIBUTED, a name no campaign slug can take.

Referrals table: one item family per prefix (CAMPAIGN#, ADVOCATE#, CODE#, ORDER#, REFUND#, REWARD#, ERASURE#,
CUSTOMER#, ...). No key holds a raw customer id: where a customer names an item (an enrolment, a first-purchase
claim, the customer's own index) the key holds the customer key (shared.platform.privacy.customer_key).
Salts table: SALT#<day>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from shared.platform.ids import CODE_ALPHABET, CODE_LENGTH, digest, encode_token

EVENT_SHARDS = 32
UNATTRIBUTED = "_unattributed"  # campaign slugs start with [a-z0-9]
# A spilled event whose code could not be looked up (storage failing): the replay files it under the code's
# campaign (shared/tracking/replay.py). Never written to the table.
PENDING_CAMPAIGN = "_pending"

Key = dict[str, str]


def shard_of(event_key: str) -> int:
    return int.from_bytes(digest(event_key, 4), "big") % EVENT_SHARDS


def event_partition(campaign_id: str, day: date, shard: int) -> str:
    return f"{campaign_id}#{day.isoformat()}#{shard:02d}"


def day_partitions(campaign_id: str, day: date) -> list[str]:
    return [event_partition(campaign_id, day, shard) for shard in range(EVENT_SHARDS)]


def event_key(campaign_id: str, day: date, event_type: str, key: str) -> Key:
    return {"pk": event_partition(campaign_id, day, shard_of(key)), "sk": f"{event_type}#{key}"}


def refiled_event_key(key: Key, campaign_id: str) -> Key:
    """The same event (day, kind, id) under another campaign: a pending event once its code is resolved."""
    day = date.fromisoformat(key["pk"].rsplit("#", 2)[1])
    event_type, _, event_id = key["sk"].partition("#")
    return event_key(campaign_id, day, event_type, event_id)


def conversion_fact_key(campaign_id: str | None, day: date, conversion_id_: str) -> Key:
    return event_key(campaign_id or UNATTRIBUTED, day, "conversion", conversion_id_)


def refund_fact_key(campaign_id: str, day: date, refund_id_: str) -> Key:
    return event_key(campaign_id, day, "refund", refund_id_)


def reward_fact_key(campaign_id: str, day: date, change: str, reward_id_: str) -> Key:
    """`change` is `reward_created`, `reward_voided` or `reward_held`: one fact per reward, change and day, so a
    rerun overwrites."""
    return event_key(campaign_id, day, change, reward_id_)


def fact_id(sort_key: str) -> str:
    """The id of what an event or fact is about, from its sort key (`<type>#<id>`)."""
    return sort_key.partition("#")[2]


# Click ids: `<code>.<YYYYMMDDHH><token>`. They name their own item (code → campaign, hour → day,
# token → shard), so a conversion finds its click with one read and without an index.
CLICK_ID_PATTERN = re.compile(rf"^([{CODE_ALPHABET}]{{{CODE_LENGTH}}})\.(\d{{10}})([{CODE_ALPHABET}]{{16}})$")


def visitor_click_token(visitor: str, day: date) -> str:
    """The same visitor on the same link on the same day gets the same token; with the click id's hour, the same
    clock hour names the same item. So the token is the visitor of the day: the metrics count unique visitors from
    click ids, and no item stores the visitor hash itself."""
    return encode_token(digest(f"{visitor}|{day.isoformat()}", 12))


CLICK_TOKEN_LENGTH = 16


def click_token(click_id_: str) -> str:
    return click_id_[-CLICK_TOKEN_LENGTH:]


def dedupe_token(*parts: str) -> str:
    """A client's `event_id` (with its type and code) names one item, so retries overwrite, not add."""
    return encode_token(digest("|".join(parts), 12))


def click_id(code: str, at: datetime, token: str) -> str:
    return f"{code}.{at:%Y%m%d%H}{token}"


@dataclass(frozen=True)
class ClickReference:
    code: str
    day: date
    click_id: str


def parse_click_id(value: str) -> ClickReference | None:
    match = CLICK_ID_PATTERN.match(value)
    if not match:
        return None
    stamp = match.group(2)
    try:
        day = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]))
    except ValueError:
        return None
    if int(stamp[8:10]) > 23:
        return None
    return ClickReference(code=match.group(1), day=day, click_id=value)


def click_key(campaign_id: str, reference: ClickReference) -> Key:
    return event_key(campaign_id, reference.day, "click", reference.click_id)


# Every campaign in one small partition: the metrics job lists campaigns without a scan.
CAMPAIGN_LISTING = "CAMPAIGNS"


def campaign_listing_key(campaign_id: str) -> Key:
    return {"pk": CAMPAIGN_LISTING, "sk": campaign_id}


def campaign_key(campaign_id: str) -> Key:
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": "META"}


def rules_key(campaign_id: str, version: int) -> Key:
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"RULES#{version:06d}"}


ENROLMENT_PREFIX = "CUSTOMER#"


def enrolment_key(campaign_id: str, customer_key: str) -> Key:
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"{ENROLMENT_PREFIX}{customer_key}"}


def advocate_key(advocate_id: str) -> Key:
    return {"pk": f"ADVOCATE#{advocate_id}", "sk": "META"}


def code_key(code: str) -> Key:
    return {"pk": f"CODE#{code}", "sk": "META"}


REPLAYED = "REPLAYED"


def replay_marker_key(replay_id: str) -> Key:
    """A spilled click's request, once the replay has added its hit (shared/tracking/replay.py)."""
    return {"pk": f"{REPLAYED}#{replay_id}", "sk": REPLAYED}


def salt_key(day: date) -> Key:
    return {"pk": f"SALT#{day.isoformat()}", "sk": "META"}


def order_key(order_id: str) -> Key:
    return {"pk": f"ORDER#{order_id}", "sk": "META"}


def buyer_key(campaign_id: str, customer_key: str) -> Key:
    """Claimed by a customer's first referred purchase in a campaign (first_purchase_only)."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"BUYER#{customer_key}"}


def refund_key(refund_id: str) -> Key:
    return {"pk": f"REFUND#{refund_id}", "sk": "META"}


def reward_key(reward_id_: str) -> Key:
    return {"pk": f"REWARD#{reward_id_}", "sk": "META"}


def reward_cap_key(advocate_id: str, month: str) -> Key:
    """Counts an advocate's rewards in a calendar month (UTC), for max_rewards_per_advocate_per_month."""
    return {"pk": f"ADVOCATE#{advocate_id}", "sk": f"CAP#{month}"}


def lifetime_cap_key(advocate_id: str) -> Key:
    """Counts an advocate's rewarded referrals ever (voided ones give their place back), for max_rewards_per_advocate."""
    return {"pk": f"ADVOCATE#{advocate_id}", "sk": "CAP#LIFETIME"}


def milestones_key(advocate_id: str) -> Key:
    """An advocate's approved referrals and the milestones already paid: every approval moves it conditionally."""
    return {"pk": f"ADVOCATE#{advocate_id}", "sk": "MILESTONES"}


ADVOCATE_REFERRALS_PREFIX = "REFERRED#"


def advocate_referrals_hour_key(advocate_id: str, hour: datetime) -> Key:
    """An advocate's referred purchases in one clock hour (UTC), for advocate_velocity: counted without a scan."""
    return {"pk": f"ADVOCATE#{advocate_id}", "sk": f"{ADVOCATE_REFERRALS_PREFIX}{hour:%Y-%m-%dT%H}"}


def advocate_stats_key(advocate_id: str) -> Key:
    return {"pk": f"ADVOCATE#{advocate_id}", "sk": "STATS"}


REFERRAL_PREFIX = "REFERRAL#"


def referral_key(advocate_id: str, received_at: str, conversion_id_: str) -> Key:
    """One referred purchase on its advocate's list, in the order wom received them (`received_at` is an iso() time,
    which sorts as text): the advocate's page reads the newest with one Query of their partition."""
    return {"pk": f"ADVOCATE#{advocate_id}", "sk": f"{REFERRAL_PREFIX}{received_at}#{conversion_id_}"}


ADVOCATE_DAY_PREFIX = "ACTIVITY#"


def advocate_day_key(advocate_id: str, day: date) -> Key:
    """Shares and clicks of an advocate on one day, counted from the events table by the metrics job."""
    return {"pk": f"ADVOCATE#{advocate_id}", "sk": f"{ADVOCATE_DAY_PREFIX}{day.isoformat()}"}


METRICS_SET_ASIDE = "METRICS_SET_ASIDE"


def metrics_set_aside_key(campaign_id: str, day: date) -> Key:
    """A campaign-day the metrics job could not compute, until a retry computes it."""
    return {"pk": METRICS_SET_ASIDE, "sk": f"{day.isoformat()}#{campaign_id}"}


def outbox_key(event_id: str) -> Key:
    return {"pk": f"OUTBOX#{event_id}", "sk": "META"}


def rewards_listing(campaign_id: str) -> str:
    return f"REWARDS#{campaign_id}"


# A customer's index: one partition per customer key. META is the customer's state (an erasure marks it, and
# every write of that customer's data is conditional on it); each REF# item names items holding their data.
CUSTOMER_REFERENCE_PREFIX = "REF#"


def customer_key_item(customer_key: str) -> Key:
    return {"pk": f"CUSTOMER#{customer_key}", "sk": "META"}


def customer_reference_key(customer_key: str, kind: str, name: str) -> Key:
    """One reference per item family and item: written again, it names the same item."""
    return {"pk": f"CUSTOMER#{customer_key}", "sk": f"{CUSTOMER_REFERENCE_PREFIX}{kind}#{name}"}


def erasure_key(erasure_id: str) -> Key:
    return {"pk": f"ERASURE#{erasure_id}", "sk": "META"}


def webhook_delivery_key(source: str, event_id: str) -> Key:
    """One commerce-platform delivery (Stripe event id, Shopify webhook id) and the answer it got."""
    return {"pk": f"WEBHOOK#{source}#{event_id}", "sk": "META"}


def subscription_key(source: str, subscription_id: str) -> Key:
    return {"pk": f"SUBSCRIPTION#{source}#{subscription_id}", "sk": "META"}


def payment_key(source: str, payment_ref: str) -> Key:
    """Another name of an order's payment (a Stripe payment intent of an invoice): which order it paid."""
    return {"pk": f"PAYMENT#{source}#{payment_ref}", "sk": "META"}


# --- engagement and customer value (SPEC §5) ----------------------------------------------------------------

def survey_answer_fact_key(day: date, conversion_id_: str) -> Key:
    """A claimed conversion's `heard_from` answer, filed with the deployment's unattributed conversions of its day:
    the answers are counted deployment-wide, from the one partition set the metrics job reads for every day anyway."""
    return event_key(UNATTRIBUTED, day, "survey_answer", conversion_id_)


def repeat_purchase_fact_key(campaign_id: str, day: date, conversion_id_: str) -> Key:
    """A purchase by a customer whose first purchase this campaign referred on an earlier day."""
    return event_key(campaign_id, day, "repeat_purchase", conversion_id_)


# Advocates enrolled in a campaign: a count on its campaign-list item (campaign_listing_key) and one marker per day
# with enrolments (that day's count and the total at its end), both written in the enrolment's transaction. The
# metrics job takes a day's count from the list it reads anyway, or from the newest marker at or before that day.
ADVOCATE_COUNT_PREFIX = "ADVOCATES#"


def advocate_day_count_key(campaign_id: str, day: date) -> Key:
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"{ADVOCATE_COUNT_PREFIX}{day.isoformat()}"}


# A customer's revenue ledger (cohorts, SPEC §5). The head, in the customer's own partition, says which cohort the
# customer joined with their first purchase (the campaign that referred it, NOT_REFERRED_COHORT, or none for a
# self-referral) and when; the member item, in the cohort's partition, lists their purchases and refunds. A cohort
# is one partition, so computing it reads its customers and nothing else. ERASED_MEMBERS holds what erased
# customers added (aggregates only).
NOT_REFERRED_COHORT = UNATTRIBUTED
COHORT_MEMBER_PREFIX = "MEMBER#"


def ledger_head_key(customer_key: str) -> Key:
    return {"pk": f"CUSTOMER#{customer_key}", "sk": "LEDGER"}


def cohort_partition(cohort: str, month: str) -> str:
    return f"COHORT#{cohort}#{month}"


def cohort_member_key(cohort: str, month: str, customer_key: str) -> Key:
    return {"pk": cohort_partition(cohort, month), "sk": f"{COHORT_MEMBER_PREFIX}{customer_key}"}


def cohort_erased_key(cohort: str, month: str) -> Key:
    return {"pk": cohort_partition(cohort, month), "sk": "ERASED"}
