"""The OpenAPI document of the whole HTTP API, generated from every function's route definitions."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def openapi_document() -> str:
    from functions.admin.routes import router as admin_router
    from functions.conversions.routes import router as conversions_router
    from functions.tracking.routes import router as tracking_router
    from shared.platform.http import create_resolver

    app = create_resolver()
    app.include_router(tracking_router)
    app.include_router(conversions_router)
    app.include_router(admin_router)
    return app.get_openapi_json_schema(
        title="wom",
        version="1",
        summary="Word-of-mouth referral tracking, conversions and rewards",
    )
