"""The version of the package, in one place (read by the build and by the package itself)."""

__version__ = "0.1.0"
