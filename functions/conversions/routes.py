"""Signed server-to-server routes (SPEC §3.2). The signature is checked before anything else, in the handler."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from shared import wiring
from shared.conversions.models import ConversionRequest, ConversionResult, RefundRequest, RefundResult
from shared.platform.http import answer, problem

router = APIGatewayHttpRouter()


def _answer(status: int, body: str) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@router.post(
    "/v1/conversions",
    summary="Report a purchase (signed); idempotent by order_id, forever",
    responses={
        201: answer(ConversionResult, "Recorded"),
        200: answer(ConversionResult, "Replay of an earlier identical post: the identical body"),
        409: problem("The order_id was recorded with a different body"),
    },
)
def record_conversion(conversion: ConversionRequest):
    return _answer(*wiring.conversions().record_conversion(conversion, router.current_event.json_body))


@router.post(
    "/v1/refunds",
    summary="Report a refund (signed); idempotent by refund_id",
    responses={
        201: answer(RefundResult, "Recorded"),
        200: answer(RefundResult, "Replay of an earlier identical post"),
        404: problem("Unknown order"),
        409: problem("Different body for the refund_id, or refunds beyond the order's amount"),
    },
)
def record_refund(refund: RefundRequest):
    return _answer(*wiring.conversions().record_refund(refund, router.current_event.json_body))
