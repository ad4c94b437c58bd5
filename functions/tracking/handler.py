from __future__ import annotations

from functions.tracking.routes import router
from shared.http import create_resolver
from shared.observability import logger
from shared.settings import get_settings

app = create_resolver(get_settings().cors_origins)
app.include_router(router)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
