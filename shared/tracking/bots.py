"""Bot and link-preview classification from the user agent, using the maintained CrawlerDetect list.

Two questions, because SPEC §3.1 asks two: who *follows* a link or *loads* a pixel (`is_bot`: any crawler,
script or HTTP library, and a request without a user agent), and whether a share or view *posted* to
`POST /v1/events` came from a link-preview fetcher or crawler (`is_preview_fetcher`). Storefront servers and
mobile apps post events on an advocate's behalf with their HTTP library's agent (`python-requests`, `okhttp`,
`curl`, …): CrawlerDetect lists those libraries too, so their matches are told apart here.
"""

from __future__ import annotations

from functools import lru_cache

from crawlerdetect import CrawlerDetect

_detector = CrawlerDetect()

# CrawlerDetect's matches that name an HTTP client library or tool, not a fetcher or crawler: a server or an app
# posting events on an advocate's behalf sends these. Compared lower case, without a trailing "/".
HTTP_CLIENT_MATCHES = frozenset(
    {
        "python-requests", "python-urllib", "python", "aiohttp", "okhttp", "curl", "libcurl", "wget", "go-http-client",
        "axios", "node-fetch", "node-superagent", "java", "apache-httpclient", "jakarta commons-httpclient",
        "guzzlehttp", "ruby", "faraday", "http.rb", "postmanruntime", "insomnia", "dart", "dalvik", "cfnetwork",
        "okhttp3", "restsharp", "libwww-perl", "lwp::simple", "php", "httpie", "got", "undici", "deno", "bun",
    }
)


@lru_cache(maxsize=4096)
def is_bot(user_agent: str | None) -> bool:
    """A link follower or pixel loader that is not a person's browser."""
    # Every browser sends a user agent; a request without one is a script.
    if not user_agent or not user_agent.strip():
        return True
    return bool(_detector.isCrawler(user_agent))


@lru_cache(maxsize=4096)
def is_preview_fetcher(user_agent: str | None) -> bool:
    """A share or view posted by a link-preview fetcher or crawler (flagged); any other poster is counted."""
    if not user_agent or not user_agent.strip():
        return False  # a server posting without an agent is still posting an advocate's event
    detector = CrawlerDetect()  # getMatches() reads the last match: one detector per question, no shared state
    if not detector.isCrawler(user_agent):
        return False
    matches = detector.getMatches()
    names = matches if isinstance(matches, list) else [matches]
    return any(str(name).lower().rstrip("/ ") not in HTTP_CLIENT_MATCHES for name in names if name)
