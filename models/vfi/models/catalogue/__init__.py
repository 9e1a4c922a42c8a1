"""The built-in families and variants, one module per family. A new family adds one module here."""

from vfi.models.catalogue import rife  # noqa: F401  (registers on import)
from vfi.models.catalogue import cain  # noqa: F401
from vfi.models.catalogue import cspa  # noqa: F401
from vfi.models.catalogue import ifrnet  # noqa: F401
from vfi.models.catalogue import distance_indexing  # noqa: F401
from vfi.models.catalogue import ugsp  # noqa: F401
