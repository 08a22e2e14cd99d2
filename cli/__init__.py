"""The ``healthkg`` command line and the build pipeline it runs."""
