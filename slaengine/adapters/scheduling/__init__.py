"""Scheduling: APScheduler's cron triggers and the standby lease of the scheduler process.

May import APScheduler, the standard library, `slaengine.errors` and `slaengine.i18n` (a job
binds its report language on the worker thread that runs it).
"""
