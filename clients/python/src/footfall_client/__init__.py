"""Server-side tracking for Footfall: a batching client, and a Django middleware in footfall_client.django."""

from footfall_client.client import VERSION, Client, ClientStats, DeliveryError, EventRejected, FootfallError

__version__ = VERSION
__all__ = ["Client", "ClientStats", "DeliveryError", "EventRejected", "FootfallError", "__version__"]
