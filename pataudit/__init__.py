"""pataudit: compliance audit and evidence reports for personal access tokens and machine credentials."""

__version__ = "0.1.0"
