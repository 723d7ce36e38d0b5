"""Settings: the one module that reads the environment.

With no environment variables at all the platform runs in the *embedded
default*: a SQLite file under ``var/``, an in-memory cache, Dramatiq's
StubBroker with an in-process worker, GraphiQL on, demo data and a test phone
number.  Production is selected by ``APP_ENV=production`` and the service URLs.
Every variable is documented in the README ("Configuration").
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from domain.config_errors import settings_problems

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says which variable to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    app_env: Literal["development", "production", "test"] = "development"

    # --- storage and services ---------------------------------------------------------
    database_url: str = ""  # empty: sqlite file under var/
    db_pool_size: int = Field(10, ge=1, le=200)
    # GraphQL operations executing at once per API process; more wait their turn in
    # arrival order (0: no limit). Keeps the slowest requests' latency (p99) down.
    graphql_max_in_flight: int = Field(6, ge=0, le=1000)
    redis_url: str = ""  # empty: in-memory cache (single process only)
    broker_url: str = ""  # empty: StubBroker + in-process worker; redis:// or amqp://
    var_dir: Path = VAR_DIR

    # --- HTTP -------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    # `loyalty serve --workers N` (N > 1, Linux): each API process listens on its own
    # SO_REUSEPORT socket, so the kernel spreads connections evenly; false: one shared
    # socket (uvicorn's default), where the busiest process tends to accept them all.
    http_reuse_port: bool = True
    graphiql: bool | None = None  # default: on in development, off in production
    introspection: bool | None = None  # default: on in development, off in production
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["https://servicewechat.com", "capacitor://localhost"]
    )
    max_body_bytes: int = 1_000_000
    trusted_proxy_hops: int = 0  # how many X-Forwarded-For hops to trust for client IPs

    # --- GraphQL limits ---------------------------------------------------------------
    gql_max_depth: int = Field(10, ge=2, le=100)
    gql_max_aliases: int = Field(15, ge=0, le=1000)  # the apps' queries use none
    gql_max_tokens: int = Field(1_000, ge=100, le=100_000)  # the apps' largest query: 75
    gql_max_cost: int = Field(5_000, ge=10, le=1_000_000)
    gql_page_max: int = Field(100, ge=1, le=1000)

    # --- auth -------------------------------------------------------------------------
    jwt_issuer: str = "https://loyalty.example.cn"
    jwt_audience: str = "loyalty-api"
    access_token_ttl_s: int = 600
    refresh_token_ttl_s: int = 30 * 24 * 3600
    partner_token_ttl_s: int = 3600
    key_refresh_interval_s: int = 60
    otp_ttl_s: int = 300
    otp_length: int = 6
    otp_max_attempts: int = 5
    otp_max_per_phone_per_day: int = 10
    otp_max_per_ip_per_hour: int = 20
    otp_resend_interval_s: int = 60
    # "phone:code" pairs that never send an SMS (like Firebase test numbers).
    # Refused outside development/test.
    test_phone_numbers: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    # --- personal-data encryption -----------------------------------------------------
    # DATA_KEYS: JSON object {"key id": "base64 32-byte key", ...}; DATA_KEY_ID: the one
    # used for new writes (older ids stay readable for rotation). HMAC_KEY: base64, for
    # exact lookup by phone. In development they are generated once into var/secrets.json.
    data_keys: dict[str, str] = Field(default_factory=dict)
    data_key_id: str = ""
    hmac_key: str = ""

    # --- members ----------------------------------------------------------------------
    # What store staff see and act on: members whose home store is in their "region"
    # (default) or only their own "store". Region staff: their region; HQ: everyone.
    store_staff_scope: Literal["region", "store"] = "region"
    scan_code_ttl_s: int = Field(60, ge=10, le=600)
    # Member-home response cache (domain.members.home_cache): seconds a member's own
    # query answer is reused; 0 turns it off. At most half the scan-code lifetime.
    home_cache_ttl_s: int = Field(0, ge=0, le=300)
    # The order in which a partner's member reference is tried (memberLookup, orders).
    member_lookup_order: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["scan_code", "card_number", "phone", "identity", "member_id"]
    )
    consent_policy_version: str = "2026-01"

    # --- orders: orderCreate's paidAt window (domain.orders.model.check_paid_at) -------
    order_backdate_max_days: int = Field(30, ge=1, le=3660)  # oldest paidAt, days back
    order_clock_skew_s: int = Field(300, ge=0, le=3600)  # latest paidAt, seconds ahead

    # --- points -----------------------------------------------------------------------
    points_pending_days: int = Field(7, ge=0, le=90)  # the return window
    points_expiry_extra_years: int = Field(1, ge=0, le=10)  # 1: end of the following year
    points_value_fen: int = Field(1, ge=1, le=100)  # what one point pays at the till
    # A refund whose points were already spent: "debt" (balance stays >= 0, the rest is
    # settled from future credits) or "negative" (the balance goes below zero).
    refund_shortfall_policy: Literal["debt", "negative"] = "debt"
    points_expiring_notice_days: int = Field(30, ge=1, le=365)

    # --- tiers ------------------------------------------------------------------------
    tier_measure: Literal["spend", "points"] = "spend"  # over a rolling 12 months
    tier_review_days: int = Field(365, ge=30, le=1100)  # a tier holds this long, then review
    tier_grace_days: int = Field(30, ge=0, le=365)  # after a failed review, before downgrade
    tier_reminder_days: int = Field(30, ge=1, le=365)  # remind this long before the review
    tier_batch_chunk: int = Field(20_000, ge=100, le=100_000)  # members per batch transaction

    # --- demo -------------------------------------------------------------------------
    demo_data: bool | None = None  # default: on in development
    demo_seed: int = 20261123

    # --- notifications ----------------------------------------------------------------
    sms_provider: Literal["local", "tencent"] = "local"  # local: the messages table only
    tencent_secret_id: str = ""
    tencent_secret_key: str = ""
    tencent_sms_sdk_app_id: str = ""
    tencent_sms_sign_name: str = ""
    # {"otp": {"id": "1234567", "params": ["code", "minutes"]}, ...}
    tencent_sms_templates: dict[str, dict] = Field(default_factory=dict)
    tencent_sms_endpoint: str = "https://sms.tencentcloudapi.com"
    tencent_sms_region: str = "ap-guangzhou"
    push_provider: Literal["local", "jpush"] = "local"
    jpush_app_key: str = ""
    jpush_master_secret: str = ""
    jpush_endpoint: str = "https://api.jpush.cn/v3/push"
    jpush_apns_production: bool = True
    mini_program_provider: Literal["local", "wechat"] = "local"
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    # {"points_expiring": {"id": "...", "page": "pages/points/index",
    #   "data": {"number1": "points", "date2": "date"}}, ...}
    wechat_subscribe_templates: dict[str, dict] = Field(default_factory=dict)
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_miniprogram_state: Literal["formal", "trial", "developer"] = "formal"
    email_provider: Literal["local", "smtp"] = "local"
    smtp_host: str = ""
    smtp_port: int = Field(465, ge=1, le=65535)
    smtp_security: Literal["tls", "starttls", "none"] = "tls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = ""  # e.g. "鲜选会员 <member@example.com>"
    # seconds to wait for the SMTP server (connect and each reply); past it the send fails
    # and is retried like any provider error
    smtp_timeout_s: float = Field(15, gt=0, le=300)
    message_send_lease_s: int = Field(300, ge=1, le=3600)  # a crashed send is retried after
    marketing_weekly_cap: int = Field(3, ge=0, le=50)  # per member and channel, 7 days
    quiet_hours: str = "21:00-09:00"  # Asia/Shanghai; all but urgent messages wait for its end

    # --- coupons ----------------------------------------------------------------------
    coupon_first_order_days: int = Field(7, ge=1, le=365)  # registered this long, no purchase
    coupon_win_back_days: int = Field(180, ge=30, le=1100)  # no purchase this long
    coupon_rebate_fen_per_100_points: int = Field(100, ge=0, le=10_000)  # year-end rebate
    coupon_rebate_min_fen: int = Field(500, ge=1)  # smaller rebates are not issued
    coupon_expiry_notice_days: int = Field(3, ge=1, le=60)

    # --- workers and logs -------------------------------------------------------------
    worker_threads: int = 2
    # Redis broker: a worker silent this long is dead and its unfinished messages go back
    # to their queues; the check runs on this many of a million broker commands
    redis_broker_heartbeat_ms: int = Field(60_000, ge=1_000)
    redis_broker_maintenance_chance: int = Field(1_000, ge=0, le=1_000_000)
    # retry policy of the actors that do not declare their own (an actor's options win)
    job_max_retries: int = Field(5, ge=0, le=50)  # then the job is a dead letter
    job_min_backoff_ms: int = Field(1_000, ge=1)  # exponential backoff between retries
    job_max_backoff_ms: int = Field(300_000, ge=1)
    log_level: str = "INFO"
    log_json: bool = True

    # --- sign-in and tokens ---------------------------------------------------------------
    # Failed password / client-secret checks per account (staff email, partner client id)
    # that are free; each further attempt must wait SIGNIN_DELAY_BASE_S doubled per failure
    # (capped at SIGNIN_DELAY_MAX_S), counted over SIGNIN_WINDOW_S.
    signin_free_attempts: int = Field(5, ge=1, le=1000)
    signin_delay_base_s: int = Field(1, ge=1, le=3600)
    signin_delay_max_s: int = Field(300, ge=1, le=86_400)
    signin_window_s: int = Field(86_400, ge=60, le=30 * 86_400)
    # This many failures in the window lock the account for SIGNIN_LOCKOUT_S, or until an
    # admin lifts it (signInUnlock / `loyalty signin-unlock`).
    signin_lockout_attempts: int = Field(20, ge=2, le=10_000)
    signin_lockout_s: int = Field(3600, ge=60, le=30 * 86_400)
    # Failed checks per client address that are free before the same exponential delay.
    signin_ip_free_attempts: int = Field(50, ge=1, le=100_000)
    # Threads hashing and verifying passwords (argon2id) off the event loop, per process;
    # more sign-ins wait their turn. 0: half the CPU cores (at least 1), which leaves the
    # event loop a core while a burst of sign-ins is hashed.
    password_hash_threads: int = Field(0, ge=0, le=64)

    # --- GraphQL documents and HTTP ---------------------------------------------------
    # A document longer than this many characters is refused before it is parsed (the
    # token limit then counts what is left); the apps' largest query has ~400.
    gql_max_document_chars: int = Field(20_000, ge=100, le=1_000_000)
    # Fields answering under one name in one selection set (its fragments included) before
    # the document is refused unvalidated (TOO_MANY_REPEATED_FIELDS): validating 990
    # duplicates took ~170 ms; the member-home query repeats none.
    gql_max_field_repeats: int = Field(10, ge=2, le=1_000)
    # Longest value (characters) a JSON log line keeps of each field; the rest is cut.
    log_max_value_chars: int = Field(2_000, ge=100, le=100_000)

    # --- data protection and operations -----------------------------------------------
    # The role that owns the tables: `loyalty migrate` connects with it and grants the
    # role of DATABASE_URL (which owns nothing) what the app needs. Empty: DATABASE_URL
    # migrates, owns the tables, and production refuses to serve with it.
    database_owner_url: str = ""
    # Sent messages keep their text (encrypted) this long, then the purge job blanks it.
    message_body_retention_days: int = Field(180, ge=1, le=3650)
    # SMS sign-in codes sent by all processes together per hour / per Asia/Shanghai day;
    # over it otpRequest answers RATE_LIMITED and sends nothing (0: no cap).
    sms_cap_per_hour: int = Field(1_000, ge=0)
    sms_cap_per_day: int = Field(10_000, ge=0)
    # Bearer token for /metrics and the details of /readyz. Production without it:
    # /metrics answers 403 and /readyz only ready / not ready.
    metrics_token: str = ""

    # Feeds and recommendations (README "Feeds and recommendations").
    feed_history_days: int = Field(365, ge=30, le=1100)  # orders the nightly rebuild reads
    feed_replenish_share: float = Field(0.8, gt=0, le=3)  # due at this x the median gap
    feed_replenish_min_purchases: int = Field(3, ge=3, le=100)
    feed_bought_hold_days: int = Field(30, ge=0, le=365)  # bought, not replenishable: hidden
    feed_dismiss_days: int = Field(90, ge=1, le=3650)  # a dismissed item stays out this long
    feed_category_cap: int = Field(2, ge=1, le=10)  # items of one category in the first 10
    feed_candidates_per_member: int = Field(60, ge=10, le=500)
    feed_neighbours_per_item: int = Field(20, ge=1, le=200)
    feed_rule_min_support: float = Field(0.0005, gt=0, le=1)
    feed_rule_min_confidence: float = Field(0.05, gt=0, le=1)
    feed_new_product_days: int = Field(30, ge=1, le=365)  # first sold this recently: "new"
    feed_rebuild_range_members: int = Field(50_000, ge=100, le=1_000_000)  # per range job
    feed_cache_ttl_s: int = Field(300, ge=0, le=86_400)  # a member's ranked feed, 0: off
    feed_events_max: int = Field(100, ge=1, le=1_000)  # per feedEventsRecord call

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("member_lookup_order", mode="before")
    @classmethod
    def _split_lookup_order(cls, value: object) -> object:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        known = {"scan_code", "card_number", "phone", "identity", "member_id"}
        unknown = set(value) - known if isinstance(value, list) else set()
        if unknown:
            raise ValueError(f"MEMBER_LOOKUP_ORDER: unknown {sorted(unknown)}; use {sorted(known)}")
        return value

    @field_validator("test_phone_numbers", mode="before")
    @classmethod
    def _split_test_numbers(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("{"):
                return json.loads(value)
            pairs = [p.split(":", 1) for p in value.split(",") if p.strip()]
            return {phone.strip(): code.strip() for phone, code in pairs}
        return value

    @model_validator(mode="after")
    def _home_cache_keeps_scan_codes_fresh(self) -> Settings:
        if self.home_cache_ttl_s * 2 > self.scan_code_ttl_s:
            raise ConfigError(
                "HOME_CACHE_TTL_S may be at most half of SCAN_CODE_TTL_S: a cached answer "
                "carries the scan code minted with it"
            )
        return self

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.app_env != "production":
            return self
        missing = [
            name
            for name, value in (
                ("DATABASE_URL", self.database_url),
                ("DATA_KEYS", self.data_keys),
                ("DATA_KEY_ID", self.data_key_id),
                ("HMAC_KEY", self.hmac_key),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"APP_ENV=production needs {', '.join(missing)} to be set")
        if self.test_phone_numbers:
            raise ConfigError("TEST_PHONE_NUMBERS is refused when APP_ENV=production")
        if self.database_url.startswith("sqlite"):
            raise ConfigError("APP_ENV=production needs PostgreSQL, not SQLite")
        return self

    # --- derived ----------------------------------------------------------------------
    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def embedded(self) -> bool:
        """Single process: SQLite or in-memory cache or in-process broker."""
        return not self.broker_url

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite://{self.var_dir / 'loyalty.sqlite3'}"

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.production) if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return (not self.production) if self.introspection is None else self.introspection

    @property
    def demo_enabled(self) -> bool:
        return (self.app_env == "development") if self.demo_data is None else self.demo_data

    def with_dev_secrets(self) -> Settings:
        """Fill missing keys from var/secrets.json, creating it once (never in production)."""
        if self.data_keys and self.hmac_key:
            return self
        if self.production:  # the validator already refused this; belt and braces
            raise ConfigError("production keys must come from the environment")
        path = self.var_dir / "secrets.json"
        if path.exists():
            stored = json.loads(path.read_text())
        else:
            self.var_dir.mkdir(parents=True, exist_ok=True)
            stored = {
                "data_keys": {"dev1": _random_key()},
                "data_key_id": "dev1",
                "hmac_key": _random_key(),
            }
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(stored, fh)
        return self.model_copy(update=stored)


def _random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def default_test_numbers(settings: Settings) -> Settings:
    """In development the demo member's phone is a test number with a fixed code."""
    if settings.app_env == "development" and not settings.test_phone_numbers:
        from domain.demo_constants import DEMO_MEMBER_PHONE, DEMO_SIGN_IN_CODE

        return settings.model_copy(
            update={"test_phone_numbers": {DEMO_MEMBER_PHONE: DEMO_SIGN_IN_CODE}}
        )
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process; bad variables raise one ConfigError that names each
    of them on a line of its own (the CLI and ``server:app`` print it, exit 2)."""
    try:
        settings = Settings()
    except (ValidationError, SettingsError) as exc:
        raise ConfigError("\n".join(settings_problems(exc, Settings))) from None
    return default_test_numbers(settings.with_dev_secrets())
