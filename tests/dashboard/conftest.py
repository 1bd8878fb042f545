"""The campaign fixtures (funded account, contacts in a list, empty RQ queues)."""

from tests.campaigns.conftest import customers, funded, queues  # noqa: F401
