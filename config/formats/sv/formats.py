"""Swedish: ISO dates (config.formats.iso); numbers as Django writes Swedish ones (``1 234,5``)."""

from config.formats.iso import *  # noqa: F403
