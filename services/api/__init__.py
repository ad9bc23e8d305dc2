"""The services REST API: catalogue, providers, deliveries, bulk distribution."""
