"""Who is asking: OAuth2 clients, signed JWT access tokens, and the principal a request acts as."""
