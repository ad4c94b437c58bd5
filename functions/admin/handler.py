from __future__ import annotations

from functions.admin.routes import router
from shared.platform.http import create_resolver
from shared.platform.observability import logger

app = create_resolver()
app.include_router(router)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
