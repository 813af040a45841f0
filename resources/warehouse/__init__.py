"""The warehouse database: tables defined from a table registry, snapshot loads, merges, COPY.
`WarehouseResource` (in `resource`) is what assets use; the other modules are its parts."""

from resources.warehouse.resource import WarehouseResource

__all__ = ["WarehouseResource"]
