"""The stack's secrets (shared.platform.resources.SECRETS): the email-hashing key, the storefront signing secret, the
commerce platforms' webhook secrets and wom's status-token key."""

from __future__ import annotations

import jsii
from aws_cdk import ArnFormat, IStableListProducer, Lazy, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge
from shared.platform.resources import HASH_KEY_SECRET, SIGNING_SECRET, STATUS_TOKEN_KEY_SECRET, SecretDefinition


_WHY_NO_ROTATION = {
    HASH_KEY_SECRET: (
        "Rotation is deliberately off: this is not a credential but the key of the HMAC under which "
        "customer emails are stored. A new key would orphan every stored hash, breaking self-referral "
        "checks and erasure lookups for existing customers."
    ),
    SIGNING_SECRET: (
        "Rotation is operator-driven, not a Lambda rotation: storefronts hold a copy of this secret, so a "
        "new value must be rolled out to them first. The value may hold several comma-separated secrets, "
        "all accepted during the overlap (SPEC 3.2), which an automatic rotation cannot coordinate."
    ),
    STATUS_TOKEN_KEY_SECRET: (
        "Rotation is operator-driven, not a Lambda rotation: the value may hold several comma-separated keys, "
        "the first signing new tokens and all of them reading, so a rotation puts the new key first and drops "
        "the old one once the tokens it signed have expired (30 days), which an automatic rotation would cut short."
    ),
}
_PLATFORM_SECRET_REASON = (
    "The value is the commerce platform's own (Stripe's endpoint signing secret, Shopify's app client secret): it "
    "rotates when the operator rolls it on the platform and pastes the new value here (comma-separated with the "
    "old one during the overlap). A Lambda rotation cannot change the platform's side."
)


class StackSecret(Construct):
    """A secret with a fixed name and a generated value (for a platform's secret, a placeholder that verifies
    nothing until the operator pastes the platform's value), kept when the stack is deleted (unless `destroy`: a
    test stack's `wom:removalPolicy=destroy`; CloudFormation then deletes it without a recovery window, so the
    name is free again for the next deploy)."""

    def __init__(self, scope: Construct, construct_id: str, *, definition: SecretDefinition, destroy: bool = False) -> None:
        super().__init__(scope, construct_id)
        self.definition = definition
        self.secret_name = f"wom/{Stack.of(self).stack_name}/{definition.name}"
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            # A fixed name: a redeploy next to a retained secret fails loudly instead of minting a new value,
            # and grants can name the secret without referencing the resource (see grant_read).
            secret_name=self.secret_name,
            description=definition.description,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            # Kept when the stack is deleted, like the tables: a new hash key would orphan every stored email
            # hash, and a new signing secret would break every storefront.
            removal_policy=RemovalPolicy.DESTROY if destroy else RemovalPolicy.RETAIN,
        )
        acknowledge(self.secret, "AwsSolutions-SMG4", _WHY_NO_ROTATION.get(definition, _PLATFORM_SECRET_REASON))
        self._readers: list[iam.IRole] = []

    @property
    def arn_pattern(self) -> str:
        """The secret's ARN with the 6-character suffix Secrets Manager appends left as wildcards."""
        return Stack.of(self).format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{self.secret_name}-??????",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def grant_read(self, role: iam.IRole) -> None:
        """secretsmanager:GetSecretValue on this secret only (no DescribeSecret, no other secret).

        The statement names the secret by its ARN pattern, not by a reference to the secret resource: the
        emulator's CloudFormation does not model AWS::SecretsManager::Secret, and a reference to it would
        leave the statement without a resource, which fails the deploy rehearsal. The hash key is readable only
        by the roles granted here: a resource policy denies GetSecretValue to every other principal.
        """
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.arn_pattern])
        )
        if self.definition == HASH_KEY_SECRET and not self._readers:
            self.secret.add_to_resource_policy(
                iam.PolicyStatement(
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["secretsmanager:GetSecretValue"],
                    resources=["*"],
                    conditions={"ArnNotEquals": {"aws:PrincipalArn": Lazy.list(_RoleArns(self._readers))}},
                )
            )
        self._readers.append(role)


class Secrets:
    """Every secret some function reads (an unread secret would still cost and confuse), each at the top of the
    stack under its definition's logical id, so its resource keeps its name as secrets come and go."""

    def __init__(self, scope: Construct, definitions: tuple[SecretDefinition, ...], *, destroy: bool = False) -> None:
        self.by_definition = {
            definition: StackSecret(scope, definition.logical_id, definition=definition, destroy=destroy) for definition in definitions
        }

    def secret(self, definition: SecretDefinition) -> StackSecret:
        try:
            return self.by_definition[definition]
        except KeyError:
            raise KeyError(f"the stack created no secret {definition.logical_id!r}: no function in infra/permissions.py reads it") from None


@jsii.implements(IStableListProducer)
class _RoleArns:
    """The readers' role ARNs, produced at synthesis so that every grant_read lands in one deny statement."""

    def __init__(self, roles: list[iam.IRole]) -> None:
        self._roles = roles

    def produce(self) -> list[str]:
        return [role.role_arn for role in self._roles]
