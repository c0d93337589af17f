"""The HTTP side of the hub: reading GraphQL-over-HTTP requests and the `/graphql` endpoint."""
