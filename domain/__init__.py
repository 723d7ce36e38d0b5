"""Business rules and use cases. Imports no web, GraphQL or queue framework."""
