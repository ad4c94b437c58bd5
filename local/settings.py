"""Local mode's settings, read once from the environment through one model: every `WOM_*` variable the `wom`
command line reads, with its default. (The functions' own settings are shared/platform/settings.py: local mode
hands them what it decides here, through the environment, exactly as the stack does in AWS.)"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_ADMIN_TOKEN = "local-admin-token"
DEFAULT_SIGNING_SECRET = "local-signing-secret"
DEFAULT_STRIPE_SECRET = "whsec_local"
DEFAULT_SHOPIFY_SECRET = "local-shopify-secret"
DEFAULT_STATUS_TOKEN_KEY = "local-status-token-key"


class LocalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WOM_", extra="ignore", frozen=True, env_ignore_empty=True)

    port: int = Field(8000, ge=0, le=65535, description="the local API's port on 127.0.0.1")
    emulator_port: int = Field(4566, ge=0, le=65535, description="the AWS emulator's (moto server's) port on 127.0.0.1")
    jobs_interval: float = Field(60.0, gt=0, description="seconds between runs of the scheduled jobs")
    archive_interval: float = Field(5.0, gt=0, description="seconds between reads of the events stream into the raw event archive")
    replay_interval: float = Field(2.0, gt=0, description="seconds between reads of the spill queue by the replay (tracked events whose write failed)")
    faults: str | None = Field(
        None,
        description="`dynamodb=<p>`: each DynamoDB call of the functions is throttled with probability p, to watch the spill queue, the replay and the signed routes' 503 (local mode only, never honoured in AWS)",
    )
    admin_token: str = Field(DEFAULT_ADMIN_TOKEN, min_length=1, description="the bearer token of the admin routes")
    signing_secret: str = Field(DEFAULT_SIGNING_SECRET, min_length=1, description="the Wom-Signature secret(s) of storefront posts")
    stripe_webhook_secret: str = Field(DEFAULT_STRIPE_SECRET, min_length=1, description="the Stripe webhook endpoint's signing secret(s)")
    shopify_secret: str = Field(DEFAULT_SHOPIFY_SECRET, min_length=1, description="the Shopify app's client secret(s) that sign its webhooks")
    status_token_key: str = Field(DEFAULT_STATUS_TOKEN_KEY, min_length=1, description="the key(s) of advocates' status tokens (the first signs)")
    api_url: str | None = Field(None, description="where `wom send`, `wom simulate` post (default: local mode's API)")
    public_base_url: str | None = Field(None, description="the base of advocate links (default: local mode's API)")
    deploy_port: int | None = Field(None, ge=0, le=65535, description="`make deploy-local`: the emulator's port (default: a free one)")
    data_dir: Path = Field(Path(".wom/data"), description="where local mode keeps its tables and bucket between runs")
    cors_origins: str = Field(
        "http://localhost:*,http://127.0.0.1:*",
        description="origins allowed to post /v1/events from a browser, comma-separated; `:*` is any port",
    )
    stack_name: str | None = Field(None, description="the deployed stack the admin commands (`wom campaigns …`) talk to with SigV4 (default: local mode)")
    movable_clock: bool = Field(
        False,
        description="`wom run` lets `wom simulate --days` move its one clock (`PUT /_local/clock`, admin token): local mode only, never in AWS",
    )

    @field_validator("faults")
    @classmethod
    def _faults_parse(cls, value: str | None) -> str | None:
        from local.faults import parse_faults

        parse_faults(value)  # raises ValueError, named by the settings error
        return value

    @property
    def fault_probabilities(self) -> dict[str, float]:
        from local.faults import parse_faults

        return parse_faults(self.faults)

    @model_validator(mode="after")
    def _defaults_from_the_port(self) -> LocalSettings:
        base = f"http://127.0.0.1:{self.port}"
        if not self.api_url:
            object.__setattr__(self, "api_url", base)
        return self

    @property
    def base_url(self) -> str:
        """Local mode's own API, as it listens."""
        return f"http://127.0.0.1:{self.port}"


class _FromMapping(LocalSettings):
    """The same settings read from a given mapping only (tests), never from the process environment."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **sources):  # noqa: ANN001, ANN003, ANN206 - pydantic-settings' hook
        return (init_settings,)


def local_settings(environ: Mapping[str, str] | None = None) -> LocalSettings:
    """The settings of this process's environment (or of `environ`). A value that is not what it should be
    raises SettingsError naming the variable."""
    try:
        if environ is None:
            return LocalSettings()
        prefixed = {name.removeprefix("WOM_").lower(): value for name, value in environ.items() if name.startswith("WOM_") and value != ""}
        return _FromMapping(**prefixed)
    except ValidationError as error:
        problems = "; ".join(f"{env_name(str(e['loc'][0]))}: {e['msg']}" for e in error.errors() if e.get("loc"))
        raise SettingsError(problems or str(error)) from None


class SettingsError(ValueError):
    pass


def env_name(field: str) -> str:
    return "WOM_" + field.upper()


def function_environment(settings: LocalSettings) -> dict[str, str]:
    """What local mode hands its functions through the environment, as the stack does in AWS (names from
    shared.platform.settings.ENV_VARS, the table the functions read)."""
    from shared.platform.settings import ENV_VARS

    return {
        ENV_VARS["signing_secret"]: settings.signing_secret,
        ENV_VARS["stripe_webhook_secret"]: settings.stripe_webhook_secret,
        ENV_VARS["shopify_secret"]: settings.shopify_secret,
        ENV_VARS["status_token_key"]: settings.status_token_key,
        ENV_VARS["public_base_url"]: settings.public_base_url or settings.base_url,
        ENV_VARS["cors_origins"]: settings.cors_origins,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
