"""Imports every domain's tables so that `Base.metadata` knows them all (migrations, tests)."""

from voxelhub.accounts import models as accounts_models  # noqa: F401
