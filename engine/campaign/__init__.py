"""Campaigns: a whole customer base scored at once, within budget and capacity, written to the
log as deferred decisions, activated when the messages go out, valued before launch.

Modules, one job each: ``customers`` (the input table, checked whole before anything is
written), ``plan`` (settings, resources, action costs), ``scoring`` (a worker's batch: rules,
features, batch prediction), ``ray_stream`` (the engine's one module that talks to Ray),
``allocation_writer`` (prices, the draw and one log transaction per batch), ``runner`` (a
campaign from file to log), ``activation`` (the sent messages), ``estimate`` (its value by
off-policy evaluation). See ``docs/campaigns.md``.
"""
