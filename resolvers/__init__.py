"""Adapters: viewer from context -> one domain service -> schema types and errors."""
