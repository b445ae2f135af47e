"""Session reports: read the durable event logs and render JSON, CSV, HTML, clinical and music views.

The log writer (the engine) owns the paths and the records; the reports only read them.
"""
