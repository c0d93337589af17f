"""Watches: a caller asks to be told when a partner records something new about a person.

`store.py` keeps the watches (who, on which person's source records, which kinds of record, until when,
for what purpose) in the hub's own database; `tables.py` their tables. docs/notifications.md.
"""
