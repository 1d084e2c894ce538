"""Service: what runs the collector over time. The schedule, the state file, alerts, the demo and
`serve` (the dashboard's process).

May import collect, warehouse and the read side; never the CLI or app/.
"""
