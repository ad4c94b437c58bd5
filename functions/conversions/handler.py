from __future__ import annotations

from functions.conversions.routes import router
from functions.signed import refuse_unsigned
from shared.platform.http import create_resolver
from shared.platform.observability import logger

app = create_resolver()
app.include_router(router)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    # Every route here is signed: rejected before parsing.
    return refuse_unsigned(event) or app.resolve(event, context)
