"""Generated secrets: the email-hashing key, the storefront signing secret and wom's status-token key."""

from __future__ import annotations

import jsii
from aws_cdk import ArnFormat, IStableListProducer, Lazy, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge


class _GeneratedSecret(Construct):
    """A secret with a generated value and a fixed name, kept when the stack is deleted (unless `destroy`: a test
    stack's `wom:removalPolicy=destroy`; CloudFormation then deletes it without a recovery window, so the name is
    free again for the next deploy)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, description: str, why_no_rotation: str, destroy: bool = False
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret_name = f"wom/{Stack.of(self).stack_name}/{name}"
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            # A fixed name: a redeploy next to a retained secret fails loudly instead of minting a new value,
            # and grants can name the secret without referencing the resource (see grant_read).
            secret_name=self.secret_name,
            description=description,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            # Kept when the stack is deleted, like the tables: a new hash key would orphan every stored email
            # hash, and a new signing secret would break every storefront.
            removal_policy=RemovalPolicy.DESTROY if destroy else RemovalPolicy.RETAIN,
        )
        acknowledge(self.secret, "AwsSolutions-SMG4", why_no_rotation)

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
        leave the statement without a resource, which fails the deploy rehearsal.
        """
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.arn_pattern])
        )


class HashKey(_GeneratedSecret):
    """The key of the HMAC under which customer emails are stored (self-referral checks, erasure lookups).

    Readable only by the roles granted here: a resource policy denies GetSecretValue to every other principal.
    """

    def __init__(self, scope: Construct, construct_id: str, *, destroy: bool = False) -> None:
        super().__init__(
            scope,
            construct_id,
            destroy=destroy,
            name="email-hash-key",
            description="wom: key for the keyed hash of customer emails; never rotate (stored hashes would orphan)",
            why_no_rotation=(
                "Rotation is deliberately off: this is not a credential but the key of the HMAC under which "
                "customer emails are stored. A new key would orphan every stored hash, breaking self-referral "
                "checks and erasure lookups for existing customers."
            ),
        )
        self._readers: list[iam.IRole] = []

    def grant_read(self, role: iam.IRole) -> None:
        super().grant_read(role)
        if not self._readers:
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


class SigningSecret(_GeneratedSecret):
    """The shared secret of Wom-Signature on storefront posts; the operator reads it to configure storefronts."""

    def __init__(self, scope: Construct, construct_id: str, *, destroy: bool = False) -> None:
        super().__init__(
            scope,
            construct_id,
            destroy=destroy,
            name="signing-secret",
            description="wom: Wom-Signature HMAC secret(s) for storefront posts; comma-separate old,new to rotate",
            why_no_rotation=(
                "Rotation is operator-driven, not a Lambda rotation: storefronts hold a copy of this secret, so a "
                "new value must be rolled out to them first. The value may hold several comma-separated secrets, "
                "all accepted during the overlap (SPEC 3.2), which an automatic rotation cannot coordinate."
            ),
        )


class StatusTokenKey(_GeneratedSecret):
    """The key wom signs advocates' status tokens with (SPEC 3.6): wom's alone, so a storefront cannot mint one."""

    def __init__(self, scope: Construct, construct_id: str, *, destroy: bool = False) -> None:
        super().__init__(
            scope,
            construct_id,
            destroy=destroy,
            name="status-token-key",
            description="wom: key of advocates' status tokens; comma-separate new,old to rotate (the first signs)",
            why_no_rotation=(
                "Rotation is operator-driven, not a Lambda rotation: the value may hold several comma-separated keys, "
                "the first signing new tokens and all of them reading, so a rotation puts the new key first and drops "
                "the old one once the tokens it signed have expired (30 days), which an automatic rotation would cut short."
            ),
        )


@jsii.implements(IStableListProducer)
class _RoleArns:
    """The readers' role ARNs, produced at synthesis so that every grant_read lands in one deny statement."""

    def __init__(self, roles: list[iam.IRole]) -> None:
        self._roles = roles

    def produce(self) -> list[str]:
        return [role.role_arn for role in self._roles]
