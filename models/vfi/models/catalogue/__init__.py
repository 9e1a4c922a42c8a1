"""The built-in families and variants, one module per family. A new family adds one module here."""

from vfi.models.catalogue import (
    cain,  # noqa: F401
    cspa,  # noqa: F401
    dbvfi,  # noqa: F401
    distance_indexing,  # noqa: F401
    ifrnet,  # noqa: F401
    raft,  # noqa: F401
    rife,  # noqa: F401  (registers on import)
    ugsp,  # noqa: F401
)
