"""The audit trail (UK DPA 2018 s62 logging): every request, what it disclosed, in a tamper-evident chain.

`events` says what an event holds, `tables` where it is stored, `chain` how events are linked and checked,
`store` how they are written and read (`AuditStore`, the one way in, handing each call to `writer`, the
group commit, with `inserts`, the statements it shares; `queries`, the auditors' reads; `maintenance`,
verify and purge; `errors`, failing closed), and `cli` the `hub audit` commands. docs/audit.md explains it
all.
"""
