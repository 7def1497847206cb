"""Settings, read once from the environment at start-up.

Every variable is documented in README.md (Configuration). ``Settings.from_env`` validates what it
reads and raises ``ConfigError`` with the variable's name, so a bad deployment fails before it
accepts its first message.
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.clock import aware_instant
from hub.domain.alerts.routing import Routing
from hub.domain.alerts.routing_file import parse_routing
from hub.domain.calendar import BusinessCalendar
from hub.domain.episode.rules_file import read_overrides
from hub.errors import ConfigError
from hub.topic_names import MAX_FRAME_BYTES

T = TypeVar("T")


def _zone(name: str, variable: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{variable}: unknown IANA time zone {name!r}") from exc


def _int(env: Mapping[str, str], variable: str, default: int) -> int:
    raw = env.get(variable)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{variable}: expected a whole number, got {raw!r}") from exc


# The raw bytes travel base64-encoded inside a JSON record, up to MAX_RECORD_BYTES: a larger
# frame could never be kept, only answered AR.
MAX_FRAME_LIMIT = MAX_FRAME_BYTES


def _max_frame(env: Mapping[str, str]) -> int:
    value = _int(env, "MLLP_MAX_FRAME_BYTES", 1 << 20)
    if not 1024 <= value <= MAX_FRAME_LIMIT:
        raise ConfigError(f"MLLP_MAX_FRAME_BYTES: between 1024 and {MAX_FRAME_LIMIT} (5 MiB: "
                          f"a larger frame could not be kept on Kafka), got {value}")
    return value


def _routing(env: Mapping[str, str], smtp: SmtpSettings | None) -> Routing:
    """HUB_ALERT_ROUTING: the routing file; without one, alerts are the record on care.alerts
    and the API's list, and no channel is used. A team that mails needs a relay."""
    path = env.get("HUB_ALERT_ROUTING", "")
    if not path:
        return Routing()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"HUB_ALERT_ROUTING: cannot read {path!r} ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"HUB_ALERT_ROUTING: {path!r} is not UTF-8 text") from exc
    routing = parse_routing(text, path, env)
    mailing = [t.name for t in routing.teams.values() if "email" in t.channels]
    if mailing and smtp is None:
        raise ConfigError(f"HUB_ALERT_ROUTING: team {mailing[0]} sends email: set HUB_SMTP_HOST")
    return routing


DOOR_TOKENS = ("HUB_API_TOKEN", "HUB_HL7_HTTP_TOKEN", "HUB_METRICS_TOKEN")


def _own_token(env: Mapping[str, str], variable: str) -> str:
    """A door's credential of its own: the same value as another door's would let one leaked
    secret open both."""
    token = env.get(variable, "")
    for other in DOOR_TOKENS[:DOOR_TOKENS.index(variable)]:
        if token and token == env.get(other, ""):
            raise ConfigError(f"{variable}: must differ from {other} (each door has its own "
                              "lock)")
    return token


def _session_secret(env: Mapping[str, str]) -> str:
    secret = env.get("HUB_SESSION_SECRET", "")
    if secret and len(secret) < 32:
        raise ConfigError("HUB_SESSION_SECRET: 32 characters or more (e.g. openssl rand -hex 32)")
    return secret


def _smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    host = env.get("HUB_SMTP_HOST", "")
    if not host:
        return None
    context = None
    if ca_file := env.get("HUB_SMTP_CA_FILE", ""):
        try:
            context = ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"HUB_SMTP_CA_FILE: cannot use {ca_file!r} "
                              f"({getattr(exc, 'strerror', None) or exc})") from exc
    return SmtpSettings(
        host, _int(env, "HUB_SMTP_PORT", 587), tls_context=context,
        sender=env.get("HUB_SMTP_FROM") or "tcm-hub@localhost",
        username=env.get("HUB_SMTP_USER") or None, password=env.get("HUB_SMTP_PASSWORD") or None,
        starttls=env.get("HUB_SMTP_STARTTLS", "true").lower() not in ("false", "0", "no"))


def _facility_rules(path: str) -> dict[str, dict[str, Any]]:
    """HUB_FACILITY_RULES: a JSON file of per-facility overrides, read once and checked."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"HUB_FACILITY_RULES: cannot read {path!r} ({exc.strerror})") from exc
    except ValueError as exc:
        raise ConfigError(f"HUB_FACILITY_RULES: {path!r} is not JSON ({exc})") from exc
    return read_overrides(data, "HUB_FACILITY_RULES")


def _float(env: Mapping[str, str], variable: str, default: float) -> float:
    raw = env.get(variable)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{variable}: expected a number of seconds, got {raw!r}") from exc


def _retention(env: Mapping[str, str]) -> int:
    days = _int(env, "HUB_RETENTION_DAYS", 90)
    if days < 31:
        raise ConfigError(f"HUB_RETENTION_DAYS: at least 31 (past the 30-day window), got {days}")
    return days


def _sweep_interval(env: Mapping[str, str]) -> float:
    seconds = _float(env, "HUB_RETENTION_SWEEP_SECONDS", 3600.0)
    if not 1 <= seconds <= 86_400:
        raise ConfigError(f"HUB_RETENTION_SWEEP_SECONDS: expected 1 to 86400 seconds, "
                          f"got {seconds:g}")
    return seconds


def _one_of(env: Mapping[str, str], variable: str, default: str, allowed: tuple[str, ...],
            *, empty_is_default: bool = True) -> str:
    """One of ``allowed`` (any case); unset is ``default``, and so is set but empty unless
    ``empty_is_default`` is False (a safety switch: an empty ``${HUB_SENDER}`` in a compose
    file must not quietly mean real texts)."""
    value = env.get(variable, default).strip().lower()
    if not value and empty_is_default:
        value = default
    if value not in allowed:
        raise ConfigError(f"{variable}: expected {' or '.join(map(repr, allowed))}, "
                          f"got {env[variable]!r}")
    return value


def _bounded(env: Mapping[str, str], variable: str, default: int, low: int, high: int) -> int:
    value = _int(env, variable, default)
    if not low <= value <= high:
        raise ConfigError(f"{variable}: expected a whole number from {low} to {high}, "
                          f"got {value}")
    return value


def _rebalance_timeout(env: Mapping[str, str], default: float | None) -> float | None:
    value = _float(env, "HUB_REBALANCE_TIMEOUT", default or 0.0)
    if not 0 <= value <= 600:
        raise ConfigError(f"HUB_REBALANCE_TIMEOUT: expected seconds from 0 (Faust's defaults) "
                          f"to 600, got {value:g}")
    return value or None


def _start_wait(env: Mapping[str, str], default: float) -> float:
    """HUB_BROKER_START_WAIT: 0 (try once) to an hour; not negative, not nan."""
    value = _float(env, "HUB_BROKER_START_WAIT", default)
    if not 0 <= value <= 3600:
        raise ConfigError(f"HUB_BROKER_START_WAIT: expected seconds from 0 to 3600, got {value:g}")
    return value


def _positive(env: Mapping[str, str], variable: str, default: float) -> float:
    value = _float(env, variable, default)
    if not 0 < value <= 600:
        raise ConfigError(f"{variable}: expected seconds between 0 and 600, got {value:g}")
    return value


def _instant(env: Mapping[str, str], variable: str) -> datetime | None:
    raw = env.get(variable)
    if not raw:
        return None
    try:
        return aware_instant(raw)
    except ValueError as exc:
        raise ConfigError(f"{variable}: {exc}") from None


def _per_facility(raw: str, variable: str, read: Callable[[str, str], T]) -> dict[str, T]:
    """``FAC1=value,FAC2=value`` -> {facility: read(value, variable)}."""
    values: dict[str, T] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        facility, sep, value = item.partition("=")
        if not sep or not facility.strip():
            raise ConfigError(f"{variable}: expected FACILITY=value pairs, got {item!r}")
        values[facility.strip()] = read(value.strip(), variable)
    return values


def _holidays(spec: str, variable: str) -> BusinessCalendar:
    """TCM-3 (CONTESTED): ``US`` (federal, the default), ``US-CA``, ``none``, with ``+day`` and
    ``-day`` exceptions (``BusinessCalendar.from_spec``)."""
    try:
        return BusinessCalendar.from_spec(spec)
    except ConfigError as exc:
        raise ConfigError(f"{variable}: {exc.message}") from exc


def _visit_day_counting(raw: str) -> bool:
    """TCM-4 (CONTESTED): ``calendar`` gives +7/+14, ``strict`` (discharge date = day 1) +6/+13."""
    choice = raw.strip().lower() or "calendar"
    if choice not in ("calendar", "strict"):
        raise ConfigError(f"HUB_VISIT_DAY_COUNTING: expected 'calendar' or 'strict', got {raw!r}")
    return choice == "strict"


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str | None
    messaging_service_sid: str | None
    api_url: str | None  # set only to point the client at a contract mock or a proxy
    public_url: str | None  # where Twilio reaches our webhooks (status callbacks, inbound SMS)

    def missing(self) -> list[str]:
        gaps = []
        if not self.account_sid:
            gaps.append("TWILIO_ACCOUNT_SID")
        if not self.auth_token:
            gaps.append("TWILIO_AUTH_TOKEN")
        if not self.from_number:  # calls need it: a Messaging Service sends texts only
            gaps.append("TWILIO_FROM_NUMBER")
        if not self.public_url:  # status callbacks, replies, keypresses, machine detection
            gaps.append("HUB_PUBLIC_URL")
        return gaps


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    sender: str = "tcm-hub@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = True  # required unless the relay is on this host (HUB_SMTP_STARTTLS=0)
    tls_context: ssl.SSLContext | None = None  # HUB_SMTP_CA_FILE: a private CA


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap: str = "127.0.0.1:9092"
    app_id: str = "tcm-hub"
    partitions: int = 8
    topic_replication: int = 1  # 3 on a production cluster of three or more brokers
    mllp_host: str = "0.0.0.0"
    mllp_port: int = 2575
    mllp_max_frame: int = 1 << 20
    mllp_idle_timeout: float = 300.0
    retention_days: int = 90  # settled ledger entries and dedupe ids (ADT-1) kept this long
    retention_sweep_interval: float = 3600.0  # seconds between two sweeps of old dedupe ids
    mllp_max_connections: int = 256  # open MLLP connections at once; more are closed at once
    mllp_tls_cert: str | None = None  # with a key: the listener speaks TLS
    mllp_tls_key: str | None = None
    mllp_tls_client_ca: str | None = None  # set: client certificates are required
    web_host: str = "0.0.0.0"
    web_port: int = 6066
    data_dir: str = "./hub-data"
    store: str = "rocksdb://"
    default_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/New_York"))
    facility_zones: dict[str, ZoneInfo] = field(default_factory=dict)
    holidays: BusinessCalendar = field(default_factory=BusinessCalendar)  # TCM-3: US federal
    facility_holidays: dict[str, BusinessCalendar] = field(default_factory=dict)
    strict_visit_days: bool = False  # TCM-4: +6/+13 instead of +7/+14
    phone_region: str = "US"
    practice_name: str = "Your care team"
    callback_number: str = ""
    twilio: TwilioSettings = field(
        default_factory=lambda: TwilioSettings("", "", None, None, None, None))
    sender: str = "twilio"  # "twilio" or "record" (the demo's stand-in that sends nothing)
    tick_interval: float = 30.0
    # seconds a group waits for its members at a rebalance; a dead worker is noticed after twice
    # this (its session timeout), and its partitions move then. None: Faust's (60 s each)
    rebalance_timeout: float | None = 5.0
    api_token: str = ""  # bearer token for the care-team API; empty = API refuses every call
    # HUB_HL7_HTTP_TOKEN: the sending systems' own bearer token for POST /hl7; empty = door off
    hl7_http_token: str = ""
    metrics_token: str = ""  # HUB_METRICS_TOKEN: Prometheus's bearer token; empty = /metrics off
    kafka_idempotence: bool = True  # the embedded demo broker has no idempotent producers
    # MSH-11 T/D messages: "record" (kept apart, nobody contacted) or "refuse" (AR at the door)
    non_production: str = "record"
    broker_write_timeout: float = 5.0  # seconds before ingest answers AR (broker gone)
    broker_start_wait: float = 60.0  # seconds a starting worker waits for its broker
    log_format: str = "console"  # HUB_LOG_FORMAT: the worker's log lines, "console" or "json"
    fetch_wait_ms: int = 100  # a stage's fetch waits at most this long on the broker for records
    producer_linger_ms: int = 3  # a stage's records wait this long to share a produce request
    outreach_concurrency: int = 64  # phones the outreach stage handles at once (per worker)
    # warm copies of each table partition kept by the other workers of the group (Faust's
    # standby replicas): a dead worker's phones go on at once, for about a fifth more CPU a text
    standby_replicas: int = 1
    twilio_rate: int = 100  # Twilio requests a second at most (per worker); 0: no limit
    twilio_in_doubt_seconds: int = 120  # a send in doubt is looked up at Twilio this long after
    templates_dir: str | None = None  # HUB_TEMPLATES_DIR: edited patient texts (<lang>.toml)
    clock_start: datetime | None = None  # worker clock starts here (rehearsals, tests)
    # HUB_FACILITY_RULES: per-facility rule overrides (hub.domain.episode.rules_file), "*" for all
    facility_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    # HUB_ALERT_ROUTING: teams, on-call lists and channels (hub.domain.alerts.routing_file)
    routing: Routing = field(default_factory=Routing)
    smtp: SmtpSettings | None = None  # HUB_SMTP_HOST and the rest: the email channel relay
    alert_channel_timeout: float = 10.0  # seconds one webhook or email attempt may take
    # HUB_SESSION_SECRET: signs the worklist's sessions; unset, the pages are off
    session_secret: str = ""
    session_idle_minutes: float = 15.0  # HIPAA automatic log-off after inactivity
    one_time_sign_in: bool = False  # HUB_ONE_TIME_SIGN_IN: accept hub demo --serve's link

    def zone_for(self, facility: str) -> ZoneInfo:
        return self.facility_zones.get(facility, self.default_zone)

    def holidays_for(self, facility: str) -> BusinessCalendar:
        return self.facility_holidays.get(facility, self.holidays)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        twilio = TwilioSettings(
            account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            from_number=env.get("TWILIO_FROM_NUMBER") or None,
            messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
            api_url=env.get("TWILIO_API_URL") or None,
            public_url=env.get("HUB_PUBLIC_URL") or None,
        )
        sender = _one_of(env, "HUB_SENDER", cls.sender, ("twilio", "record"),
                         empty_is_default=False)
        non_production = _one_of(env, "HUB_NON_PRODUCTION", cls.non_production,
                                 ("record", "refuse"))
        return cls(
            kafka_bootstrap=env.get("KAFKA_BOOTSTRAP_SERVERS", cls.kafka_bootstrap),
            app_id=env.get("HUB_APP_ID", cls.app_id),
            partitions=_int(env, "HUB_PARTITIONS", cls.partitions),
            topic_replication=_int(env, "HUB_TOPIC_REPLICATION", cls.topic_replication),
            mllp_host=env.get("MLLP_HOST", cls.mllp_host),
            mllp_port=_int(env, "MLLP_PORT", cls.mllp_port),
            mllp_max_frame=_max_frame(env),
            mllp_idle_timeout=_float(env, "MLLP_IDLE_TIMEOUT", cls.mllp_idle_timeout),
            mllp_max_connections=_int(env, "MLLP_MAX_CONNECTIONS", cls.mllp_max_connections),
            retention_days=_retention(env),
            retention_sweep_interval=_sweep_interval(env),
            mllp_tls_cert=env.get("MLLP_TLS_CERT") or None,
            mllp_tls_key=env.get("MLLP_TLS_KEY") or None,
            mllp_tls_client_ca=env.get("MLLP_TLS_CLIENT_CA") or None,
            web_host=env.get("HUB_WEB_HOST", cls.web_host),
            web_port=_int(env, "HUB_WEB_PORT", cls.web_port),
            data_dir=env.get("HUB_DATA_DIR", cls.data_dir),
            store=env.get("HUB_STORE", cls.store),
            default_zone=_zone(env.get("HUB_FACILITY_TZ", "America/New_York"), "HUB_FACILITY_TZ"),
            facility_zones=_per_facility(env.get("HUB_FACILITY_ZONES", ""), "HUB_FACILITY_ZONES",
                                         _zone),
            holidays=_holidays(env.get("HUB_HOLIDAYS") or "US", "HUB_HOLIDAYS"),
            facility_holidays=_per_facility(env.get("HUB_FACILITY_HOLIDAYS", ""),
                                            "HUB_FACILITY_HOLIDAYS", _holidays),
            strict_visit_days=_visit_day_counting(env.get("HUB_VISIT_DAY_COUNTING", "")),
            phone_region=env.get("HUB_PHONE_REGION", cls.phone_region),
            practice_name=env.get("HUB_PRACTICE_NAME", cls.practice_name),
            callback_number=env.get("HUB_CALLBACK_NUMBER", cls.callback_number),
            twilio=twilio,
            sender=sender,
            tick_interval=_float(env, "HUB_TICK_SECONDS", cls.tick_interval),
            rebalance_timeout=_rebalance_timeout(env, cls.rebalance_timeout),
            clock_start=_instant(env, "HUB_CLOCK_START"),
            api_token=env.get("HUB_API_TOKEN", ""),
            hl7_http_token=_own_token(env, "HUB_HL7_HTTP_TOKEN"),
            metrics_token=_own_token(env, "HUB_METRICS_TOKEN"),
            kafka_idempotence=env.get("HUB_KAFKA_IDEMPOTENCE", "true").lower() not in (
                "false", "0", "no"),
            facility_rules=_facility_rules(env.get("HUB_FACILITY_RULES", "")),
            non_production=non_production,
            templates_dir=env.get("HUB_TEMPLATES_DIR") or None,
            outreach_concurrency=_bounded(env, "HUB_OUTREACH_CONCURRENCY",
                                          cls.outreach_concurrency, 1, 1000),
            standby_replicas=_bounded(env, "HUB_STANDBY_REPLICAS", cls.standby_replicas, 0, 3),
            twilio_rate=_bounded(env, "TWILIO_MAX_REQUESTS_PER_SECOND", cls.twilio_rate,
                                 0, 10_000),
            twilio_in_doubt_seconds=_bounded(env, "TWILIO_IN_DOUBT_SECONDS",
                                             cls.twilio_in_doubt_seconds, 1, 3600),
            log_format=_one_of(env, "HUB_LOG_FORMAT", cls.log_format, ("console", "json")),
            fetch_wait_ms=_bounded(env, "HUB_FETCH_WAIT_MS", cls.fetch_wait_ms, 1, 1500),
            producer_linger_ms=_bounded(env, "HUB_PRODUCER_LINGER_MS", cls.producer_linger_ms,
                                        0, 50),
            broker_write_timeout=_positive(env, "HUB_BROKER_WRITE_TIMEOUT",
                                           cls.broker_write_timeout),
            broker_start_wait=_start_wait(env, cls.broker_start_wait),
            routing=_routing(env, smtp := _smtp(env)),
            smtp=smtp,
            alert_channel_timeout=_positive(env, "HUB_ALERT_CHANNEL_TIMEOUT",
                                            cls.alert_channel_timeout),
            session_secret=_session_secret(env),
            session_idle_minutes=_positive(env, "HUB_SESSION_IDLE_MINUTES",
                                           cls.session_idle_minutes),
            one_time_sign_in=env.get("HUB_ONE_TIME_SIGN_IN", "false").lower() in (
                "true", "1", "yes"),
        )

    def require_sender(self) -> None:
        """A worker that would text patients must have working Twilio settings before it
        starts, and a number patients can call back: every message names one (MSG-1)."""
        if self.sender != "twilio":
            return
        gaps = self.twilio.missing()
        if not self.callback_number:
            gaps.append("HUB_CALLBACK_NUMBER")
        if gaps:
            raise ConfigError(
                "Twilio is not configured: set " + ", ".join(gaps)
                + " (or HUB_SENDER=record to run without sending anything)")
