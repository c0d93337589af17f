"""The hub's configuration, checked whole at start: every problem in the settings, the partners file (and
each partner's connection table) and the trusted issuers file, reported together, before anything listens.
"""

from hub.config.check import ConfigurationError, check_configuration

__all__ = ["ConfigurationError", "check_configuration"]
