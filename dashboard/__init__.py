"""What people and programs read: the dashboard's pages and their data requests (views.py), the owners'
settings page (site_settings.py), two-factor login, the members' export download, the REST API (api/)
and the GraphQL API (graphql/). Every number comes from stats.run; every access check from
sites/selectors.py."""
