"""Who may see what: scope requirements in the schema, the sharing policy, purposes, and explanations."""
