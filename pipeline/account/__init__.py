"""Account: live reads of the key's own servers for `vultr-catalog fleet` and the "Your fleet" page.

Account data is private: it is fetched live through the one HTTP client (pipeline.collect.http),
reduced at once to secret-free facts and never stored. Pricing those facts against the catalog is the
read side's job (pipeline.queries.fleet, which takes them as plain data and imports no HTTP). May
import the shared leaves and pipeline.collect.http; never the warehouse, the service or the CLI. The
app imports this package only on the fleet page, which `serve --fleet` alone shows.
"""
from pipeline.account.servers import MISSING_KEY, fetch_servers

__all__ = ["MISSING_KEY", "fetch_servers"]
