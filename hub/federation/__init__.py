"""The federation engine: fan-out to partners, batching, entity resolution."""
