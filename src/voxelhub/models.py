"""Imports every domain's tables so that `Base.metadata` knows them all (migrations, tests)."""

from voxelhub.accounts import models as accounts_models  # noqa: F401
from voxelhub.annotations import models as annotations_models  # noqa: F401
from voxelhub.datasets import models as datasets_models  # noqa: F401
from voxelhub.sharing import models as sharing_models  # noqa: F401
