"""EventBridge custom event buses from shared.platform.resources (the reward events for the operator's fulfilment)."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Stack
from aws_cdk import aws_events as events
from constructs import Construct

from infra.permissions import ACCESS
from shared.platform.resources import BusDefinition

# Every bus some function publishes to, in definition order.
BUSES: tuple[BusDefinition, ...] = tuple(dict.fromkeys(bus for access in ACCESS.values() for bus in access.buses))


class Buses(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        archive_retention_days: int,
        definitions: Iterable[BusDefinition] = BUSES,
    ) -> None:
        super().__init__(scope, construct_id)
        # The name is generated from the construct path (unique per stack and account); the stack outputs it,
        # and the functions receive it in their environment.
        self.buses: dict[str, events.EventBus] = {
            definition.logical_id: events.EventBus(
                self, definition.logical_id, description=f"wom: events with source {definition.source}"
            )
            for definition in definitions
        }
        # Each bus keeps what it received, so a consumer rule added later can be given the events it missed
        # (`aws events start-replay`, docs/operations.md). No event pattern: everything the bus receives.
        self.archives: dict[str, events.CfnArchive] = {
            definition.logical_id: events.CfnArchive(
                self,
                f"{definition.logical_id}Archive",
                source_arn=self.buses[definition.logical_id].event_bus_arn,
                # Named: a generated name (construct path and hash) can pass the archive name's 48 characters.
                archive_name=f"{Stack.of(self).stack_name}-{definition.logical_id}"[:48],
                description=f"wom: the {definition.source} events, kept for replays to rules added later",
                retention_days=archive_retention_days,
            )
            for definition in definitions
        }

    def bus(self, definition: BusDefinition) -> events.EventBus:
        return self.buses[definition.logical_id]

    def archive(self, definition: BusDefinition) -> events.CfnArchive:
        return self.archives[definition.logical_id]

    def bus_name(self, definition: BusDefinition) -> str:
        """The bus's name as ``Fn::GetAtt <bus>.Name``, where ``event_bus_name`` is a ``Ref``.

        Both are the name in AWS; the emulator's CloudFormation resolves a Ref to an event bus to its internal
        object (its EventBus has no physical id), which breaks the function that receives it.
        """
        resource = self.bus(definition).node.default_child
        assert isinstance(resource, events.CfnEventBus)
        return resource.attr_name
