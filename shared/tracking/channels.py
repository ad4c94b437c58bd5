from __future__ import annotations

CHANNELS = frozenset(
    {"email", "sms", "whatsapp", "facebook", "x", "linkedin", "messenger", "telegram", "copy_link", "qr", "other"}
)


def normalise_channel(channel: str | None) -> str | None:
    """Known channels as given (case-insensitive); anything else is `other`; absent stays absent."""
    if channel is None:
        return None
    name = channel.strip().lower()
    if not name:
        return None
    return name if name in CHANNELS else "other"
