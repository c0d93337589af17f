"""The hub's configuration: its settings (`settings.py`, HUB_* variables), the partners file
(`partners_file.py`), and the check of the whole at start (`check.py`: every problem in the settings, the
partners file, each partner's connection table and the trusted issuers file, reported together, before
anything listens). The trusted issuers file is read by `hub.auth.issuers`, which uses it."""
