from django.apps import AppConfig
from django.core import checks


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Email reports and alerts"

    def ready(self) -> None:
        from reports.checks import public_url_check

        checks.register(public_url_check, checks.Tags.compatibility, deploy=True)
