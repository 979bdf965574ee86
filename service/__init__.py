"""ktag's HTTP service (Flask). The API arrives with the service issue; the package exists so that
the distribution layout is final from the start."""
from __future__ import annotations
