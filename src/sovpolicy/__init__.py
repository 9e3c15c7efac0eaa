"""sovpolicy: block health data on cloud hosts that are not qualified for it."""

__version__ = "0.1.0"
