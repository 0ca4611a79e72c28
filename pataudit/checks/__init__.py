"""The rules engine: controls as data, vectorised predicates registered by name, framework maps."""
