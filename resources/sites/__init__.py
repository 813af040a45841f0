"""The sites file (`THINKIFIC_SITES_FILE`): the Thinkific sites one deployment syncs, each a
partition of the assets and its own warehouse schema.

```yaml
sites:
  - name: acme                     # the site's name: lower-case letters, digits, underscores
    subdomain: acme                # acme.thinkific.com
    api_key_env: ACME_THINKIFIC_API_KEY         # the NAME of the variable holding the key
    access_token_env: ACME_THINKIFIC_TOKEN      # optional: the GraphQL token's variable
    base_url: https://api.thinkific.com/api/public/v1      # optional
    graphql_url: https://api.thinkific.com/stable/graphql  # optional
    requests_per_minute: 120                    # optional: the site's REST limit
    timezone: Europe/Berlin                     # optional, UTC: its nightly sync at 02:00 there
```

The file names the variables holding each site's secrets, never the secrets: it can be kept in
version control and shown in logs. `load_sites` reports every problem of a file at once, each
with its line; `check_environment` every variable a site needs that is not set.
"""

from resources.sites.environment import check_environment, site_environment
from resources.sites.load import SITES_FILE_ENV, load_sites, sites_from_env
from resources.sites.model import Site, SitesFileError

__all__ = [
    "SITES_FILE_ENV",
    "Site",
    "SitesFileError",
    "check_environment",
    "load_sites",
    "site_environment",
    "sites_from_env",
]
