"""The µAnalytics API (GitBook's µAnalytics 2.0) and its importer, on top of Footfall: websites are sites,
analytics are events written through the buffer and read through stats.run. See the specification
that README's "µAnalytics compatibility" section points to for the deviations."""
