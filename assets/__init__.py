"""Software-defined assets only, one subpackage per domain: thinkific/, dashboard/, uploads/.
Assets orchestrate: they call resource methods, never build HTTP requests or SQL."""
