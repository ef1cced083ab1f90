"""The GraphQL API at /api/graphql: the Stats API's queries, several in one round trip.

schema.py is its shape and resolvers (parameters are read by dashboard/api/params.py and the numbers
come from stats.run), limits.py bounds what one request may ask, errors.py gives every error a
stable code, views.py authenticates, rate-limits and serves GraphiQL in DEBUG.
"""
