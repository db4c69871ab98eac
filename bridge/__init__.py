"""musicgen-bridge: generate music from inside your DAW."""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("musicgen-bridge")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"

__all__ = ["__version__"]
