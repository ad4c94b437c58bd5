from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types

from functions.admin.openapi import openapi_document
from functions.admin.routes import router
from shared.platform.http import create_resolver
from shared.platform.observability import logger

app = create_resolver()
app.include_router(router)


@app.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def serve_openapi():
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document())


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
