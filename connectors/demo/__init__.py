"""Demo partner systems: three fictional forces with synthetic records, each a real server.

- `northshire` keeps its records in a relational database (read by the `sql` connector);
- `southmoor` serves them through a REST/JSON API behind OAuth2 client credentials (`rest` connector);
- `eastvale` serves them through a GraphQL API of its own design (`graphql` connector).

All three store their data in the same Niche-style "nominal" layout (`layout.py`); what differs is the
protocol the hub must speak to reach it. Nothing here is synthetic to the hub: it talks to these systems
exactly as it talks to a real partner.
"""
