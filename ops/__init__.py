"""Running Footfall: liveness and readiness for load balancers (views.py), the checks and readings behind
them (checks.py, readings.py), the Prometheus metrics (collector.py), backups (backup.py) and the
commands `doctor`, `backup` and `restore`."""
