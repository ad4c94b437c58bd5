"""Bot and link-preview classification from the user agent, using the maintained CrawlerDetect list."""

from __future__ import annotations

from functools import lru_cache

from crawlerdetect import CrawlerDetect

_detector = CrawlerDetect()


@lru_cache(maxsize=4096)
def is_bot(user_agent: str | None) -> bool:
    # Every browser sends a user agent; a request without one is a script.
    if not user_agent or not user_agent.strip():
        return True
    return bool(_detector.isCrawler(user_agent))
