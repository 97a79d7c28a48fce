"""One exception tree for everything a user can get wrong or the world can break.

    SlaEngineError                   base: the CLI prints str(error) and exits 1
    ├── ConfigError                  config.toml or SLAENGINE_* variables unusable
    ├── ContractError                contract specification problems
    │   ├── ContractInvalid          one or more FILE:LINE:COL problems (.problems)
    │   ├── ContractConflict         same id+version with other content, overlapping versions
    │   └── ContractNotFound         no stored contract with that id (or none in force)
    ├── FeedError                    provider KPI feed problems
    │   ├── FeedRefused              the file cannot be a feed at all; nothing stored
    │   ├── FeedRejected             --strict and some rows are bad; nothing stored
    │   ├── FeedPullError            HTTP download failed after retries
    │   └── FeedMappingInvalid       a provider mapping file is unusable (file, key, what to do)
    ├── StorageError                 database unreachable or schema too new
    ├── EvaluationError              evaluation cannot run (e.g. period outside the contract)
    │   └── MonthNotSettled          a final result asked for before the settlement instant
    ├── ReliefError                  a relief request or decision refused; nothing stored
    ├── ReportError                  a report cannot be written
    └── DeliveryError                e-mail or webhook delivery failed

"No data" is never an exception: it is a `not_determined` result.
"""

from __future__ import annotations

from datetime import datetime


class SlaEngineError(Exception):
    """Base of every error slaengine raises on purpose; its message is shown to the user."""


class ConfigError(SlaEngineError):
    """The configuration file or an SLAENGINE_* variable is unusable."""


class ContractError(SlaEngineError):
    """A contract specification problem."""


class ContractInvalid(ContractError):
    """One or more problems in contract files, each formatted FILE:LINE:COL: message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ContractConflict(ContractError):
    """A contract clashes with a stored one (same id+version, overlapping effective ranges)."""


class ContractNotFound(ContractError):
    """No stored contract matches."""


class FeedError(SlaEngineError):
    """A provider KPI feed problem."""


class FeedRefused(FeedError):
    """The file cannot be a feed at all (format, encoding, columns); nothing was stored."""


class FeedRejected(FeedError):
    """Strict ingestion found bad rows; nothing was stored."""


class FeedPullError(FeedError):
    """Downloading a feed failed after retries (the message never contains secrets)."""


class FeedMappingInvalid(FeedError):
    """A provider mapping file (TOML) is unusable; the message names the file and the key."""


class StorageError(SlaEngineError):
    """The database cannot be used."""


class EvaluationError(SlaEngineError):
    """An evaluation cannot be run as asked."""


class MonthNotSettled(EvaluationError):
    """A month's final result was asked for before its settlement instant (`.settles_at`)."""

    def __init__(self, message: str, settles_at: datetime) -> None:
        super().__init__(message)
        self.settles_at = settles_at


class ReliefError(SlaEngineError):
    """A relief request, decision or withdrawal was refused (SPEC section 7); nothing stored."""


class ReportError(SlaEngineError):
    """A report cannot be written."""


class DeliveryError(SlaEngineError):
    """A scorecard or alert could not be delivered; `attempts` is how many tries were made."""

    def __init__(self, message: str, attempts: int = 0) -> None:
        super().__init__(message)
        self.attempts = attempts
