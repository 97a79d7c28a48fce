"""Scheduling: APScheduler's cron triggers and the standby lease of the scheduler process.

May import APScheduler, the standard library and `slaengine.errors`.
"""
