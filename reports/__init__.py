"""Mail to a site's people: weekly and monthly reports, traffic alerts, and the one-click unsubscribe.

models.py holds subscriptions, alerts and the sent-log; periods.py the reported periods in the site's
time zone; content.py gathers a report's numbers through stats; render.py turns them into the HTML and
plain-text parts and the chart (a PNG); alerts.py decides when an alert fires; delivery.py sends each
mail once, whatever beat or a dying worker does; services.py changes subscriptions and alerts;
unsubscribe.py signs and reads the links every mail carries.
"""
