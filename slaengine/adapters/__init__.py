"""Adapters around the domain: feeds, storage, scheduler, PDF, delivery."""
