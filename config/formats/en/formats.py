"""English: the same ISO dates as Swedish (config.formats.iso); numbers as Django writes English ones."""

from config.formats.iso import *  # noqa: F403
