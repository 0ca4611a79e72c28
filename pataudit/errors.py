"""The small exception tree: configuration, control-definition and collection errors.

Findings are data, never exceptions; these are for things that stop a run or a source.
"""


class PatauditError(Exception):
    """Base of every error pataudit raises on purpose."""


class ConfigError(PatauditError):
    """The configuration file is missing, unreadable or invalid (exit code 2)."""


class InputError(PatauditError):
    """A command-line argument or input file is invalid (exit code 2)."""


class ControlDefinitionError(PatauditError):
    """A control or framework file in the catalog is invalid."""


class CollectionError(PatauditError):
    """A source (or one scope of it) could not be read; the source becomes ERROR, the run goes on."""
