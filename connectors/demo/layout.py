"""The demo partners' own table layout: Niche-style nominals, not the hub's canonical model.

Column names, codes and formats are the partner's: `sex` is M/F/U, intelligence grades are the raw 3x5x2
characters, custody risk flags are one `;`-separated string, and the coded columns hold:

- `referral_type`: DA (domestic abuse incident), CP (child-protection referral), ENC (Operation Encompass
  notification), MISS (missing episode);
- `disposal`: CHARGED, BAIL, RUI (released under investigation), NFA, CAUTION, or NULL while in custody.

The `sql` connector reaches this layout through its mapping; the REST and GraphQL demo partners read it and
publish it in their own shapes.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "custody_event",
    "custody_offence",
    "intel_log",
    "metadata",
    "nominal",
    "nominal_address",
    "nominal_alias",
    "record_change",
    "search_key",
    "vulnerability_referral",
    "warning_signal",
]

metadata = MetaData()

nominal = Table(
    "nominal",
    metadata,
    Column("nominal_ref", String(20), primary_key=True),
    Column("surname", String(80), nullable=False),
    Column("forenames", String(120)),
    Column("surname_key", String(80), nullable=False),
    Column("birth_date", Date),
    Column("sex", String(1)),
    Column("nationality", String(40)),
    Column("pnc_ref", String(16)),
    Column("cro_ref", String(16)),
    Index("ix_nominal_surname_key", "surname_key", "birth_date"),
    # A surname search's first page, in id order: read from the index, not by sorting every match (a
    # common surname in a million people matches thousands).
    Index("ix_nominal_surname_ref", "surname_key", "nominal_ref"),
    Index("ix_nominal_pnc_ref", "pnc_ref"),
)

nominal_alias = Table(
    "nominal_alias",
    metadata,
    Column("alias_id", Integer, primary_key=True, autoincrement=True),
    Column("nominal_ref", String(20), ForeignKey("nominal.nominal_ref"), nullable=False),
    Column("surname", String(80), nullable=False),
    Column("forenames", String(120)),
    Column("surname_key", String(80), nullable=False),
    Index("ix_nominal_alias_ref", "nominal_ref"),
    Index("ix_nominal_alias_surname_key", "surname_key", "nominal_ref"),  # covers the alias lookup
)

nominal_address = Table(
    "nominal_address",
    metadata,
    Column("address_id", Integer, primary_key=True, autoincrement=True),
    Column("nominal_ref", String(20), ForeignKey("nominal.nominal_ref"), nullable=False),
    Column("line1", String(120), nullable=False),
    Column("line2", String(120)),
    Column("town", String(80)),
    Column("postcode", String(10)),
    Index("ix_nominal_address_ref", "nominal_ref"),
)

warning_signal = Table(
    "warning_signal",
    metadata,
    Column("signal_id", Integer, primary_key=True, autoincrement=True),
    Column("nominal_ref", String(20), ForeignKey("nominal.nominal_ref"), nullable=False),
    Column("signal_code", String(2), nullable=False),
    Column("signal_text", String(200), nullable=False),
    Column("raised_on", Date),
    Index("ix_warning_signal_ref", "nominal_ref"),
)

intel_log = Table(
    "intel_log",
    metadata,
    Column("log_ref", String(24), primary_key=True),
    Column("nominal_ref", String(20), ForeignKey("nominal.nominal_ref"), nullable=False),
    Column("source_grade", String(1), nullable=False),
    Column("intel_grade", String(1), nullable=False),
    Column("handling_code", String(1), nullable=False),
    Column("handling_conditions", Text),
    Column("summary_text", Text, nullable=False),
    Column("full_text", Text),
    Column("protective_marking", String(20)),
    Column("logged_at", DateTime),
    Index("ix_intel_log_ref", "nominal_ref"),
)

custody_event = Table(
    "custody_event",
    metadata,
    Column("custody_ref", String(24), primary_key=True),
    Column("nominal_ref", String(20), ForeignKey("nominal.nominal_ref"), nullable=False),
    Column("custody_number", String(24), nullable=False),
    Column("suite", String(80), nullable=False),
    Column("arrested_at", DateTime, nullable=False),
    Column("arrest_reason", Text, nullable=False),
    Column("authorised_by", String(80)),
    Column("released_at", DateTime),
    Column("disposal", String(40)),
    Column("risk_flags", Text),
    Index("ix_custody_event_ref", "nominal_ref"),
)

custody_offence = Table(
    "custody_offence",
    metadata,
    Column("offence_id", Integer, primary_key=True, autoincrement=True),
    Column("custody_ref", String(24), ForeignKey("custody_event.custody_ref"), nullable=False),
    Column("offence_code", String(20), nullable=False),
    Column("offence_text", String(200), nullable=False),
    Index("ix_custody_offence_ref", "custody_ref"),
)

vulnerability_referral = Table(
    "vulnerability_referral",
    metadata,
    Column("referral_ref", String(24), primary_key=True),
    Column("nominal_ref", String(20), ForeignKey("nominal.nominal_ref"), nullable=False),
    Column("referral_type", String(40), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("children_present", Boolean),
    Column("summary_text", Text, nullable=False),
    Column("contact_point", String(200)),
    Index("ix_vulnerability_referral_ref", "nominal_ref"),
)

#: The force's change feed: every record added or changed since the data was generated, in order. What its
#: API's change feed reads (`changes(after:)` at Eastvale) and what `hub demo arrest` appends to.
record_change = Table(
    "record_change",
    metadata,
    Column("change_seq", Integer, primary_key=True, autoincrement=True),
    Column("record_kind", String(20), nullable=False),
    Column("record_ref", String(24), nullable=False),
    Column("nominal_ref", String(20), ForeignKey("nominal.nominal_ref"), nullable=False),
    Column("changed_at", DateTime, nullable=False),
)

_NOT_LETTERS = re.compile(r"[^A-Z]")


def search_key(surname: str) -> str:
    """The partner's surname search key: upper-case ASCII letters only ("O'Brien" -> "OBRIEN")."""
    folded = unicodedata.normalize("NFKD", surname).encode("ascii", "ignore").decode("ascii")
    return _NOT_LETTERS.sub("", folded.upper())
