"""The hub over HTTP: the app factory (`app.py`) and the request path of `/graphql`, one layer a module, in
the order a request passes through them:

    audit_gate.py       opens the request's consultation; holds the response until its audit event is
                        written (fail closed); outermost, so every refusal below is recorded too
    body_limit.py       refuses a body over HUB_MAX_REQUEST_BYTES before it is read
    authentication.py   the bearer token: the principal, or 401 (RFC 6750)
    endpoint.py         reads the GraphQL request (`request.py`), prepares its document within the limits
                        and runs it on the schema (`hub.schema`), which asks the federation engine

`logs.py` keeps query strings out of the logs. Below this package: the schema, access rules, federation and
connectors (the way in), and audit and auth (what the layers here use).
"""
